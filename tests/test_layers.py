import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy.special import log_softmax

from cs231n.gradient_check import eval_numerical_gradient, eval_numerical_gradient_array, rel_error
from cs231n.layers import (
    affine_backward,
    affine_forward,
    batchnorm_backward,
    batchnorm_backward_alt,
    batchnorm_forward,
    conv_backward_naive,
    conv_forward_naive,
    dropout_backward,
    dropout_forward,
    layernorm_backward,
    layernorm_forward,
    max_pool_backward_naive,
    max_pool_forward_naive,
    relu_backward,
    relu_forward,
    softmax_loss,
    spatial_batchnorm_backward,
    spatial_batchnorm_forward,
    spatial_groupnorm_backward,
    spatial_groupnorm_forward,
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


# --- batch normalization --------------------------------------------------------


def _bn_inputs(rng, N=8, D=5):
    x = 3.0 * rng.randn(N, D) + rng.randn(D)
    return x, 1.0 + 0.5 * rng.randn(D), rng.randn(D)


def test_batchnorm_forward_by_hand():
    x = np.array([[1.0, 2.0], [3.0, 6.0]])
    # Per feature: means [2, 4], biased variances [1, 4], so x_hat = +-1.
    out, _ = batchnorm_forward(x, np.array([2.0, 3.0]), np.array([0.5, -1.0]), {"mode": "train", "eps": 0.0})
    np.testing.assert_allclose(out, [[-1.5, -4.0], [2.5, 2.0]], rtol=1e-12)


def test_batchnorm_train_output_statistics(rng):
    x, gamma, beta = _bn_inputs(rng, N=200, D=4)
    out, _ = batchnorm_forward(x, gamma, beta, {"mode": "train"})
    assert out.shape == x.shape
    np.testing.assert_allclose(out.mean(axis=0), beta, atol=1e-10)
    # Biased std of out is |gamma| * sqrt(var / (var + eps)).
    var = x.var(axis=0)
    np.testing.assert_allclose(out.std(axis=0), np.abs(gamma) * np.sqrt(var / (var + 1e-5)), rtol=1e-10)


def test_batchnorm_running_averages_after_one_step():
    x = np.array([[1.0, 2.0], [3.0, 6.0]])
    bn_param = {"mode": "train", "momentum": 0.8}
    batchnorm_forward(x, np.ones(2), np.zeros(2), bn_param)
    # From zeros: 0.2 * batch statistic.
    np.testing.assert_allclose(bn_param["running_mean"], [0.4, 0.8], rtol=1e-12)
    np.testing.assert_allclose(bn_param["running_var"], [0.2, 0.8], rtol=1e-12)


def test_batchnorm_running_averages_converge_to_data_statistics():
    rng = np.random.RandomState(0)
    mu, sigma, N = np.array([5.0, -2.0, 0.0]), np.array([2.0, 0.5, 1.0]), 50
    bn_param = {"mode": "train"}
    for _ in range(300):
        x = mu + sigma * rng.randn(N, 3)
        batchnorm_forward(x, np.ones(3), np.zeros(3), bn_param)
    # The average over about 1 / (1 - momentum) = 10 batches of 50 leaves a
    # spread of about 0.05 sigma on the mean; the biased batch variance has
    # expectation sigma^2 (N - 1) / N.
    np.testing.assert_allclose(bn_param["running_mean"], mu, atol=0.2 * sigma.max())
    np.testing.assert_allclose(bn_param["running_var"], sigma**2 * (N - 1) / N, rtol=0.2)


def test_batchnorm_test_mode_uses_running_statistics(rng):
    x, gamma, beta = _bn_inputs(rng)
    running_mean, running_var = rng.randn(5), 1.0 + rng.rand(5)
    bn_param = {"mode": "test", "running_mean": running_mean.copy(), "running_var": running_var.copy()}
    out, _ = batchnorm_forward(x, gamma, beta, bn_param)
    np.testing.assert_allclose(out, gamma * (x - running_mean) / np.sqrt(running_var + 1e-5) + beta, rtol=1e-12)
    # Test mode leaves the averages alone and treats examples independently.
    np.testing.assert_array_equal(bn_param["running_mean"], running_mean)
    np.testing.assert_array_equal(bn_param["running_var"], running_var)
    single, _ = batchnorm_forward(x[:1], gamma, beta, bn_param)
    np.testing.assert_allclose(single, out[:1], rtol=1e-12)


def test_batchnorm_needs_a_mode(rng):
    x, gamma, beta = _bn_inputs(rng)
    for bn_param in ({}, {"mode": "eval"}):
        with pytest.raises(ValueError, match="mode"):
            batchnorm_forward(x, gamma, beta, bn_param)


def test_batchnorm_keeps_float32(rng):
    x, gamma, beta = (a.astype(np.float32) for a in _bn_inputs(rng))
    bn_param = {"mode": "train"}
    out, cache = batchnorm_forward(x, gamma, beta, bn_param)
    assert out.dtype == np.float32 and bn_param["running_var"].dtype == np.float32
    assert all(a.dtype == np.float32 for a in batchnorm_backward_alt(np.ones_like(out), cache))


def test_batchnorm_matches_torch(rng):
    x, gamma, beta = _bn_inputs(rng)
    out, _ = batchnorm_forward(x, gamma, beta, {"mode": "train"})
    expected = F.batch_norm(
        torch.from_numpy(x), None, None, torch.from_numpy(gamma), torch.from_numpy(beta), training=True, eps=1e-5
    )
    np.testing.assert_allclose(out, expected.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("backward", [batchnorm_backward, batchnorm_backward_alt])
def test_batchnorm_backward_numeric(rng, backward):
    x, gamma, beta = _bn_inputs(rng, N=6, D=4)
    dout = rng.randn(6, 4)
    bn_param = {"mode": "train"}
    _, cache = batchnorm_forward(x, gamma, beta, bn_param)
    dx, dgamma, dbeta = backward(dout, cache)

    def f(x_, g_, b_):
        return batchnorm_forward(x_, g_, b_, {"mode": "train"})[0]

    assert dx.shape == x.shape and dgamma.shape == gamma.shape and dbeta.shape == beta.shape
    assert rel_error(dx, eval_numerical_gradient_array(lambda v: f(v, gamma, beta), x, dout)) < 1e-7
    assert rel_error(dgamma, eval_numerical_gradient_array(lambda v: f(x, v, beta), gamma, dout)) < 1e-7
    assert rel_error(dbeta, eval_numerical_gradient_array(lambda v: f(x, gamma, v), beta, dout)) < 1e-7


def test_batchnorm_backward_alt_equals_graph_version(rng):
    x, gamma, beta = _bn_inputs(rng, N=64, D=10)
    dout = rng.randn(64, 10)
    _, cache = batchnorm_forward(x, gamma, beta, {"mode": "train"})
    for a, b in zip(batchnorm_backward(dout, cache), batchnorm_backward_alt(dout, cache)):
        assert rel_error(a, b) < 1e-10


# --- layer normalization ----------------------------------------------------------


def test_layernorm_forward_by_hand():
    x = np.array([[1.0, 2.0, 3.0], [10.0, 10.0, 40.0]])
    # Row 0: mean 2, variance 2/3. Row 1: mean 20, variance 200.
    out, _ = layernorm_forward(x, np.ones(3), np.zeros(3), {"eps": 0.0})
    s = np.sqrt(1.5)
    np.testing.assert_allclose(out, [[-s, 0.0, s], [-1 / np.sqrt(2), -1 / np.sqrt(2), np.sqrt(2)]], rtol=1e-12)


def test_layernorm_per_example_statistics(rng):
    x = 5.0 * rng.randn(4, 30) + rng.randn(4, 1) * 10
    out, _ = layernorm_forward(x, np.ones(30), np.zeros(30), {})
    np.testing.assert_allclose(out.mean(axis=1), 0.0, atol=1e-12)
    var = x.var(axis=1)
    np.testing.assert_allclose(out.var(axis=1), var / (var + 1e-5), rtol=1e-10)


def test_layernorm_matches_torch_and_ignores_the_batch(rng):
    x = 2.0 * rng.randn(5, 6) + 1.0
    gamma, beta = rng.randn(6), rng.randn(6)
    out, _ = layernorm_forward(x, gamma, beta, {"eps": 1e-5})
    expected = F.layer_norm(torch.from_numpy(x), (6,), torch.from_numpy(gamma), torch.from_numpy(beta), eps=1e-5)
    np.testing.assert_allclose(out, expected.numpy(), rtol=1e-10, atol=1e-12)
    alone, _ = layernorm_forward(x[2:3], gamma, beta, {"eps": 1e-5})
    np.testing.assert_allclose(alone, out[2:3], rtol=1e-12)


def test_layernorm_backward_numeric(rng):
    x = 2.0 * rng.randn(4, 7) + 1.0
    gamma, beta, dout = rng.randn(7), rng.randn(7), rng.randn(4, 7)
    _, cache = layernorm_forward(x, gamma, beta, {})
    dx, dgamma, dbeta = layernorm_backward(dout, cache)

    def f(x_, g_, b_):
        return layernorm_forward(x_, g_, b_, {})[0]

    assert dx.shape == x.shape and dgamma.shape == (7,) and dbeta.shape == (7,)
    assert rel_error(dx, eval_numerical_gradient_array(lambda v: f(v, gamma, beta), x, dout)) < 1e-7
    assert rel_error(dgamma, eval_numerical_gradient_array(lambda v: f(x, v, beta), gamma, dout)) < 1e-7
    assert rel_error(dbeta, eval_numerical_gradient_array(lambda v: f(x, gamma, v), beta, dout)) < 1e-7


# --- dropout ------------------------------------------------------------------------


def test_dropout_keep_fraction_and_mean(rng):
    x = rng.randn(400, 500) + 10.0
    for p in (0.25, 0.6, 0.9):
        out, (_, mask) = dropout_forward(x, {"mode": "train", "p": p, "seed": 1})
        kept = mask != 0
        # 200000 draws: the kept fraction has a standard deviation below 1.1e-3.
        assert abs(kept.mean() - p) < 6e-3
        np.testing.assert_allclose(out[kept], x[kept] / p, rtol=1e-12)
        assert not out[~kept].any()
        # Inverted dropout preserves the mean of the activations.
        assert abs(out.mean() / x.mean() - 1) < 0.02


def test_dropout_test_mode_is_identity(rng):
    x, dout = rng.randn(3, 4), rng.randn(3, 4)
    out, cache = dropout_forward(x, {"mode": "test", "p": 0.3})
    np.testing.assert_array_equal(out, x)
    np.testing.assert_array_equal(dropout_backward(dout, cache), dout)


def test_dropout_keep_all_in_train_mode(rng):
    x = rng.randn(6, 7).astype(np.float32)
    out, (_, mask) = dropout_forward(x, {"mode": "train", "p": 1.0})
    np.testing.assert_array_equal(out, x)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(mask, np.ones_like(x))


def test_dropout_seed_gives_the_reference_mask(rng):
    x = rng.randn(20, 30)
    out1, _ = dropout_forward(x, {"mode": "train", "p": 0.4, "seed": 7})
    out2, _ = dropout_forward(x, {"mode": "train", "p": 0.4, "seed": 7})
    out3, _ = dropout_forward(x, {"mode": "train", "p": 0.4, "seed": 8})
    np.testing.assert_array_equal(out1, out2)
    assert not np.array_equal(out1, out3)
    np.random.seed(7)
    reference = x * ((np.random.rand(*x.shape) < 0.4) / 0.4)
    np.testing.assert_allclose(out1, reference, rtol=1e-15)


def test_dropout_keeps_float32(rng):
    x = rng.randn(5, 5).astype(np.float32)
    out, cache = dropout_forward(x, {"mode": "train", "p": 0.5, "seed": 0})
    assert out.dtype == np.float32
    assert dropout_backward(np.ones_like(x), cache).dtype == np.float32


def test_dropout_backward_numeric(rng):
    x, dout = rng.randn(6, 8), rng.randn(6, 8)
    param = {"mode": "train", "p": 0.7, "seed": 3}
    _, cache = dropout_forward(x, param)
    dx = dropout_backward(dout, cache)
    dx_num = eval_numerical_gradient_array(lambda v: dropout_forward(v, param)[0], x, dout)
    assert rel_error(dx, dx_num) < 1e-7
    assert not dx[cache[1] == 0].any()


@pytest.mark.parametrize("param", [{"mode": "train", "p": 0.0}, {"mode": "train", "p": 1.5}, {"mode": "train"}, {"p": 0.5}])
def test_dropout_rejects_bad_params(rng, param):
    with pytest.raises(ValueError, match="dropout_param"):
        dropout_forward(rng.randn(2, 2), param)


# --- convolution ---------------------------------------------------------------------


def test_conv_forward_by_hand():
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    w = np.stack([np.ones((1, 2, 2)), np.array([[[1.0, 0.0], [0.0, -1.0]]])])
    b = np.array([0.5, 0.0])
    out, _ = conv_forward_naive(x, w, b, {"stride": 1, "pad": 0})
    # Window sums of [[0,1,2],[3,4,5],[6,7,8]] and top-left minus bottom-right.
    np.testing.assert_allclose(out, [[[[8.5, 12.5], [20.5, 24.5]], [[-4.0, -4.0], [-4.0, -4.0]]]])


def test_conv_forward_pads_with_zeros():
    out, _ = conv_forward_naive(np.ones((1, 1, 2, 2)), np.ones((1, 1, 3, 3)), np.zeros(1), {"stride": 1, "pad": 1})
    # Every 3x3 window of the padded 4x4 input covers all four ones.
    np.testing.assert_allclose(out, np.full((1, 1, 2, 2), 4.0))


CONV_CASES = [
    # (N, C, H, W), (F, HH, WW), stride, pad
    ((2, 3, 7, 7), (4, 3, 3), 1, 0),
    ((2, 3, 7, 9), (4, 3, 3), 1, 1),
    ((1, 2, 8, 6), (3, 5, 3), 2, 2),
    ((3, 1, 9, 10), (2, 2, 4), 2, 0),
    ((2, 2, 6, 5), (3, 3, 2), 2, 1),  # (6 + 2 - 3) is odd: the last row is dropped
]


@pytest.mark.parametrize("x_shape, w_shape, stride, pad", CONV_CASES)
def test_conv_forward_matches_torch(rng, x_shape, w_shape, stride, pad):
    F_, HH, WW = w_shape
    x, w, b = rng.randn(*x_shape), rng.randn(F_, x_shape[1], HH, WW), rng.randn(F_)
    out, cache = conv_forward_naive(x, w, b, {"stride": stride, "pad": pad})
    expected = F.conv2d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b), stride=stride, padding=pad)
    assert out.shape == tuple(expected.shape)
    assert out.shape[2] == 1 + (x_shape[2] + 2 * pad - HH) // stride
    np.testing.assert_allclose(out, expected.numpy(), rtol=1e-10, atol=1e-12)
    assert cache[0] is x and cache[1] is w


