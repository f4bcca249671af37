import sys

from cs231n.checks.local import main

sys.exit(main(sys.argv[1:]))
