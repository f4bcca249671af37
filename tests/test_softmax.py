import numpy as np
import pytest
from scipy.special import log_softmax

from cs231n.classifiers.softmax import softmax_loss_naive, softmax_loss_vectorized
from cs231n.gradient_check import grad_check_sparse, rel_error

LOSSES = [softmax_loss_naive, softmax_loss_vectorized]


@pytest.mark.parametrize("loss_fn", LOSSES)
def test_zero_weights_by_hand(loss_fn):
    # W = 0: every class has probability 1/C, loss log(C),
    # dW = X^T (1/C - onehot(y)) / N.
    X = np.array([[1.0, 2.0], [3.0, -1.0]])
    y = np.array([1, 0])
    W = np.zeros((2, 3))
    loss, dW = loss_fn(W, X, y, 0.7)
    assert loss == pytest.approx(np.log(3))
    dscores = np.array([[1 / 3, -2 / 3, 1 / 3], [-2 / 3, 1 / 3, 1 / 3]])
    np.testing.assert_allclose(dW, X.T @ dscores / 2)


@pytest.mark.parametrize("loss_fn", LOSSES)
def test_matches_log_softmax_with_reg(rng, loss_fn):
    W = rng.randn(5, 4)
    X = rng.randn(7, 5)
    y = rng.randint(4, size=7)
    reg = 0.3
    expected = -np.mean(log_softmax(X @ W, axis=1)[np.arange(7), y]) + reg * np.sum(W**2)
    loss, _ = loss_fn(W, X, y, reg)
    assert loss == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("loss_fn", LOSSES)
def test_stable_for_large_scores(loss_fn):
    X = np.array([[1000.0, -1000.0]])
    W = np.array([[1.0, 0.0], [0.0, 1.0]])
    # scores [1000, -1000]: label 0 is certain, label 1 costs 2000.
    loss0, dW0 = loss_fn(W, X, np.array([0]), 0.0)
    loss1, dW1 = loss_fn(W, X, np.array([1]), 0.0)
    assert loss0 == pytest.approx(0.0, abs=1e-12)
    assert loss1 == pytest.approx(2000.0)
    assert np.all(np.isfinite(dW0)) and np.all(np.isfinite(dW1))


@pytest.mark.parametrize("loss_fn", LOSSES)
@pytest.mark.parametrize("reg", [0.0, 0.1])
def test_numeric_gradient(rng, loss_fn, reg):
    W = 0.1 * rng.randn(8, 4)
    X = rng.randn(20, 8)
    y = rng.randint(4, size=20)
    _, dW = loss_fn(W, X, y, reg)
    errs = grad_check_sparse(lambda w: loss_fn(w, X, y, reg)[0], W, dW, num_checks=15, seed=0)
    assert max(errs) < 1e-7


def test_naive_equals_vectorized(rng):
    W = 0.001 * rng.randn(64, 10)
    X = 100 * rng.randn(100, 64)
    y = rng.randint(10, size=100)
    loss_n, dW_n = softmax_loss_naive(W, X, y, 1e-2)
    loss_v, dW_v = softmax_loss_vectorized(W, X, y, 1e-2)
    assert loss_n == pytest.approx(loss_v, rel=1e-12)
    assert rel_error(dW_n, dW_v) < 1e-10