@pytest.mark.parametrize("x_shape, w_shape, stride, pad", CONV_CASES)
def test_conv_backward_matches_torch(rng, x_shape, w_shape, stride, pad):
    F_, HH, WW = w_shape
    x, w, b = rng.randn(*x_shape), rng.randn(F_, x_shape[1], HH, WW), rng.randn(F_)
    out, cache = conv_forward_naive(x, w, b, {"stride": stride, "pad": pad})
    dout = rng.randn(*out.shape)
    dx, dw, db = conv_backward_naive(dout, cache)
    tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))
    F.conv2d(tx, tw, tb, stride=stride, padding=pad).backward(torch.from_numpy(dout))
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dw, tw.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(db, tb.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_conv_backward_numeric(rng):
    x, w, b = rng.randn(2, 3, 5, 6), rng.randn(2, 3, 3, 2), rng.randn(2)
    param = {"stride": 2, "pad": 1}
    out, cache = conv_forward_naive(x, w, b, param)
    dout = rng.randn(*out.shape)
    dx, dw, db = conv_backward_naive(dout, cache)
    assert dx.shape == x.shape and dw.shape == w.shape and db.shape == b.shape
    assert rel_error(dx, eval_numerical_gradient_array(lambda v: conv_forward_naive(v, w, b, param)[0], x, dout)) < 1e-7
    assert rel_error(dw, eval_numerical_gradient_array(lambda v: conv_forward_naive(x, v, b, param)[0], w, dout)) < 1e-7
    assert rel_error(db, eval_numerical_gradient_array(lambda v: conv_forward_naive(x, w, v, param)[0], b, dout)) < 1e-7


def test_conv_rejects_mismatched_channels(rng):
    with pytest.raises(ValueError, match="channels"):
        conv_forward_naive(rng.randn(1, 3, 5, 5), rng.randn(2, 2, 3, 3), np.zeros(2), {"stride": 1, "pad": 0})


# --- max pooling -----------------------------------------------------------------------


def test_max_pool_forward_by_hand():
    x = np.array([[1.0, 5.0, 2.0, 0.0], [3.0, 4.0, 8.0, 1.0], [0.0, 0.0, 1.0, 1.0], [9.0, 0.0, 1.0, 2.0]])
    out, _ = max_pool_forward_naive(x.reshape(1, 1, 4, 4), {"pool_height": 2, "pool_width": 2, "stride": 2})
    np.testing.assert_array_equal(out, [[[[5.0, 8.0], [9.0, 2.0]]]])


POOL_CASES = [
    # (N, C, H, W), pool_height, pool_width, stride
    ((2, 3, 8, 8), 2, 2, 2),
    ((2, 2, 7, 9), 3, 3, 1),
    ((1, 3, 9, 7), 2, 3, 2),
    ((3, 1, 5, 6), 3, 2, 1),
]


@pytest.mark.parametrize("x_shape, ph, pw, stride", POOL_CASES)
def test_max_pool_matches_torch(rng, x_shape, ph, pw, stride):
    x = rng.randn(*x_shape)
    param = {"pool_height": ph, "pool_width": pw, "stride": stride}
    out, cache = max_pool_forward_naive(x, param)
    tx = torch.tensor(x, requires_grad=True)
    expected = F.max_pool2d(tx, (ph, pw), stride=stride)
    np.testing.assert_array_equal(out, expected.detach().numpy())
    dout = rng.randn(*out.shape)
    expected.backward(torch.from_numpy(dout))
    np.testing.assert_allclose(max_pool_backward_naive(dout, cache), tx.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_max_pool_backward_numeric(rng):
    x = rng.randn(2, 3, 6, 5)
    param = {"pool_height": 2, "pool_width": 2, "stride": 1}
    out, cache = max_pool_forward_naive(x, param)
    dout = rng.randn(*out.shape)
    dx = max_pool_backward_naive(dout, cache)
    dx_num = eval_numerical_gradient_array(lambda v: max_pool_forward_naive(v, param)[0], x, dout)
    assert dx.shape == x.shape
    assert rel_error(dx, dx_num) < 1e-7


def test_max_pool_backward_ties_go_to_the_first_maximum():
    # ReLU outputs are often all zero in a window: the gradient must go to
    # one entry only, not be copied to each tied entry.
    x = np.zeros((1, 1, 2, 4))
    x[0, 0, 1, 3] = 1.0
    _, cache = max_pool_forward_naive(x, {"pool_height": 2, "pool_width": 2, "stride": 2})
    dx = max_pool_backward_naive(np.array([[[[3.0, 5.0]]]]), cache)
    np.testing.assert_array_equal(dx, [[[[3.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 5.0]]]])


# --- spatial batch normalization --------------------------------------------------------


def test_spatial_batchnorm_per_channel_statistics(rng):
    x = 4.0 * rng.randn(10, 3, 5, 6) + np.array([1.0, -3.0, 7.0]).reshape(1, 3, 1, 1)
    gamma, beta = np.array([1.0, 2.0, 0.5]), np.array([0.0, 1.0, -2.0])
    bn_param = {"mode": "train"}
    out, _ = spatial_batchnorm_forward(x, gamma, beta, bn_param)
    assert out.shape == x.shape
    np.testing.assert_allclose(out.mean(axis=(0, 2, 3)), beta, atol=1e-10)
    var = x.var(axis=(0, 2, 3))
    np.testing.assert_allclose(out.std(axis=(0, 2, 3)), gamma * np.sqrt(var / (var + 1e-5)), rtol=1e-10)
    np.testing.assert_allclose(bn_param["running_mean"], 0.1 * x.mean(axis=(0, 2, 3)), rtol=1e-10)
    np.testing.assert_allclose(bn_param["running_var"], 0.1 * var, rtol=1e-10)


def test_spatial_batchnorm_matches_torch(rng):
    x = 2.0 * rng.randn(4, 3, 5, 2) + 1.0
    gamma, beta = rng.randn(3), rng.randn(3)
    out, _ = spatial_batchnorm_forward(x, gamma, beta, {"mode": "train"})
    expected = F.batch_norm(
        torch.from_numpy(x), None, None, torch.from_numpy(gamma), torch.from_numpy(beta), training=True, eps=1e-5
    )
    np.testing.assert_allclose(out, expected.numpy(), rtol=1e-10, atol=1e-12)


def test_spatial_batchnorm_test_mode(rng):
    x = rng.randn(2, 3, 4, 4)
    gamma, beta = rng.randn(3), rng.randn(3)
    rm, rv = rng.randn(3), 1.0 + rng.rand(3)
    out, _ = spatial_batchnorm_forward(x, gamma, beta, {"mode": "test", "running_mean": rm, "running_var": rv})
    c = (1, 3, 1, 1)
    expected = gamma.reshape(c) * (x - rm.reshape(c)) / np.sqrt(rv.reshape(c) + 1e-5) + beta.reshape(c)
    np.testing.assert_allclose(out, expected, rtol=1e-12)


def test_spatial_batchnorm_backward_numeric(rng):
    x = 2.0 * rng.randn(3, 2, 4, 3) + 1.0
    gamma, beta = rng.randn(2), rng.randn(2)
    dout = rng.randn(*x.shape)
    _, cache = spatial_batchnorm_forward(x, gamma, beta, {"mode": "train"})
    dx, dgamma, dbeta = spatial_batchnorm_backward(dout, cache)

    def f(x_, g_, b_):
        return spatial_batchnorm_forward(x_, g_, b_, {"mode": "train"})[0]

    assert dx.shape == x.shape and dgamma.shape == (2,) and dbeta.shape == (2,)
    assert rel_error(dx, eval_numerical_gradient_array(lambda v: f(v, gamma, beta), x, dout)) < 1e-7
    assert rel_error(dgamma, eval_numerical_gradient_array(lambda v: f(x, v, beta), gamma, dout)) < 1e-7
    assert rel_error(dbeta, eval_numerical_gradient_array(lambda v: f(x, gamma, v), beta, dout)) < 1e-7


# --- spatial group normalization ----------------------------------------------------------


@pytest.mark.parametrize("G", [1, 2, 3, 6])
def test_groupnorm_matches_torch(rng, G):
    x = 3.0 * rng.randn(2, 6, 4, 5) + 2.0
    gamma, beta = rng.randn(1, 6, 1, 1), rng.randn(1, 6, 1, 1)
    out, _ = spatial_groupnorm_forward(x, gamma, beta, G, {"eps": 1e-5})
    expected = F.group_norm(
        torch.from_numpy(x), G, torch.from_numpy(gamma.ravel()), torch.from_numpy(beta.ravel()), eps=1e-5
    )
    assert out.shape == x.shape
    np.testing.assert_allclose(out, expected.numpy(), rtol=1e-10, atol=1e-12)


def test_groupnorm_per_group_statistics(rng):
    x = 3.0 * rng.randn(2, 4, 3, 3) + 5.0
    out, _ = spatial_groupnorm_forward(x, np.ones((1, 4, 1, 1)), np.zeros((1, 4, 1, 1)), 2, {})
    groups = out.reshape(2, 2, -1)
    np.testing.assert_allclose(groups.mean(axis=2), 0.0, atol=1e-12)
    var = x.reshape(2, 2, -1).var(axis=2)
    np.testing.assert_allclose(groups.var(axis=2), var / (var + 1e-5), rtol=1e-10)


@pytest.mark.parametrize("G", [1, 2, 4])
def test_groupnorm_backward_numeric(rng, G):
    x = 2.0 * rng.randn(2, 4, 3, 2) + 1.0
    gamma, beta = rng.randn(1, 4, 1, 1), rng.randn(1, 4, 1, 1)
    dout = rng.randn(*x.shape)
    _, cache = spatial_groupnorm_forward(x, gamma, beta, G, {})
    dx, dgamma, dbeta = spatial_groupnorm_backward(dout, cache)

    def f(x_, g_, b_):
        return spatial_groupnorm_forward(x_, g_, b_, G, {})[0]

    assert dx.shape == x.shape and dgamma.shape == (1, 4, 1, 1) and dbeta.shape == (1, 4, 1, 1)
    assert rel_error(dx, eval_numerical_gradient_array(lambda v: f(v, gamma, beta), x, dout)) < 1e-7
    assert rel_error(dgamma, eval_numerical_gradient_array(lambda v: f(x, v, beta), gamma, dout)) < 1e-7
    assert rel_error(dbeta, eval_numerical_gradient_array(lambda v: f(x, gamma, v), beta, dout)) < 1e-7


def test_groupnorm_rejects_groups_that_do_not_divide_channels(rng):
    with pytest.raises(ValueError, match="G"):
        spatial_groupnorm_forward(rng.randn(1, 6, 2, 2), np.ones((1, 6, 1, 1)), np.zeros((1, 6, 1, 1)), 4, {})
