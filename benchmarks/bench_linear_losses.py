"""Time naive vs vectorized SVM and softmax loss + gradient on digits.

Run: ``python benchmarks/bench_linear_losses.py``. Uses the default digits
training split flattened, (N, 64), with W of shape (64, 10); prints seconds
per call and the speed-up of each vectorized loss over its naive version
measured in the same run.
"""

import os

from timing import best_of  # noqa: I001  (sets the BLAS threads before numpy loads)

import numpy as np
from cs231n.classifiers.linear_svm import svm_loss_naive, svm_loss_vectorized
from cs231n.classifiers.softmax import softmax_loss_naive, softmax_loss_vectorized
from cs231n.data_utils import get_digits_data


def main():
    data = get_digits_data(flatten=True)
    X, y = data["X_train"], data["y_train"]
    W = 0.001 * np.random.RandomState(0).randn(X.shape[1], 10)
    reg = 5e-2
    print(f"BLAS threads: {os.environ['OPENBLAS_NUM_THREADS']}")
    print(f"loss + gradient: X {X.shape}, W {W.shape}")
    print(f"{'loss':<10}{'naive s':>12}{'vectorized s':>15}{'speed-up':>11}{'|dW diff|':>12}")
    for name, naive, vectorized in (
        ("svm", svm_loss_naive, svm_loss_vectorized),
        ("softmax", softmax_loss_naive, softmax_loss_vectorized),
    ):
        t_naive, (loss_n, dW_n) = best_of(lambda: naive(W, X, y, reg), 3)
        t_vec, (loss_v, dW_v) = best_of(lambda: vectorized(W, X, y, reg), 20)
        diff = np.max(np.abs(dW_n - dW_v))
        print(f"{name:<10}{t_naive:>12.4f}{t_vec:>15.5f}{t_naive / t_vec:>10.1f}x{diff:>12.1e}")
        if not np.isclose(loss_n, loss_v):
            print(f"  WARNING: losses differ: naive {loss_n!r}, vectorized {loss_v!r}")


if __name__ == "__main__":
    main()
