# Two commands do everything on a fresh machine:
#   make course   build the book, release the assignments, grade the examples
#   make test     run the test suite (what CI runs)
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)
# Small matrices: one BLAS thread is faster, and much faster on a busy machine.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1
STAMP := $(VENV)/.installed
MATHJAX_VERSION := 3.2.2
MATHJAX := .cache/static/mathjax/tex-chtml.js
ASSIGNMENTS := assignment1 assignment2 assignment3

.PHONY: course test env book release grade system clean

course: book system
	$(BIN)/python -m autograder course --jobs 2 $(ASSIGNMENTS)

test: env system
	$(BIN)/python -m pytest

env: $(STAMP) $(MATHJAX)

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "Python 3.11 is required; run make PYTHON=python3.11"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

# MathJax is served from the built book so that math renders offline.
$(MATHJAX):
	rm -rf .cache/mathjax && mkdir -p .cache/mathjax .cache/static
	cd .cache/mathjax && npm pack --silent mathjax@$(MATHJAX_VERSION) && tar xzf mathjax-$(MATHJAX_VERSION).tgz
	rm -rf .cache/static/mathjax && mv .cache/mathjax/package/es5 .cache/static/mathjax
	test -f $@

# The built book is searched for solution text like a release is.
book: env
	$(BIN)/jupyter-book build . --all --builder html -W -n --keep-going
	$(BIN)/python -m autograder check-leaks _build/html

release: env
	$(BIN)/python -m autograder release $(ASSIGNMENTS)

grade: env system
	$(BIN)/python -m autograder grade --jobs 2 $(ASSIGNMENTS)

# Debian packages: bubblewrap, the grader's sandbox; headless Chromium for the
# test that opens the built book.
system:
	@command -v bwrap >/dev/null && command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
	  { [ "$$(id -u)" = 0 ] && apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	      bubblewrap chromium chromium-driver >/dev/null; } || \
	  echo "bubblewrap/chromium not installed (needs root): the grader warns, the browser test is skipped"

clean:
	rm -rf _build assignments/release assignments/submitted assignments/intake assignments/autograded \
	  assignments/verdicts assignments/reports assignments/feedback assignments/gradebook.db
