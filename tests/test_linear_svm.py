import numpy as np
import pytest

from cs231n.classifiers.linear_svm import svm_loss_naive, svm_loss_vectorized
from cs231n.gradient_check import grad_check_sparse, rel_error

LOSSES = [svm_loss_naive, svm_loss_vectorized]


@pytest.mark.parametrize("loss_fn", LOSSES)
def test_by_hand(loss_fn):
    X = np.array([[1.0, 2.0]])
    W = np.array([[1.0, 0.0, 2.0], [0.0, 1.0, 0.0]])
    y = np.array([0])
    # scores = [1, 2, 2]; margins 2 - 1 + 1 = 2 for classes 1 and 2.
    # Each positive margin adds x to its column and subtracts x from column 0.
    loss, dW = loss_fn(W, X, y, 0.0)
    assert loss == pytest.approx(4.0)
    np.testing.assert_allclose(dW, [[-2.0, 1.0, 1.0], [-4.0, 2.0, 2.0]])

    # reg * sum(W^2) = 0.5 * 6 = 3, gradient 2 * reg * W = W.
    loss, dW = loss_fn(W, X, y, 0.5)
    assert loss == pytest.approx(7.0)
    np.testing.assert_allclose(dW, np.array([[-2.0, 1.0, 1.0], [-4.0, 2.0, 2.0]]) + W)


@pytest.mark.parametrize("loss_fn", LOSSES)
def test_zero_loss_when_margins_met(loss_fn):
    X = np.array([[1.0, 0.0], [0.0, 1.0]])
    W = np.array([[5.0, 0.0], [0.0, 5.0]])
    loss, dW = loss_fn(W, X, np.array([0, 1]), 0.0)
    assert loss == 0.0
    np.testing.assert_array_equal(dW, np.zeros_like(W))


@pytest.mark.parametrize("loss_fn", LOSSES)
@pytest.mark.parametrize("reg", [0.0, 0.1])
def test_numeric_gradient(rng, loss_fn, reg):
    W = 0.01 * rng.randn(8, 4)
    X = rng.randn(20, 8)
    y = rng.randint(4, size=20)
    _, dW = loss_fn(W, X, y, reg)
    errs = grad_check_sparse(lambda w: loss_fn(w, X, y, reg)[0], W, dW, num_checks=15, seed=0)
    assert max(errs) < 1e-7


def test_naive_equals_vectorized(rng):
    W = 0.001 * rng.randn(64, 10)
    X = 100 * rng.randn(100, 64)
    y = rng.randint(10, size=100)
    loss_n, dW_n = svm_loss_naive(W, X, y, 1e-2)
    loss_v, dW_v = svm_loss_vectorized(W, X, y, 1e-2)
    assert loss_n == pytest.approx(loss_v, rel=1e-12)
    assert rel_error(dW_n, dW_v) < 1e-10
