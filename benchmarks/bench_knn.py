"""Time the three kNN distance implementations on the full digits split.

Run: ``python benchmarks/bench_knn.py``. Prints seconds per implementation
and the speed-up over the two-loop baseline measured in the same run, and
checks that the three agree.
"""

import os

from timing import best_of  # noqa: I001  (sets the BLAS threads before numpy loads)

import numpy as np
from cs231n.classifiers import KNearestNeighbor
from cs231n.data_utils import load_digits_data


def main():
    X_train, y_train, X_test, _ = load_digits_data()
    X_train = X_train.reshape(len(X_train), -1)
    X_test = X_test.reshape(len(X_test), -1)
    knn = KNearestNeighbor()
    knn.train(X_train, y_train)
    print(f"BLAS threads: {os.environ['OPENBLAS_NUM_THREADS']}")
    num_test, num_train, dim = X_test.shape[0], X_train.shape[0], X_train.shape[1]
    print(f"kNN distances: {num_test} test x {num_train} train, D = {dim}")

    runs = [
        ("two loops", knn.compute_distances_two_loops, 1),
        ("one loop", knn.compute_distances_one_loop, 3),
        ("no loops", knn.compute_distances_no_loops, 10),
    ]
    results = []
    for name, fn, repeats in runs:
        seconds, dists = best_of(lambda: fn(X_test), repeats)
        results.append((name, seconds, dists))

    baseline = results[0][1]
    print(f"{'implementation':<16}{'seconds':>12}{'speed-up':>12}")
    for name, seconds, _ in results:
        print(f"{name:<16}{seconds:>12.4f}{baseline / seconds:>11.1f}x")

    reference = results[0][2]
    for name, _, dists in results[1:]:
        diff = np.max(np.abs(dists - reference))
        status = "agree" if np.allclose(dists, reference, rtol=1e-9, atol=1e-6) else "DISAGREE"
        print(f"{name} vs two loops: max |difference| {diff:.2e} ({status})")


if __name__ == "__main__":
    main()
