import numpy as np
import pytest
import torch

from cs231n import fast_layers
from cs231n.fast_layers import (
    conv_backward_fast,
    conv_forward_fast,
    max_pool_backward_fast,
    max_pool_forward_fast,
)
from cs231n.gradient_check import eval_numerical_gradient_array, rel_error
from cs231n.layers import (
    conv_backward_naive,
    conv_forward_naive,
    max_pool_backward_naive,
    max_pool_forward_naive,
)

F_torch = torch.nn.functional

# (N, C, H, W, F, HH, WW, stride, pad)
CONV_SHAPES = [
    (2, 3, 8, 8, 4, 3, 3, 1, 1),
    (2, 3, 7, 9, 3, 3, 3, 2, 0),     # odd sizes, stride 2
    (1, 1, 5, 5, 2, 5, 5, 1, 2),     # one channel, filter as large as the input
    (3, 2, 11, 10, 2, 4, 5, 2, 3),   # non-square filter, pad 3
    (2, 4, 6, 6, 3, 1, 1, 1, 0),     # 1x1 convolution
    (2, 3, 9, 9, 2, 3, 3, 3, 2),     # stride 3 not dividing the padded size
    (2, 2, 8, 8, 2, 2, 2, 3, 0),     # stride > filter: some pixels unseen
    (1, 3, 6, 7, 5, 3, 2, 2, 1),
]
TOL = {np.float32: dict(rtol=1e-4, atol=1e-4), np.float64: dict(rtol=1e-10, atol=1e-10)}


def _conv_inputs(rng, shape, dtype):
    N, C, H, W, F, HH, WW, stride, pad = shape
    x = rng.randn(N, C, H, W).astype(dtype)
    w = rng.randn(F, C, HH, WW).astype(dtype)
    b = rng.randn(F).astype(dtype)
    return x, w, b, {"stride": stride, "pad": pad}


def _torch_conv(x, w, b, conv_param, dout):
    xt, wt, bt = (torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in (x, w, b))
    out = F_torch.conv2d(xt, wt, bt, stride=conv_param["stride"], padding=conv_param["pad"])
    out.backward(torch.tensor(dout, dtype=torch.float64))
    return out.detach().numpy(), xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", CONV_SHAPES)
def test_conv_fast_matches_naive_and_torch(rng, shape, dtype):
    x, w, b, conv_param = _conv_inputs(rng, shape, dtype)
    out, cache = conv_forward_fast(x, w, b, conv_param)
    out_naive, cache_naive = conv_forward_naive(x, w, b, conv_param)
    dout = rng.randn(*out_naive.shape).astype(dtype)
    grads = conv_backward_fast(dout, cache)
    grads_naive = conv_backward_naive(dout, cache_naive)
    out_torch, *grads_torch = _torch_conv(x, w, b, conv_param, dout)

    assert out.dtype == dtype
    np.testing.assert_allclose(out, out_naive, **TOL[dtype])
    np.testing.assert_allclose(out, out_torch, **TOL[dtype])
    for name, g, g_naive, g_torch, ref in zip("xwb", grads, grads_naive, grads_torch, (x, w, b)):
        assert g.shape == ref.shape, name
        assert g.dtype == dtype, name
        np.testing.assert_allclose(g, g_naive, **TOL[dtype], err_msg=f"d{name} vs naive")
        np.testing.assert_allclose(g, g_torch, **TOL[dtype], err_msg=f"d{name} vs torch")


@pytest.mark.parametrize("shape", [CONV_SHAPES[1], CONV_SHAPES[3], CONV_SHAPES[6]])
def test_conv_backward_fast_numeric(rng, shape):
    x, w, b, conv_param = _conv_inputs(rng, shape, np.float64)
    out, cache = conv_forward_fast(x, w, b, conv_param)
    dout = rng.randn(*out.shape)
    dx, dw, db = conv_backward_fast(dout, cache)

    def fwd(x_, w_, b_):
        return conv_forward_fast(x_, w_, b_, conv_param)[0]

    assert rel_error(dx, eval_numerical_gradient_array(lambda v: fwd(v, w, b), x, dout)) < 1e-7
    assert rel_error(dw, eval_numerical_gradient_array(lambda v: fwd(x, v, b), w, dout)) < 1e-7
    assert rel_error(db, eval_numerical_gradient_array(lambda v: fwd(x, w, v), b, dout)) < 1e-7


