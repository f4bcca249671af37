import numpy as np

from cs231n.gradient_check import eval_numerical_gradient_array, rel_error
from cs231n.layer_utils import affine_relu_backward, affine_relu_forward


def test_affine_relu_forward_is_relu_of_affine(rng):
    x = rng.randn(3, 2, 2)
    w = rng.randn(4, 5)
    b = rng.randn(5)
    out, _ = affine_relu_forward(x, w, b)
    np.testing.assert_allclose(out, np.maximum(0, x.reshape(3, 4) @ w + b))


def test_affine_relu_backward_numeric(rng):
    x = rng.randn(2, 3, 4)
    w = rng.randn(12, 10)
    b = rng.randn(10)
    dout = rng.randn(2, 10)
    _, cache = affine_relu_forward(x, w, b)
    dx, dw, db = affine_relu_backward(dout, cache)

    dx_num = eval_numerical_gradient_array(lambda v: affine_relu_forward(v, w, b)[0], x, dout)
    dw_num = eval_numerical_gradient_array(lambda v: affine_relu_forward(x, v, b)[0], w, dout)
    db_num = eval_numerical_gradient_array(lambda v: affine_relu_forward(x, w, v)[0], b, dout)
    assert dx.shape == x.shape
    assert rel_error(dx, dx_num) < 1e-7
    assert rel_error(dw, dw_num) < 1e-7
    assert rel_error(db, db_num) < 1e-7
