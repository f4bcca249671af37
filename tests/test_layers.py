import numpy as np
import pytest
from scipy.special import log_softmax

from cs231n.gradient_check import eval_numerical_gradient, eval_numerical_gradient_array, rel_error
from cs231n.layers import (
    affine_backward,
    affine_forward,
    relu_backward,
    relu_forward,
    softmax_loss,
    svm_loss,
)


# --- affine -----------------------------------------------------------------


def test_affine_forward_by_hand():
    # Two examples of shape (2, 1), flattened to rows [1, 2] and [3, 4].
    x = np.array([[[1.0], [2.0]], [[3.0], [4.0]]])
    w = np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.0]])
    b = np.array([0.5, 0.0, -1.0])
    out, _ = affine_forward(x, w, b)
    np.testing.assert_allclose(out, [[5.5, 2.0, -2.0], [11.5, 4.0, -4.0]])


def test_affine_forward_leaves_x_unchanged(rng):
    x = rng.randn(2, 3, 4)
    x0 = x.copy()
    affine_forward(x, rng.randn(12, 5), rng.randn(5))
    np.testing.assert_array_equal(x, x0)


def test_affine_backward_numeric(rng):
    x = rng.randn(4, 2, 3)
    w = rng.randn(6, 5)
    b = rng.randn(5)
    dout = rng.randn(4, 5)
    _, cache = affine_forward(x, w, b)
    dx, dw, db = affine_backward(dout, cache)

    assert dx.shape == x.shape and dw.shape == w.shape and db.shape == b.shape
    dx_num = eval_numerical_gradient_array(lambda v: affine_forward(v, w, b)[0], x, dout)
    dw_num = eval_numerical_gradient_array(lambda v: affine_forward(x, v, b)[0], w, dout)
    db_num = eval_numerical_gradient_array(lambda v: affine_forward(x, w, v)[0], b, dout)
    assert rel_error(dx, dx_num) < 1e-7
    assert rel_error(dw, dw_num) < 1e-7
    assert rel_error(db, db_num) < 1e-7


# --- relu -------------------------------------------------------------------


def test_relu_forward_by_hand():
    out, _ = relu_forward(np.array([[-2.0, 0.0, 3.0], [1.5, -0.1, 0.2]]))
    np.testing.assert_array_equal(out, [[0.0, 0.0, 3.0], [1.5, 0.0, 0.2]])


def test_relu_backward_by_hand_zero_input_blocks():
    x = np.array([-1.0, 0.0, 2.0])
    _, cache = relu_forward(x)
    dx = relu_backward(np.array([5.0, 6.0, 7.0]), cache)
    np.testing.assert_array_equal(dx, [0.0, 0.0, 7.0])


def test_relu_backward_numeric(rng):
    x = rng.randn(5, 6)
    dout = rng.randn(5, 6)
    _, cache = relu_forward(x)
    dx = relu_backward(dout, cache)
    dx_num = eval_numerical_gradient_array(lambda v: relu_forward(v)[0], x, dout)
    assert rel_error(dx, dx_num) < 1e-7


# --- losses -----------------------------------------------------------------


def test_svm_loss_by_hand():
    x = np.array([[1.0, 2.0, 3.0], [3.0, 1.0, 1.5]])
    y = np.array([0, 0])
    # Row 0: margins 2 - 1 + 1 = 2 and 3 - 1 + 1 = 3. Row 1: all margins < 0.
    loss, dx = svm_loss(x, y)
    assert loss == pytest.approx(5.0 / 2)
    np.testing.assert_allclose(dx, np.array([[-2.0, 1.0, 1.0], [0.0, 0.0, 0.0]]) / 2)


def test_svm_loss_numeric(rng):
    x = rng.randn(10, 5)
    y = rng.randint(5, size=10)
    loss, dx = svm_loss(x, y)
    dx_num = eval_numerical_gradient(lambda v: svm_loss(v, y)[0], x, verbose=False)
    assert rel_error(dx, dx_num) < 1e-7
    # Random scores near 0: each of the 4 wrong classes has margin near 1.
    assert 2.0 < loss < 6.0


def test_softmax_loss_uniform_scores():
    C, N = 4, 3
    y = np.array([0, 3, 1])
    loss, dx = softmax_loss(np.zeros((N, C)), y)
    assert loss == pytest.approx(np.log(C))
    expected = np.full((N, C), 1.0 / C)
    expected[np.arange(N), y] -= 1
    np.testing.assert_allclose(dx, expected / N)


def test_softmax_loss_matches_log_softmax_and_is_stable(rng):
    x = 1000.0 * rng.randn(6, 5)  # exp(x) would overflow without the shift
    y = rng.randint(5, size=6)
    loss, dx = softmax_loss(x, y)
    assert np.isfinite(loss) and np.all(np.isfinite(dx))
    expected = -np.mean(log_softmax(x, axis=1)[np.arange(6), y])
    assert loss == pytest.approx(expected, rel=1e-12)


def test_softmax_loss_numeric(rng):
    x = rng.randn(10, 5)
    y = rng.randint(5, size=10)
    _, dx = softmax_loss(x, y)
    dx_num = eval_numerical_gradient(lambda v: softmax_loss(v, y)[0], x, verbose=False)
    assert rel_error(dx, dx_num) < 1e-7
