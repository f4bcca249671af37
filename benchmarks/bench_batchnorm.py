"""Time the two batch normalization backward passes.

Run: ``python benchmarks/bench_batchnorm.py``. For a few (N, D) shapes,
prints the seconds per call of ``batchnorm_backward`` (step by step through
the computation graph) and ``batchnorm_backward_alt`` (closed form), both
from the same forward cache, the speed-up of the closed form measured in the
same run, and checks that the two give the same gradients.
"""

import os

from timing import best_of  # noqa: I001  (sets the BLAS threads before numpy loads)

import numpy as np
from cs231n.gradient_check import rel_error
from cs231n.layers import batchnorm_backward, batchnorm_backward_alt, batchnorm_forward

SHAPES = [(64, 256), (256, 1024), (1024, 4096)]


def main():
    rng = np.random.RandomState(0)
    print(f"BLAS threads: {os.environ['OPENBLAS_NUM_THREADS']}")
    print(f"{'N x D':<14}{'graph s':>12}{'closed form s':>15}{'speed-up':>10}{'rel. error':>12}")
    for N, D in SHAPES:
        x = 3.0 * rng.randn(N, D) + 1.0
        gamma, beta = rng.randn(D), rng.randn(D)
        dout = rng.randn(N, D)
        _, cache = batchnorm_forward(x, gamma, beta, {"mode": "train"})
        repeats = max(3, min(50, 2_000_000 // (N * D)))
        t_graph, graph = best_of(lambda: batchnorm_backward(dout, cache), repeats)
        t_alt, alt = best_of(lambda: batchnorm_backward_alt(dout, cache), repeats)
        err = max(rel_error(a, b) for a, b in zip(graph, alt))
        status = "" if err < 1e-8 else "  DISAGREE"
        print(f"{f'{N} x {D}':<14}{t_graph:>12.5f}{t_alt:>15.5f}{t_graph / t_alt:>9.2f}x{err:>12.1e}{status}")


if __name__ == "__main__":
    main()