@pytest.mark.parametrize("chunk_elements", [1, 500])
def test_conv_backward_fast_in_chunks_matches_torch(rng, monkeypatch, chunk_elements):
    # Large batches are back-propagated a few examples at a time; force one
    # example (1) and two examples (500 entries, 243 per example) per chunk.
    monkeypatch.setattr(fast_layers, "_CHUNK_ELEMENTS", chunk_elements)
    x, w, b, conv_param = _conv_inputs(rng, (5, 3, 6, 6, 2, 3, 3, 2, 1), np.float64)
    out, cache = conv_forward_fast(x, w, b, conv_param)
    assert cache[2][0].size == 27 * 9
    dout = rng.randn(*out.shape)
    _, *grads_torch = _torch_conv(x, w, b, conv_param, dout)
    for g, g_torch in zip(conv_backward_fast(dout, cache), grads_torch):
        np.testing.assert_allclose(g, g_torch, **TOL[np.float64])


def test_conv_forward_fast_hand_computed():
    # A 1x1 image padded by 1, one 3x3 filter: the single output pixel sees
    # only the filter's centre times the pixel, plus the bias.
    x = np.array([[[[2.0]]]])
    w = np.arange(9.0).reshape(1, 1, 3, 3)
    out, cache = conv_forward_fast(x, w, np.array([0.5]), {"stride": 1, "pad": 1})
    assert out.shape == (1, 1, 1, 1)
    assert out[0, 0, 0, 0] == 2.0 * 4.0 + 0.5
    dx, dw, db = conv_backward_fast(np.ones((1, 1, 1, 1)), cache)
    assert dx[0, 0, 0, 0] == 4.0
    expected_dw = np.zeros((1, 1, 3, 3))
    expected_dw[0, 0, 1, 1] = 2.0
    np.testing.assert_array_equal(dw, expected_dw)
    np.testing.assert_array_equal(db, [1.0])


def test_conv_forward_fast_leaves_input_unchanged(rng):
    x, w, b, conv_param = _conv_inputs(rng, CONV_SHAPES[0], np.float64)
    x_copy, w_copy = x.copy(), w.copy()
    out, cache = conv_forward_fast(x, w, b, conv_param)
    conv_backward_fast(np.ones_like(out), cache)
    np.testing.assert_array_equal(x, x_copy)
    np.testing.assert_array_equal(w, w_copy)


@pytest.mark.parametrize(
    "args, message",
    [
        (((2, 3, 5, 5), (4, 2, 3, 3), (4,), {"stride": 1, "pad": 0}), "channels"),
        (((2, 3, 5, 5), (4, 3, 3, 3), (3,), {"stride": 1, "pad": 0}), "b must"),
        (((2, 3, 5, 5), (4, 3, 3, 3), (4,), {"stride": 0, "pad": 0}), "stride"),
        (((2, 3, 5, 5), (4, 3, 3, 3), (4,), {"stride": 1, "pad": -1}), "pad"),
        (((2, 3, 5, 5), (4, 3, 3, 3), (4,), {"stride": 1}), "pad"),
        (((2, 3, 2, 5), (4, 3, 3, 3), (4,), {"stride": 1, "pad": 0}), "filter height"),
        (((3, 5, 5), (4, 3, 3, 3), (4,), {"stride": 1, "pad": 0}), "x must"),
    ],
)
def test_conv_forward_fast_validates_arguments(args, message):
    x_shape, w_shape, b_shape, conv_param = args
    with pytest.raises(ValueError, match=message):
        conv_forward_fast(np.zeros(x_shape), np.zeros(w_shape), np.zeros(b_shape), conv_param)


# (N, C, H, W, pool_height, pool_width, stride)
POOL_SHAPES = [
    (2, 3, 8, 8, 2, 2, 2),     # tiles exactly: reshape path
    (2, 2, 6, 9, 3, 3, 3),     # tiles exactly, odd window
    (1, 1, 4, 6, 2, 3, 2),     # non-square window: window path
    (2, 3, 7, 7, 2, 2, 2),     # odd size, a row and column left over
    (2, 2, 7, 8, 3, 3, 1),     # overlapping windows
    (2, 2, 9, 9, 3, 2, 2),     # overlapping along H only
    (1, 3, 9, 9, 2, 2, 3),     # stride > window: gaps
]


