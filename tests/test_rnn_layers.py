import warnings

import numpy as np
import pytest
import torch

from cs231n.gradient_check import eval_numerical_gradient_array, rel_error
from cs231n.rnn_layers import (
    attention_lstm_backward,
    attention_lstm_forward,
    attention_lstm_step_backward,
    attention_lstm_step_forward,
    dot_product_attention,
    dot_product_attention_backward,
    lstm_backward,
    lstm_forward,
    lstm_step_backward,
    lstm_step_forward,
    rnn_backward,
    rnn_forward,
    rnn_step_backward,
    rnn_step_forward,
    sigmoid,
    temporal_affine_backward,
    temporal_affine_forward,
    temporal_softmax_loss,
    word_embedding_backward,
    word_embedding_forward,
)

# Centred differences in float64 (h = 1e-5) put a right gradient at a
# relative error (in norm) of 1e-10 to 3e-9 here; a wrong one is off by 1e-3
# or more.
# Elementwise, entries near zero reach ~1e-6, so the norm is what is compared.
TOL = 1e-7


def norm_error(a, b):
    """||a - b|| / (||a|| + ||b||): relative error of a whole array."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.linalg.norm(a - b) / max(1e-12, np.linalg.norm(a) + np.linalg.norm(b)))


def numeric(f, x, dout):
    """Numerical d sum(f(x) * dout) / dx (f reads x, which is perturbed in place)."""
    return eval_numerical_gradient_array(f, x, dout)


def assert_grad(analytic, f, x, dout, tol=TOL):
    expected = numeric(f, x, dout)
    assert analytic.shape == x.shape
    assert norm_error(analytic, expected) < tol, norm_error(analytic, expected)


# --- vanilla RNN ----------------------------------------------------------------


def test_rnn_step_forward_by_hand():
    x = np.array([[1.0, 2.0]])
    prev_h = np.array([[0.5, -1.0]])
    Wx = np.array([[0.1, -0.2], [0.3, 0.0]])
    Wh = np.array([[1.0, 0.5], [0.0, 2.0]])
    b = np.array([0.0, 0.1])
    # a = [0.1 + 0.6 + 0.5 + 0, -0.2 + 0 + 0.25 - 2 + 0.1] = [1.2, -1.85]
    next_h, _ = rnn_step_forward(x, prev_h, Wx, Wh, b)
    np.testing.assert_allclose(next_h, np.tanh([[1.2, -1.85]]), rtol=1e-12)


def test_rnn_step_backward_numeric(rng):
    N, D, H = 4, 5, 6
    x, h, Wx, Wh, b = rng.randn(N, D), rng.randn(N, H), rng.randn(D, H), rng.randn(H, H), rng.randn(H)
    dnext_h = rng.randn(N, H)
    _, cache = rnn_step_forward(x, h, Wx, Wh, b)
    dx, dh, dWx, dWh, db = rnn_step_backward(dnext_h, cache)

    def f(_):
        return rnn_step_forward(x, h, Wx, Wh, b)[0]

    for grad, arg in [(dx, x), (dh, h), (dWx, Wx), (dWh, Wh), (db, b)]:
        assert_grad(grad, f, arg, dnext_h)


def torch_rnn(x, h0, Wx, Wh, b):
    rnn = torch.nn.RNN(Wx.shape[0], Wx.shape[1], batch_first=True, nonlinearity="tanh").double()
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(torch.from_numpy(Wx.T))
        rnn.weight_hh_l0.copy_(torch.from_numpy(Wh.T))
        rnn.bias_ih_l0.copy_(torch.from_numpy(b))
        rnn.bias_hh_l0.zero_()
        out, _ = rnn(torch.from_numpy(x), torch.from_numpy(h0)[None])
    return out.numpy()


def test_rnn_forward_matches_torch(rng):
    N, T, D, H = 3, 7, 4, 5
    x, h0 = rng.randn(N, T, D), rng.randn(N, H)
    Wx, Wh, b = rng.randn(D, H) * 0.5, rng.randn(H, H) * 0.5, rng.randn(H)
    h, _ = rnn_forward(x, h0, Wx, Wh, b)
    assert h.shape == (N, T, H)
    np.testing.assert_allclose(h, torch_rnn(x, h0, Wx, Wh, b), rtol=1e-10, atol=1e-12)


def test_rnn_forward_leaves_inputs_unchanged(rng):
    x, h0, Wx, Wh, b = rng.randn(2, 3, 4), rng.randn(2, 5), rng.randn(4, 5), rng.randn(5, 5), rng.randn(5)
    copies = [a.copy() for a in (x, h0, Wx, Wh, b)]
    h, cache = rnn_forward(x, h0, Wx, Wh, b)
    rnn_backward(rng.randn(*h.shape), cache)
    for a, c in zip((x, h0, Wx, Wh, b), copies):
        np.testing.assert_array_equal(a, c)


def test_rnn_backward_numeric(rng):
    N, T, D, H = 2, 4, 3, 5
    x, h0 = rng.randn(N, T, D), rng.randn(N, H)
    Wx, Wh, b = rng.randn(D, H), rng.randn(H, H), rng.randn(H)
    dh_up = rng.randn(N, T, H)
    _, cache = rnn_forward(x, h0, Wx, Wh, b)
    grads = rnn_backward(dh_up, cache)

    def f(_):
        return rnn_forward(x, h0, Wx, Wh, b)[0]

    for grad, arg in zip(grads, (x, h0, Wx, Wh, b)):
        assert_grad(grad, f, arg, dh_up)


def test_rnn_backward_carries_gradient_through_time(rng):
    # Upstream gradient only at the last step: every earlier input still
    # receives gradient through the recurrence.
    N, T, D, H = 2, 5, 3, 4
    x, h0 = rng.randn(N, T, D), rng.randn(N, H)
    Wx, Wh, b = rng.randn(D, H), rng.randn(H, H), rng.randn(H)
    dh_up = np.zeros((N, T, H))
    dh_up[:, -1] = rng.randn(N, H)
    _, cache = rnn_forward(x, h0, Wx, Wh, b)
    dx, dh0, *_ = rnn_backward(dh_up, cache)
    assert np.all(np.abs(dx[:, 0]).sum(axis=1) > 0)
    assert np.all(np.abs(dh0).sum(axis=1) > 0)


# --- word embedding -----------------------------------------------------------------


def test_word_embedding_forward_by_hand():
    W = np.arange(12.0).reshape(4, 3)
    x = np.array([[0, 3, 3], [2, 1, 0]])
    out, _ = word_embedding_forward(x, W)
    assert out.shape == (2, 3, 3)
    np.testing.assert_array_equal(out[0, 1], [9.0, 10.0, 11.0])
    np.testing.assert_array_equal(out[1, 0], [6.0, 7.0, 8.0])
    np.testing.assert_array_equal(out, W[x])


def test_word_embedding_backward_repeated_words(rng):
    V, D = 6, 4
    W = rng.randn(V, D)
    x = np.array([[1, 1, 1, 4], [4, 0, 1, 5]])
    dout = rng.randn(2, 4, D)
    _, cache = word_embedding_forward(x, W)
    dW = word_embedding_backward(dout, cache)
    expected = np.zeros((V, D))
    for i in range(2):
        for t in range(4):
            expected[x[i, t]] += dout[i, t]
    np.testing.assert_allclose(dW, expected, rtol=1e-12)
    np.testing.assert_array_equal(dW[[2, 3]], 0)  # words that never occur
    assert_grad(dW, lambda _: word_embedding_forward(x, W)[0], W, dout)


# --- LSTM -------------------------------------------------------------------------


def test_sigmoid_stable_and_exact():
    x = np.array([-1000.0, -30.0, -1.0, 0.0, 2.0, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow in exp would raise
        s = sigmoid(x)
    np.testing.assert_allclose(s[1:5], 1 / (1 + np.exp(-x[1:5])), rtol=1e-14)
    assert s[0] == 0.0 and s[-1] == 1.0
    assert sigmoid(np.float32([-100, 3])).dtype == np.float32


def torch_lstm(x, h0, Wx, Wh, b, c0=None):
    """torch's LSTM orders the gate blocks i, f, g, o; ours are i, f, o, g."""
    H = h0.shape[1]
    order = np.r_[0 : 2 * H, 3 * H : 4 * H, 2 * H : 3 * H]
    lstm = torch.nn.LSTM(Wx.shape[0], H, batch_first=True).double()
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(torch.from_numpy(Wx.T[order]))
        lstm.weight_hh_l0.copy_(torch.from_numpy(Wh.T[order]))
        lstm.bias_ih_l0.copy_(torch.from_numpy(b[order]))
        lstm.bias_hh_l0.zero_()
        c0 = np.zeros_like(h0) if c0 is None else c0
        out, (_, c) = lstm(torch.from_numpy(x), (torch.from_numpy(h0)[None], torch.from_numpy(c0)[None]))
    return out.numpy(), c[0].numpy()


