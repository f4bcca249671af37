"""Random inputs for the checks of PyTorch code, that leave the caller's generators alone."""
from __future__ import annotations

import random
from contextlib import contextmanager


@contextmanager
def torch_seed(seed: int):
    """``torch.manual_seed(seed)`` for the duration of the block, then the old torch
    generator state back (and Python's ``random`` state, which transforms draw from)."""
    import torch

    state = random.getstate()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        try:
            yield
        finally:
            random.setstate(state)


def randn(seed: int, *shape: int):
    """A float64 Gaussian tensor of ``shape`` from a generator of its own (the global one is left alone)."""
    import torch

    g = torch.Generator().manual_seed(seed)
    return torch.randn(*shape, generator=g, dtype=torch.float64)