def _pool_param(shape):
    return {"pool_height": shape[4], "pool_width": shape[5], "stride": shape[6]}


def _torch_pool(x, pool_param, dout):
    xt = torch.tensor(x, requires_grad=True)
    out = F_torch.max_pool2d(
        xt, (pool_param["pool_height"], pool_param["pool_width"]), stride=pool_param["stride"]
    )
    out.backward(torch.tensor(dout))
    return out.detach().numpy(), xt.grad.numpy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", POOL_SHAPES)
def test_max_pool_fast_matches_naive_and_torch(rng, shape, dtype):
    x = rng.randn(*shape[:4]).astype(dtype)
    pool_param = _pool_param(shape)
    out, cache = max_pool_forward_fast(x, pool_param)
    out_naive, cache_naive = max_pool_forward_naive(x, pool_param)
    dout = rng.randn(*out_naive.shape).astype(dtype)
    dx = max_pool_backward_fast(dout, cache)
    out_torch, dx_torch = _torch_pool(x, pool_param, dout)

    assert out.dtype == dtype and dx.dtype == dtype
    # A maximum is exact: no tolerance needed.
    np.testing.assert_array_equal(out, out_naive)
    np.testing.assert_array_equal(out, out_torch)
    np.testing.assert_allclose(dx, max_pool_backward_naive(dout, cache_naive), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(dx, dx_torch, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("shape", POOL_SHAPES)
def test_max_pool_ties_go_to_first_maximum(rng, shape):
    # Few distinct values make many ties; the naive layer and torch both send
    # each window's gradient to its first maximum in row-major order.
    x = rng.randint(0, 3, size=shape[:4]).astype(np.float64)
    pool_param = _pool_param(shape)
    out, cache = max_pool_forward_fast(x, pool_param)
    dout = rng.randn(*out.shape)
    dx = max_pool_backward_fast(dout, cache)
    _, cache_naive = max_pool_forward_naive(x, pool_param)
    np.testing.assert_allclose(dx, max_pool_backward_naive(dout, cache_naive), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dx, _torch_pool(x, pool_param, dout)[1], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("pool_param", [
    {"pool_height": 2, "pool_width": 2, "stride": 2},   # reshape path
    {"pool_height": 2, "pool_width": 2, "stride": 1},   # window path
])
def test_max_pool_tie_hand_computed(pool_param):
    x = np.ones((1, 1, 2, 2))
    out, cache = max_pool_forward_fast(x, pool_param)
    dx = max_pool_backward_fast(np.full(out.shape, 5.0), cache)
    np.testing.assert_array_equal(dx, [[[[5.0, 0.0], [0.0, 0.0]]]])


def test_max_pool_backward_fast_numeric(rng):
    for shape in (POOL_SHAPES[0], POOL_SHAPES[4]):
        # Distinct values keep every maximum away from a tie, where the
        # function is not differentiable.
        x = rng.permutation(np.prod(shape[:4])).reshape(shape[:4]) / 10.0
        pool_param = _pool_param(shape)
        out, cache = max_pool_forward_fast(x, pool_param)
        dout = rng.randn(*out.shape)
        dx = max_pool_backward_fast(dout, cache)
        dx_num = eval_numerical_gradient_array(
            lambda v: max_pool_forward_fast(v, pool_param)[0], x, dout
        )
        assert rel_error(dx, dx_num) < 1e-7


@pytest.mark.parametrize("pool_param, message", [
    ({"pool_height": 2, "pool_width": 2}, "stride"),
    ({"pool_height": 0, "pool_width": 2, "stride": 1}, "pool_height"),
    ({"pool_height": 2, "pool_width": 9, "stride": 1}, "pool width"),
])
def test_max_pool_forward_fast_validates_arguments(pool_param, message):
    with pytest.raises(ValueError, match=message):
        max_pool_forward_fast(np.zeros((1, 1, 4, 4)), pool_param)
