"""What every benchmark here shares: one BLAS thread and best-of-N timing.

Import it before numpy. One BLAS thread unless the caller says otherwise: on
a small shared machine several spinning BLAS threads can make a matrix
product 100x slower, which would measure the neighbours rather than the code.
"""
import os
import time

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")


def best_of(fn, repeats):
    """Smallest wall time of `repeats` calls, and the last result."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result
