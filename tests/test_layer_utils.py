import numpy as np
import pytest

from cs231n.gradient_check import eval_numerical_gradient_array, rel_error
from cs231n.layer_utils import (
    affine_bn_relu_backward,
    affine_bn_relu_forward,
    affine_ln_relu_backward,
    affine_ln_relu_forward,
    affine_relu_backward,
    affine_relu_forward,
    conv_bn_relu_backward,
    conv_bn_relu_forward,
    conv_relu_backward,
    conv_relu_forward,
    conv_relu_pool_backward,
    conv_relu_pool_forward,
)
from cs231n.layers import conv_forward_naive, max_pool_forward_naive


def _check_gradients(forward, backward, inputs, dout, zero=(), h=1e-5):
    """Compare every gradient returned by ``backward`` with a numerical one.

    ``forward(*inputs)`` returns ``(out, cache)`` and ``backward(dout, cache)``
    one gradient per input, in the same order. The inputs whose positions are
    in ``zero`` cannot change the output (a bias before a normalisation), so
    both their gradients must vanish; relative errors of such values are
    meaningless.
    """
    _, cache = forward(*inputs)
    grads = backward(dout, cache)
    assert len(grads) == len(inputs)
    for k, (grad, value) in enumerate(zip(grads, inputs)):

        def f(v, k=k):
            args = list(inputs)
            args[k] = v
            return forward(*args)[0]

        assert grad.shape == value.shape, f"gradient {k}"
        num = eval_numerical_gradient_array(f, value, dout, h=h)
        if k in zero:
            assert np.max(np.abs(grad)) < 1e-12, f"gradient {k} should be zero"
            assert np.max(np.abs(num)) < 1e-8, f"numerical gradient {k} should be zero"
        else:
            err = rel_error(grad, num)
            assert err < 1e-7, f"gradient {k}: rel error {err:.1e}"


def _normalise(a, axis, eps):
    mean = a.mean(axis=axis, keepdims=True)
    var = a.var(axis=axis, keepdims=True)
    return (a - mean) / np.sqrt(var + eps)


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


@pytest.mark.parametrize("norm", ["batchnorm", "layernorm"])
def test_affine_norm_relu_forward_matches_formula(rng, norm):
    x = rng.randn(6, 2, 3)
    w = rng.randn(6, 5)
    b = rng.randn(5)
    gamma, beta = rng.randn(5), rng.randn(5)
    a = x.reshape(6, 6) @ w + b
    if norm == "batchnorm":
        out, _ = affine_bn_relu_forward(x, w, b, gamma, beta, {"mode": "train"})
        expected = np.maximum(0, gamma * _normalise(a, 0, 1e-5) + beta)
    else:
        out, _ = affine_ln_relu_forward(x, w, b, gamma, beta, {})
        expected = np.maximum(0, gamma * _normalise(a, 1, 1e-5) + beta)
    np.testing.assert_allclose(out, expected, rtol=1e-10, atol=1e-10)


def test_affine_bn_relu_backward_numeric(rng):
    x = rng.randn(5, 2, 3)
    w = rng.randn(6, 4)
    b = rng.randn(4)
    gamma, beta = rng.randn(4), rng.randn(4)
    bn_param = {"mode": "train"}

    def forward(x_, w_, b_, gamma_, beta_):
        return affine_bn_relu_forward(x_, w_, b_, gamma_, beta_, bn_param)

    # Batch normalisation subtracts the mean of each feature, bias included.
    _check_gradients(
        forward, affine_bn_relu_backward, [x, w, b, gamma, beta], rng.randn(5, 4), zero=(2,)
    )
    assert bn_param["running_mean"].shape == (4,)


def test_affine_ln_relu_backward_numeric(rng):
    x = rng.randn(5, 6)
    w = rng.randn(6, 4)
    b = rng.randn(4)
    gamma, beta = rng.randn(4), rng.randn(4)

    def forward(x_, w_, b_, gamma_, beta_):
        return affine_ln_relu_forward(x_, w_, b_, gamma_, beta_, {"eps": 1e-5})

    _check_gradients(forward, affine_ln_relu_backward, [x, w, b, gamma, beta], rng.randn(5, 4))


CONV_PARAM = {"stride": 1, "pad": 1}
POOL_PARAM = {"pool_height": 2, "pool_width": 2, "stride": 2}


def test_conv_sandwiches_forward_match_naive_layers(rng):
    x = rng.randn(2, 3, 6, 6)
    w = rng.randn(4, 3, 3, 3)
    b = rng.randn(4)
    conv_naive = conv_forward_naive(x, w, b, CONV_PARAM)[0]
    relu = np.maximum(0, conv_naive)
    np.testing.assert_allclose(conv_relu_forward(x, w, b, CONV_PARAM)[0], relu, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(
        conv_relu_pool_forward(x, w, b, CONV_PARAM, POOL_PARAM)[0],
        max_pool_forward_naive(relu, POOL_PARAM)[0],
        rtol=1e-10,
        atol=1e-12,
    )
    gamma, beta = rng.randn(4), rng.randn(4)
    out, _ = conv_bn_relu_forward(x, w, b, gamma, beta, CONV_PARAM, {"mode": "train"})
    normalised = _normalise(conv_naive, (0, 2, 3), 1e-5)
    expected = np.maximum(0, gamma.reshape(1, 4, 1, 1) * normalised + beta.reshape(1, 4, 1, 1))
    np.testing.assert_allclose(out, expected, rtol=1e-9, atol=1e-10)


def test_conv_relu_backward_numeric(rng):
    x = rng.randn(2, 3, 5, 5)
    w = rng.randn(3, 3, 3, 3)
    b = rng.randn(3)

    def forward(x_, w_, b_):
        return conv_relu_forward(x_, w_, b_, CONV_PARAM)

    _check_gradients(forward, conv_relu_backward, [x, w, b], rng.randn(2, 3, 5, 5))


def test_conv_relu_pool_backward_numeric(rng):
    x = rng.randn(2, 3, 6, 6)
    w = rng.randn(3, 3, 3, 3)
    b = rng.randn(3)

    def forward(x_, w_, b_):
        return conv_relu_pool_forward(x_, w_, b_, CONV_PARAM, POOL_PARAM)

    # The sandwich is piecewise linear, so a larger step adds no truncation
    # error and keeps rounding error small next to the smallest entries of dw.
    _check_gradients(forward, conv_relu_pool_backward, [x, w, b], rng.randn(2, 3, 3, 3), h=1e-4)


def test_conv_bn_relu_backward_numeric(rng):
    x = rng.randn(2, 3, 5, 5)
    w = rng.randn(3, 3, 3, 3)
    b = rng.randn(3)
    gamma, beta = rng.randn(3), rng.randn(3)

    def forward(x_, w_, b_, gamma_, beta_):
        return conv_bn_relu_forward(x_, w_, b_, gamma_, beta_, CONV_PARAM, {"mode": "train"})

    # Spatial batch normalisation subtracts each channel's mean, bias included.
    _check_gradients(
        forward, conv_bn_relu_backward, [x, w, b, gamma, beta], rng.randn(2, 3, 5, 5), zero=(2,)
    )
