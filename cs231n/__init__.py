"""The shared ``cs231n`` package: layers, models, solvers and data loaders.

Kept import-light on purpose: ``import cs231n`` loads nothing heavy, and each
submodule is imported where it is used (``from cs231n.layers import ...``).
"""

__version__ = "0.1.0"