def test_lstm_step_forward_by_hand():
    # D = H = 1, so each gate is one number we can compute by hand.
    x, prev_h, prev_c = np.array([[1.0]]), np.array([[0.5]]), np.array([[2.0]])
    Wx = np.array([[0.1, 0.2, 0.3, 0.4]])
    Wh = np.array([[-1.0, 1.0, 0.0, 2.0]])
    b = np.array([0.0, 0.0, 0.5, -1.0])
    a = np.array([0.1 - 0.5, 0.2 + 0.5, 0.3 + 0.5, 0.4 + 1.0 - 1.0])
    i, f, o = 1 / (1 + np.exp(-a[:3]))
    g = np.tanh(a[3])
    next_h, next_c, _ = lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b)
    np.testing.assert_allclose(next_c, [[f * 2.0 + i * g]], rtol=1e-12)
    np.testing.assert_allclose(next_h, [[o * np.tanh(f * 2.0 + i * g)]], rtol=1e-12)


def test_lstm_step_forward_matches_torch(rng):
    N, D, H = 3, 4, 5
    x, h, c = rng.randn(N, D), rng.randn(N, H), rng.randn(N, H)
    Wx, Wh, b = rng.randn(D, 4 * H), rng.randn(H, 4 * H), rng.randn(4 * H)
    next_h, next_c, _ = lstm_step_forward(x, h, c, Wx, Wh, b)
    h_t, c_t = torch_lstm(x[:, None], h, Wx, Wh, b, c0=c)
    np.testing.assert_allclose(next_h, h_t[:, 0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(next_c, c_t, rtol=1e-10, atol=1e-12)


def test_lstm_step_backward_numeric(rng):
    N, D, H = 3, 4, 5
    x, h, c = rng.randn(N, D), rng.randn(N, H), rng.randn(N, H)
    Wx, Wh, b = rng.randn(D, 4 * H), rng.randn(H, 4 * H), rng.randn(4 * H)
    dnext_h, dnext_c = rng.randn(N, H), rng.randn(N, H)
    _, _, cache = lstm_step_forward(x, h, c, Wx, Wh, b)
    grads = lstm_step_backward(dnext_h, dnext_c, cache)

    # Both outputs at once: d(sum(next_h * dnext_h) + sum(next_c * dnext_c)).
    def f(_):
        next_h, next_c, _ = lstm_step_forward(x, h, c, Wx, Wh, b)
        return np.concatenate((next_h, next_c), axis=1)

    dout = np.concatenate((dnext_h, dnext_c), axis=1)
    for grad, arg in zip(grads, (x, h, c, Wx, Wh, b)):
        assert_grad(grad, f, arg, dout)


def test_lstm_forward_matches_torch(rng):
    N, T, D, H = 3, 6, 4, 5
    x, h0 = rng.randn(N, T, D), rng.randn(N, H)
    Wx, Wh, b = rng.randn(D, 4 * H) * 0.5, rng.randn(H, 4 * H) * 0.5, rng.randn(4 * H)
    h, _ = lstm_forward(x, h0, Wx, Wh, b)
    assert h.shape == (N, T, H)
    np.testing.assert_allclose(h, torch_lstm(x, h0, Wx, Wh, b)[0], rtol=1e-10, atol=1e-12)


def test_lstm_backward_numeric(rng):
    N, T, D, H = 2, 4, 3, 4
    x, h0 = rng.randn(N, T, D), rng.randn(N, H)
    Wx, Wh, b = rng.randn(D, 4 * H), rng.randn(H, 4 * H), rng.randn(4 * H)
    dh_up = rng.randn(N, T, H)
    _, cache = lstm_forward(x, h0, Wx, Wh, b)
    grads = lstm_backward(dh_up, cache)

    def f(_):
        return lstm_forward(x, h0, Wx, Wh, b)[0]

    for grad, arg in zip(grads, (x, h0, Wx, Wh, b)):
        assert_grad(grad, f, arg, dh_up)


# --- attention ----------------------------------------------------------------------


def test_dot_product_attention_by_loop(rng):
    N, H, G = 3, 4, 3
    prev_h, A = rng.randn(N, H), rng.randn(N, H, G, G)
    attn, weights, _ = dot_product_attention(prev_h, A)
    assert attn.shape == (N, H) and weights.shape == (N, G, G)
    for n in range(N):
        scores = np.array([[prev_h[n] @ A[n, :, r, c] / np.sqrt(H) for c in range(G)] for r in range(G)])
        w = np.exp(scores) / np.exp(scores).sum()
        np.testing.assert_allclose(weights[n], w, rtol=1e-12)
        np.testing.assert_allclose(attn[n], np.einsum("hrc,rc->h", A[n], w), rtol=1e-12)
    np.testing.assert_allclose(weights.sum(axis=(1, 2)), 1.0, rtol=1e-12)


def test_dot_product_attention_large_scores_do_not_overflow(rng):
    prev_h, A = rng.randn(2, 4) * 1e3, rng.randn(2, 4, 3, 3) * 1e3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        attn, weights, _ = dot_product_attention(prev_h, A)
    assert np.all(np.isfinite(attn)) and np.all(np.isfinite(weights))
    np.testing.assert_allclose(weights.sum(axis=(1, 2)), 1.0)


def test_dot_product_attention_backward_numeric(rng):
    N, H, G = 3, 4, 3
    prev_h, A = rng.randn(N, H), rng.randn(N, H, G, G)
    dattn = rng.randn(N, H)
    _, _, cache = dot_product_attention(prev_h, A)
    dprev_h, dA = dot_product_attention_backward(dattn, cache)

    def f(_):
        return dot_product_attention(prev_h, A)[0]

    assert_grad(dprev_h, f, prev_h, dattn)
    assert_grad(dA, f, A, dattn)


def test_attention_lstm_step_forward_is_lstm_with_extra_input(rng):
    # attn Wattn is an extra input: the step equals an LSTM step whose input
    # is [x, attn] with weights [Wx; Wattn].
    N, D, H = 3, 4, 5
    x, h, c, attn = rng.randn(N, D), rng.randn(N, H), rng.randn(N, H), rng.randn(N, H)
    Wx, Wh, Wattn, b = rng.randn(D, 4 * H), rng.randn(H, 4 * H), rng.randn(H, 4 * H), rng.randn(4 * H)
    next_h, next_c, _ = attention_lstm_step_forward(x, h, c, attn, Wx, Wh, Wattn, b)
    exp_h, exp_c, _ = lstm_step_forward(np.hstack((x, attn)), h, c, np.vstack((Wx, Wattn)), Wh, b)
    np.testing.assert_allclose(next_h, exp_h, rtol=1e-12)
    np.testing.assert_allclose(next_c, exp_c, rtol=1e-12)
    # and attn does matter
    other_h, _, _ = attention_lstm_step_forward(x, h, c, attn + 1, Wx, Wh, Wattn, b)
    assert rel_error(other_h, next_h) > 1e-3


def test_attention_lstm_step_backward_numeric(rng):
    N, D, H = 3, 4, 5
    x, h, c, attn = rng.randn(N, D), rng.randn(N, H), rng.randn(N, H), rng.randn(N, H)
    Wx, Wh, Wattn, b = rng.randn(D, 4 * H), rng.randn(H, 4 * H), rng.randn(H, 4 * H), rng.randn(4 * H)
    dnext_h, dnext_c = rng.randn(N, H), rng.randn(N, H)
    _, _, cache = attention_lstm_step_forward(x, h, c, attn, Wx, Wh, Wattn, b)
    grads = attention_lstm_step_backward(dnext_h, dnext_c, cache)

    def f(_):
        next_h, next_c, _ = attention_lstm_step_forward(x, h, c, attn, Wx, Wh, Wattn, b)
        return np.concatenate((next_h, next_c), axis=1)

    dout = np.concatenate((dnext_h, dnext_c), axis=1)
    for grad, arg in zip(grads, (x, h, c, attn, Wx, Wh, Wattn, b)):
        assert_grad(grad, f, arg, dout)


def test_attention_lstm_forward_by_steps(rng):
    N, T, D, H, G = 2, 3, 4, 5, 3
    x, A = rng.randn(N, T, D), rng.randn(N, H, G, G)
    Wx, Wh, Wattn, b = rng.randn(D, 4 * H), rng.randn(H, 4 * H), rng.randn(H, 4 * H), rng.randn(4 * H)
    h, weights, _ = attention_lstm_forward(x, A, Wx, Wh, Wattn, b)
    assert h.shape == (N, T, H) and weights.shape == (N, T, G, G)
    prev_h = prev_c = A.mean(axis=(2, 3))
    for t in range(T):
        attn, w, _ = dot_product_attention(prev_h, A)
        prev_h, prev_c, _ = attention_lstm_step_forward(x[:, t], prev_h, prev_c, attn, Wx, Wh, Wattn, b)
        np.testing.assert_allclose(h[:, t], prev_h, rtol=1e-12)
        np.testing.assert_allclose(weights[:, t], w, rtol=1e-12)


def test_attention_lstm_first_step_by_hand(rng):
    # T = 1 written out: h0 = c0 = mean of A over the grid.
    N, D, H, G = 2, 3, 2, 2
    x, A = rng.randn(N, 1, D), rng.randn(N, H, G, G)
    Wx, Wh, Wattn, b = rng.randn(D, 4 * H), rng.randn(H, 4 * H), rng.randn(H, 4 * H), rng.randn(4 * H)
    h, weights, _ = attention_lstm_forward(x, A, Wx, Wh, Wattn, b)
    h0 = A.reshape(N, H, -1).mean(axis=2)
    s = np.einsum("nh,nhl->nl", h0, A.reshape(N, H, -1)) / np.sqrt(H)
    w = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
    attn = np.einsum("nhl,nl->nh", A.reshape(N, H, -1), w)
    a = x[:, 0] @ Wx + h0 @ Wh + attn @ Wattn + b
    sig = 1 / (1 + np.exp(-a[:, : 3 * H]))
    i, f, o = sig[:, :H], sig[:, H : 2 * H], sig[:, 2 * H :]
    c = f * h0 + i * np.tanh(a[:, 3 * H :])
    np.testing.assert_allclose(h[:, 0], o * np.tanh(c), rtol=1e-12)
    np.testing.assert_allclose(weights[:, 0].reshape(N, -1), w, rtol=1e-12)


def test_attention_lstm_backward_numeric(rng):
    N, T, D, H, G = 2, 3, 3, 4, 2
    x, A = rng.randn(N, T, D), rng.randn(N, H, G, G)
    Wx, Wh, Wattn, b = rng.randn(D, 4 * H), rng.randn(H, 4 * H), rng.randn(H, 4 * H), rng.randn(4 * H)
    dh_up = rng.randn(N, T, H)
    _, _, cache = attention_lstm_forward(x, A, Wx, Wh, Wattn, b)
    grads = attention_lstm_backward(dh_up, cache)

    def f(_):
        return attention_lstm_forward(x, A, Wx, Wh, Wattn, b)[0]

    for grad, arg in zip(grads, (x, A, Wx, Wh, Wattn, b)):
        assert_grad(grad, f, arg, dh_up)


# --- temporal layers ----------------------------------------------------------------


def test_temporal_affine_numeric(rng):
    N, T, D, M = 2, 3, 4, 5
    x, w, b = rng.randn(N, T, D), rng.randn(D, M), rng.randn(M)
    dout = rng.randn(N, T, M)
    out, cache = temporal_affine_forward(x, w, b)
    np.testing.assert_allclose(out[1, 2], x[1, 2] @ w + b, rtol=1e-12)
    grads = temporal_affine_backward(dout, cache)

    def f(_):
        return temporal_affine_forward(x, w, b)[0]

    for grad, arg in zip(grads, (x, w, b)):
        assert_grad(grad, f, arg, dout)


def test_temporal_softmax_loss_matches_torch(rng):
    N, T, V = 4, 5, 7
    x, y = rng.randn(N, T, V), rng.randint(V, size=(N, T))
    mask = rng.rand(N, T) > 0.3
    loss, _ = temporal_softmax_loss(x, y, mask)
    per_step = torch.nn.functional.cross_entropy(
        torch.from_numpy(x.reshape(-1, V)), torch.from_numpy(y.reshape(-1)), reduction="none"
    ).numpy()
    np.testing.assert_allclose(loss, (per_step * mask.reshape(-1)).sum() / N, rtol=1e-12)


def test_temporal_softmax_loss_scale():
    # Uniform scores: each unmasked step costs log V; the sum is divided by N.
    N, T, V = 10, 8, 20
    x = np.zeros((N, T, V))
    y = np.zeros((N, T), dtype=int)
    mask = np.zeros((N, T), dtype=bool)
    mask[:, :3] = True
    loss, _ = temporal_softmax_loss(x, y, mask)
    np.testing.assert_allclose(loss, 3 * np.log(V), rtol=1e-12)


def test_temporal_softmax_loss_gradient_and_mask(rng):
    N, T, V = 3, 4, 6
    x, y = rng.randn(N, T, V), rng.randint(V, size=(N, T))
    mask = rng.rand(N, T) > 0.4
    loss, dx = temporal_softmax_loss(x, y, mask)
    num = eval_numerical_gradient_array(lambda _: np.array(temporal_softmax_loss(x, y, mask)[0]), x, np.array(1.0))
    assert norm_error(dx, num) < TOL
    assert np.all(dx[~mask] == 0)
    # Changing a masked target or its scores changes nothing.
    y2, x2 = y.copy(), x.copy()
    y2[~mask] = (y2[~mask] + 1) % V
    x2[~mask] += 5.0
    loss2, dx2 = temporal_softmax_loss(x2, y2, mask)
    assert loss2 == pytest.approx(loss, rel=1e-14)
    np.testing.assert_array_equal(dx2, dx)


# --- dtype ----------------------------------------------------------------------------


def test_float32_stays_float32(rng):
    N, T, D, H, G, V = 2, 3, 4, 5, 3, 7
    f32 = lambda *shape: rng.randn(*shape).astype(np.float32)  # noqa: E731
    x, h0 = f32(N, T, D), f32(N, H)

    h, cache = rnn_forward(x, h0, f32(D, H), f32(H, H), f32(H))
    assert h.dtype == np.float32
    assert all(g.dtype == np.float32 for g in rnn_backward(f32(N, T, H), cache))

    h, cache = lstm_forward(x, h0, f32(D, 4 * H), f32(H, 4 * H), f32(4 * H))
    assert h.dtype == np.float32
    assert all(g.dtype == np.float32 for g in lstm_backward(f32(N, T, H), cache))

    A = f32(N, H, G, G)
    h, weights, cache = attention_lstm_forward(x, A, f32(D, 4 * H), f32(H, 4 * H), f32(H, 4 * H), f32(4 * H))
    assert h.dtype == np.float32 and weights.dtype == np.float32
    assert all(g.dtype == np.float32 for g in attention_lstm_backward(f32(N, T, H), cache))

    attn, weights, cache = dot_product_attention(f32(N, H), A)
    assert attn.dtype == np.float32 and weights.dtype == np.float32
    assert all(g.dtype == np.float32 for g in dot_product_attention_backward(f32(N, H), cache))

    out, cache = word_embedding_forward(rng.randint(V, size=(N, T)), f32(V, D))
    assert out.dtype == np.float32
    assert word_embedding_backward(f32(N, T, D), cache).dtype == np.float32

    scores, cache = temporal_affine_forward(f32(N, T, H), f32(H, V), f32(V))
    assert scores.dtype == np.float32
    _, dscores = temporal_softmax_loss(scores, rng.randint(V, size=(N, T)), np.ones((N, T), bool))
    assert dscores.dtype == np.float32
    assert all(g.dtype == np.float32 for g in temporal_affine_backward(dscores, cache))
