"""Recurrent layers as forward/backward pairs: vanilla RNN, LSTM, attention LSTM.

Sequences are batch-major: ``x`` of shape (N, T, D) holds N sequences of T
vectors of size D, and the hidden states ``h`` of shape (N, T, H) hold the
state after each step. Every ``*_forward`` returns its outputs and a cache;
the matching ``*_backward`` takes the upstream gradient(s) and that cache and
returns the gradients of the inputs. The time loops run over T only; every
step is vectorised over the batch.

Outputs keep the dtype of the inputs, so a float32 model stays float32.
"""

import math

import numpy as np


# --- vanilla RNN ----------------------------------------------------------------


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    """One time step of a vanilla RNN with a tanh nonlinearity.

    ``next_h = tanh(x Wx + prev_h Wh + b)``.

    Parameters
    ----------
    x : ndarray, shape (N, D)
        Inputs of this step.
    prev_h : ndarray, shape (N, H)
        Hidden state of the previous step.
    Wx : ndarray, shape (D, H)
        Input-to-hidden weights.
    Wh : ndarray, shape (H, H)
        Hidden-to-hidden weights.
    b : ndarray, shape (H,)
        Biases.

    Returns
    -------
    next_h : ndarray, shape (N, H)
        Next hidden state.
    cache : tuple
        What ``rnn_step_backward`` needs (the reference keeps
        ``(x, prev_h, Wx, Wh, next_h)``).
    """
    next_h, cache = None, None
    # TODO: Compute next_h (N, H) as in the docstring and store in `cache`
    # what the backward pass needs. Hint: tanh'(a) = 1 - tanh(a)**2, so
    # keeping next_h saves keeping the pre-activation.
    ### BEGIN SOLUTION assignment3
    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)
    cache = (x, prev_h, Wx, Wh, next_h)
    ### END SOLUTION
    return next_h, cache


def rnn_step_backward(dnext_h, cache):
    """Backward pass of one vanilla RNN step.

    Parameters
    ----------
    dnext_h : ndarray, shape (N, H)
        Gradient of the loss with respect to ``next_h``.
    cache : tuple
        From ``rnn_step_forward``.

    Returns
    -------
    dx : ndarray, shape (N, D)
    dprev_h : ndarray, shape (N, H)
    dWx : ndarray, shape (D, H)
    dWh : ndarray, shape (H, H)
    db : ndarray, shape (H,)
    """
    dx, dprev_h, dWx, dWh, db = None, None, None, None, None
    # TODO: First backpropagate through the tanh to get the gradient of the
    # pre-activation a = x Wx + prev_h Wh + b (N, H); each gradient is then
    # one matrix product with a or one sum of it over the batch.
    ### BEGIN SOLUTION assignment3
    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h * (1 - next_h**2)
    dx = da @ Wx.T
    dprev_h = da @ Wh.T
    dWx = x.T @ da
    dWh = prev_h.T @ da
    db = da.sum(axis=0)
    ### END SOLUTION
    return dx, dprev_h, dWx, dWh, db


def rnn_forward(x, h0, Wx, Wh, b):
    """A vanilla RNN run over whole sequences.

    Parameters
    ----------
    x : ndarray, shape (N, T, D)
        Input sequences.
    h0 : ndarray, shape (N, H)
        Initial hidden state.
    Wx : ndarray, shape (D, H)
    Wh : ndarray, shape (H, H)
    b : ndarray, shape (H,)

    Returns
    -------
    h : ndarray, shape (N, T, H)
        Hidden state after every step.
    cache : object
        What ``rnn_backward`` needs (the reference keeps the list of the T
        step caches).
    """
    h, cache = None, None
    # TODO: Loop over the T time steps with rnn_step_forward, feeding each
    # step the previous hidden state (h0 at t = 0), and collect the states in
    # h (N, T, H) with the dtype of x. Keep the step caches for the backward
    # pass.
    ### BEGIN SOLUTION assignment3
    N, T, _ = x.shape
    h = np.zeros((N, T, h0.shape[1]), dtype=x.dtype)
    cache = []
    prev_h = h0
    for t in range(T):
        prev_h, step_cache = rnn_step_forward(x[:, t], prev_h, Wx, Wh, b)
        h[:, t] = prev_h
        cache.append(step_cache)
    ### END SOLUTION
    return h, cache


def rnn_backward(dh, cache):
    """Backward pass of ``rnn_forward``.

    Parameters
    ----------
    dh : ndarray, shape (N, T, H)
        Upstream gradient of every hidden state (from the layer above only;
        the gradient flowing back through time is added here).
    cache : object
        From ``rnn_forward``.

    Returns
    -------
    dx : ndarray, shape (N, T, D)
    dh0 : ndarray, shape (N, H)
    dWx : ndarray, shape (D, H)
    dWh : ndarray, shape (H, H)
    db : ndarray, shape (H,)
    """
    dx, dh0, dWx, dWh, db = None, None, None, None, None
    # TODO: Walk the steps backwards with rnn_step_backward. The hidden state
    # of step t receives gradient from the layer above (dh[:, t]) and from
    # step t + 1 (its dprev_h); add them. The weights are shared by all
    # steps, so their gradients are summed over t. dh0 is the dprev_h of the
    # first step.
    ### BEGIN SOLUTION assignment3
    N, T, H = dh.shape
    D = cache[0][0].shape[1]
    dx = np.zeros((N, T, D), dtype=dh.dtype)
    dprev_h = np.zeros((N, H), dtype=dh.dtype)
    dWx, dWh, db = 0, 0, 0
    for t in reversed(range(T)):
        dx[:, t], dprev_h, dWx_t, dWh_t, db_t = rnn_step_backward(dh[:, t] + dprev_h, cache[t])
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    dh0 = dprev_h
    ### END SOLUTION
    return dx, dh0, dWx, dWh, db


# --- word embedding ---------------------------------------------------------------


def word_embedding_forward(x, W):
    """Look up the vector of each word.

    Parameters
    ----------
    x : ndarray of int, shape (N, T)
        Word indices, ``0 <= x[i, j] < V``.
    W : ndarray, shape (V, D)
        One row (word vector) per word of the vocabulary.

    Returns
    -------
    out : ndarray, shape (N, T, D)
        ``out[i, j] = W[x[i, j]]``.
    cache : tuple
        What ``word_embedding_backward`` needs (the reference keeps
        ``(x, W)``).
    """
    out, cache = None, None
    # TODO: One line of integer-array indexing gives out (N, T, D).
    ### BEGIN SOLUTION assignment3
    out = W[x]
    cache = (x, W)
    ### END SOLUTION
    return out, cache


def word_embedding_backward(dout, cache):
    """Backward pass of ``word_embedding_forward``.

    Word indices are not differentiable; only W gets a gradient.

    Parameters
    ----------
    dout : ndarray, shape (N, T, D)
        Upstream gradient.
    cache : tuple
        From ``word_embedding_forward``.

    Returns
    -------
    dW : ndarray, shape (V, D)
    """
    dW = None
    # TODO: Each row of W receives the sum of dout over every position where
    # its word occurs. A word can occur many times in a batch, and
    # ``dW[x] += dout`` then counts it only once: use np.add.at.
    ### BEGIN SOLUTION assignment3
    x, W = cache
    dW = np.zeros(W.shape, dtype=dout.dtype)
    np.add.at(dW, x, dout)
    ### END SOLUTION
    return dW


# --- LSTM -------------------------------------------------------------------------


def sigmoid(x):
    """Logistic function ``1 / (1 + exp(-x))``, without overflow for large |x|.

    Parameters
    ----------
    x : ndarray, any shape

    Returns
    -------
    ndarray, same shape and dtype as x
    """
    # exp is only ever taken of -|x| <= 0, so it never overflows: with
    # z = exp(-|x|), sigmoid(x) = 1 / (1 + z) for x >= 0 and z / (1 + z) for
    # x < 0 (the same function, multiplied through by exp(x)).
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1, z) / (1 + z)


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    """One time step of an LSTM.

    With ``a = x Wx + prev_h Wh + b`` of shape (N, 4H) cut into four blocks
    of H columns, in this order::

        i = sigmoid(a[:, 0H:1H])    input gate
        f = sigmoid(a[:, 1H:2H])    forget gate
        o = sigmoid(a[:, 2H:3H])    output gate
        g = tanh(a[:, 3H:4H])       candidate cell values
        next_c = f * prev_c + i * g
        next_h = o * tanh(next_c)

    Parameters
    ----------
    x : ndarray, shape (N, D)
    prev_h : ndarray, shape (N, H)
    prev_c : ndarray, shape (N, H)
        Previous cell state.
    Wx : ndarray, shape (D, 4H)
    Wh : ndarray, shape (H, 4H)
    b : ndarray, shape (4H,)

    Returns
    -------
    next_h : ndarray, shape (N, H)
    next_c : ndarray, shape (N, H)
    cache : tuple
        What ``lstm_step_backward`` needs (the reference keeps the inputs,
        the four gates and tanh(next_c)).
    """
    next_h, next_c, cache = None, None, None
    # TODO: Compute the activations a (N, 4H), the gates i, f, o, g (N, H)
    # in the order above (use the provided sigmoid), then next_c and next_h.
    # Keep what the backward pass needs in `cache`.
    ### BEGIN SOLUTION assignment3
    H = prev_h.shape[1]
    a = x @ Wx + prev_h @ Wh + b
    gates = sigmoid(a[:, : 3 * H])
    i, f, o = gates[:, :H], gates[:, H : 2 * H], gates[:, 2 * H :]
    g = np.tanh(a[:, 3 * H :])
    next_c = f * prev_c + i * g
    tanh_c = np.tanh(next_c)
    next_h = o * tanh_c
    cache = (x, prev_h, prev_c, Wx, Wh, i, f, o, g, tanh_c)
    ### END SOLUTION
    return next_h, next_c, cache


def lstm_step_backward(dnext_h, dnext_c, cache):
    """Backward pass of one LSTM step.

    Parameters
    ----------
    dnext_h : ndarray, shape (N, H)
        Gradient of the loss with respect to ``next_h``.
    dnext_c : ndarray, shape (N, H)
        Gradient of the loss with respect to ``next_c`` (from the next step).
    cache : tuple
        From ``lstm_step_forward``.

    Returns
    -------
    dx : ndarray, shape (N, D)
    dprev_h : ndarray, shape (N, H)
    dprev_c : ndarray, shape (N, H)
    dWx : ndarray, shape (D, 4H)
    dWh : ndarray, shape (H, 4H)
    db : ndarray, shape (4H,)
    """
    dx, dprev_h, dprev_c, dWx, dWh, db = None, None, None, None, None, None
    # TODO: next_c reaches the loss twice: directly (dnext_c) and through
    # next_h = o * tanh(next_c); add both. From the total gradient of next_c
    # get the gradients of prev_c, i, f and g; the gradient of o comes from
    # next_h. Turn the gate gradients into the gradient of a (N, 4H), in the
    # order i, f, o, g (sigmoid' = s (1 - s), tanh' = 1 - tanh**2), then
    # finish as in rnn_step_backward.
    ### BEGIN SOLUTION assignment3
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, tanh_c = cache
    dc = dnext_c + dnext_h * o * (1 - tanh_c**2)
    da = np.concatenate(
        (
            dc * g * i * (1 - i),
            dc * prev_c * f * (1 - f),
            dnext_h * tanh_c * o * (1 - o),
            dc * i * (1 - g**2),
        ),
        axis=1,
    )
    dprev_c = dc * f
    dx = da @ Wx.T
    dprev_h = da @ Wh.T
    dWx = x.T @ da
    dWh = prev_h.T @ da
    db = da.sum(axis=0)
    ### END SOLUTION
    return dx, dprev_h, dprev_c, dWx, dWh, db


def lstm_forward(x, h0, Wx, Wh, b):
    """An LSTM run over whole sequences; the initial cell state is zero.

    Parameters
    ----------
    x : ndarray, shape (N, T, D)
    h0 : ndarray, shape (N, H)
        Initial hidden state.
    Wx : ndarray, shape (D, 4H)
    Wh : ndarray, shape (H, 4H)
    b : ndarray, shape (4H,)

    Returns
    -------
    h : ndarray, shape (N, T, H)
        Hidden state after every step.
    cache : object
        What ``lstm_backward`` needs (the reference keeps the list of the T
        step caches).
    """
    h, cache = None, None
    # TODO: As rnn_forward, with lstm_step_forward and a cell state that
    # starts at zeros (N, H) and is passed from step to step. Only the hidden
    # states are returned.
    ### BEGIN SOLUTION assignment3
    N, T, _ = x.shape
    h = np.zeros((N, T, h0.shape[1]), dtype=x.dtype)
    cache = []
    prev_h, prev_c = h0, np.zeros_like(h0)
    for t in range(T):
        prev_h, prev_c, step_cache = lstm_step_forward(x[:, t], prev_h, prev_c, Wx, Wh, b)
        h[:, t] = prev_h
        cache.append(step_cache)
    ### END SOLUTION
    return h, cache


def lstm_backward(dh, cache):
    """Backward pass of ``lstm_forward``.

    Parameters
    ----------
    dh : ndarray, shape (N, T, H)
        Upstream gradient of every hidden state.
    cache : object
        From ``lstm_forward``.

    Returns
    -------
    dx : ndarray, shape (N, T, D)
    dh0 : ndarray, shape (N, H)
    dWx : ndarray, shape (D, 4H)
    dWh : ndarray, shape (H, 4H)
    db : ndarray, shape (4H,)
    """
    dx, dh0, dWx, dWh, db = None, None, None, None, None
    # TODO: As rnn_backward, with lstm_step_backward; the cell state also
    # carries a gradient from step t + 1 back to step t (zero after the last
    # step, since c is not an output).
    ### BEGIN SOLUTION assignment3
    N, T, H = dh.shape
    D = cache[0][0].shape[1]
    dx = np.zeros((N, T, D), dtype=dh.dtype)
    dprev_h = np.zeros((N, H), dtype=dh.dtype)
    dprev_c = np.zeros((N, H), dtype=dh.dtype)
    dWx, dWh, db = 0, 0, 0
    for t in reversed(range(T)):
        dx[:, t], dprev_h, dprev_c, dWx_t, dWh_t, db_t = lstm_step_backward(
            dh[:, t] + dprev_h, dprev_c, cache[t]
        )
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    dh0 = dprev_h
    ### END SOLUTION
    return dx, dh0, dWx, dWh, db


# --- attention LSTM ---------------------------------------------------------------


def dot_product_attention(prev_h, A):
    """Soft attention of a hidden state over a grid of feature vectors.

    ``A`` holds a vector of size H at each of the L = G * G locations of a
    G x G grid. With ``A_l`` the vector at location l::

        s_l = prev_h . A_l / sqrt(H)          scores, (N, L)
        w = softmax(s) over the L locations   attention weights
        attn = sum_l w_l A_l                  attended vector, (N, H)

    Parameters
    ----------
    prev_h : ndarray, shape (N, H)
        Query: the hidden state of the previous step.
    A : ndarray, shape (N, H, G, G)
        Projected features of each location.

    Returns
    -------
    attn : ndarray, shape (N, H)
    attn_weights : ndarray, shape (N, G, G)
        The weights w on the grid; they sum to 1 over each example's grid.
    cache : tuple
        What ``dot_product_attention_backward`` needs (the reference keeps
        ``(prev_h, A, w)`` with w of shape (N, L)).
    """
    attn, attn_weights, cache = None, None, None
    # TODO: Reshape A to (N, H, L), compute the scores (N, L) (np.einsum or
    # batched matmul), subtract each row's maximum before the softmax so that
    # exp cannot overflow, then attn (N, H). Use math.sqrt(H) (a Python
    # float) so float32 inputs stay float32.
    ### BEGIN SOLUTION assignment3
    N, H, G, _ = A.shape
    A_flat = A.reshape(N, H, G * G)
    scores = np.einsum("nh,nhl->nl", prev_h, A_flat) / math.sqrt(H)
    scores -= scores.max(axis=1, keepdims=True)
    w = np.exp(scores)
    w /= w.sum(axis=1, keepdims=True)
    attn = np.einsum("nhl,nl->nh", A_flat, w)
    attn_weights = w.reshape(N, G, G)
    cache = (prev_h, A, w)
    ### END SOLUTION
    return attn, attn_weights, cache


def dot_product_attention_backward(dattn, cache):
    """Backward pass of ``dot_product_attention``.

    Parameters
    ----------
    dattn : ndarray, shape (N, H)
        Gradient of the loss with respect to ``attn``.
    cache : tuple
        From ``dot_product_attention``.

    Returns
    -------
    dprev_h : ndarray, shape (N, H)
    dA : ndarray, shape (N, H, G, G)
    """
    dprev_h, dA = None, None
    # TODO: A reaches attn twice, as the values A_l and through the scores;
    # add both. Go back through attn = sum_l w_l A_l to the gradient of w
    # (N, L), through the softmax (its Jacobian times a vector v is
    # w * (v - sum_l w_l v_l)) to the gradient of the scores, then through
    # s_l = prev_h . A_l / sqrt(H) to prev_h and A.
    ### BEGIN SOLUTION assignment3
    prev_h, A, w = cache
    N, H, G, _ = A.shape
    A_flat = A.reshape(N, H, G * G)
    dw = np.einsum("nhl,nh->nl", A_flat, dattn)
    dscores = w * (dw - (w * dw).sum(axis=1, keepdims=True)) / math.sqrt(H)
    dprev_h = np.einsum("nhl,nl->nh", A_flat, dscores)
    dA_flat = dattn[:, :, None] * w[:, None, :] + prev_h[:, :, None] * dscores[:, None, :]
    dA = dA_flat.reshape(A.shape)
    ### END SOLUTION
    return dprev_h, dA


def attention_lstm_step_forward(x, prev_h, prev_c, attn, Wx, Wh, Wattn, b):
    """One LSTM step that also reads an attended vector.

    As ``lstm_step_forward`` with the activations
    ``a = x Wx + prev_h Wh + attn Wattn + b`` (gate order i, f, o, g).

    Parameters
    ----------
    x : ndarray, shape (N, D)
    prev_h : ndarray, shape (N, H)
    prev_c : ndarray, shape (N, H)
    attn : ndarray, shape (N, H)
        Attended feature vector of this step.
    Wx : ndarray, shape (D, 4H)
    Wh : ndarray, shape (H, 4H)
    Wattn : ndarray, shape (H, 4H)
    b : ndarray, shape (4H,)

    Returns
    -------
    next_h : ndarray, shape (N, H)
    next_c : ndarray, shape (N, H)
    cache : tuple
        What ``attention_lstm_step_backward`` needs.
    """
    next_h, next_c, cache = None, None, None
    # TODO: The only change from lstm_step_forward is the extra term
    # attn Wattn in a. You can write the step out again or reuse
    # lstm_step_forward: x Wx + attn Wattn is one product of x and attn side
    # by side (N, D + H) with Wx stacked on Wattn (D + H, 4H).
    ### BEGIN SOLUTION assignment3
    xa = np.concatenate((x, attn), axis=1)
    W_xa = np.concatenate((Wx, Wattn), axis=0)
    next_h, next_c, lstm_cache = lstm_step_forward(xa, prev_h, prev_c, W_xa, Wh, b)
    cache = (x.shape[1], lstm_cache)
    ### END SOLUTION
    return next_h, next_c, cache


def attention_lstm_step_backward(dnext_h, dnext_c, cache):
    """Backward pass of one attention LSTM step.

    Parameters
    ----------
    dnext_h : ndarray, shape (N, H)
    dnext_c : ndarray, shape (N, H)
    cache : tuple
        From ``attention_lstm_step_forward``.

    Returns
    -------
    dx : ndarray, shape (N, D)
    dprev_h : ndarray, shape (N, H)
    dprev_c : ndarray, shape (N, H)
    dattn : ndarray, shape (N, H)
    dWx : ndarray, shape (D, 4H)
    dWh : ndarray, shape (H, 4H)
    dWattn : ndarray, shape (H, 4H)
    db : ndarray, shape (4H,)
    """
    dx, dprev_h, dprev_c, dattn, dWx, dWh, dWattn, db = (None,) * 8
    # TODO: As lstm_step_backward, plus dattn and dWattn from the term
    # attn Wattn (they mirror dx and dWx).
    ### BEGIN SOLUTION assignment3
    D, lstm_cache = cache
    dxa, dprev_h, dprev_c, dW_xa, dWh, db = lstm_step_backward(dnext_h, dnext_c, lstm_cache)
    dx, dattn = dxa[:, :D], dxa[:, D:]
    dWx, dWattn = dW_xa[:D], dW_xa[D:]
    ### END SOLUTION
    return dx, dprev_h, dprev_c, dattn, dWx, dWh, dWattn, db


def attention_lstm_forward(x, A, Wx, Wh, Wattn, b):
    """An attention LSTM run over whole sequences.

    The initial hidden and cell states are both the mean of the projected
    features over the grid, ``h0 = c0 = A.mean(axis=(2, 3))``. At step t the
    previous hidden state attends over A (``dot_product_attention``) and the
    attended vector enters the step (``attention_lstm_step_forward``).

    Parameters
    ----------
    x : ndarray, shape (N, T, D)
        Input sequences.
    A : ndarray, shape (N, H, G, G)
        Projected features of each grid location.
    Wx : ndarray, shape (D, 4H)
    Wh : ndarray, shape (H, 4H)
    Wattn : ndarray, shape (H, 4H)
    b : ndarray, shape (4H,)

    Returns
    -------
    h : ndarray, shape (N, T, H)
        Hidden state after every step.
    attn_weights : ndarray, shape (N, T, G, G)
        Attention weights used at every step.
    cache : object
        What ``attention_lstm_backward`` needs.
    """
    h, attn_weights, cache = None, None, None
    # TODO: Set h0 and c0 as above, then loop over the steps: attention with
    # the previous hidden state, then the LSTM step. Collect h (N, T, H) and
    # the weights (N, T, G, G) with the dtype of x, and the caches of both
    # layers of every step.
    ### BEGIN SOLUTION assignment3
    N, T, _ = x.shape
    _, H, G, _ = A.shape
    h = np.zeros((N, T, H), dtype=x.dtype)
    attn_weights = np.zeros((N, T, G, G), dtype=x.dtype)
    prev_h = prev_c = A.mean(axis=(2, 3))
    steps = []
    for t in range(T):
        attn, attn_weights[:, t], attn_cache = dot_product_attention(prev_h, A)
        prev_h, prev_c, step_cache = attention_lstm_step_forward(
            x[:, t], prev_h, prev_c, attn, Wx, Wh, Wattn, b
        )
        h[:, t] = prev_h
        steps.append((attn_cache, step_cache))
    cache = (A.shape, steps)
    ### END SOLUTION
    return h, attn_weights, cache


def attention_lstm_backward(dh, cache):
    """Backward pass of ``attention_lstm_forward``.

    Parameters
    ----------
    dh : ndarray, shape (N, T, H)
        Upstream gradient of every hidden state.
    cache : object
        From ``attention_lstm_forward``.

    Returns
    -------
    dx : ndarray, shape (N, T, D)
    dA : ndarray, shape (N, H, G, G)
    dWx : ndarray, shape (D, 4H)
    dWh : ndarray, shape (H, 4H)
    dWattn : ndarray, shape (H, 4H)
    db : ndarray, shape (4H,)
    """
    dx, dA, dWx, dWh, dWattn, db = None, None, None, None, None, None
    # TODO: As lstm_backward, and at every step send dattn back through
    # dot_product_attention_backward: its dprev_h adds to the gradient of the
    # previous hidden state, its dA to the gradient of A. A reaches the loss
    # a third way, through h0 = c0 = A.mean(axis=(2, 3)): after the loop
    # spread (dh0 + dc0) evenly over the G * G locations.
    ### BEGIN SOLUTION assignment3
    A_shape, steps = cache
    N, T, H = dh.shape
    D = steps[0][1][0]
    dx = np.zeros((N, T, D), dtype=dh.dtype)
    dA = np.zeros(A_shape, dtype=dh.dtype)
    dprev_h = np.zeros((N, H), dtype=dh.dtype)
    dprev_c = np.zeros((N, H), dtype=dh.dtype)
    dWx, dWh, dWattn, db = 0, 0, 0, 0
    for t in reversed(range(T)):
        attn_cache, step_cache = steps[t]
        dx[:, t], dprev_h, dprev_c, dattn, dWx_t, dWh_t, dWattn_t, db_t = attention_lstm_step_backward(
            dh[:, t] + dprev_h, dprev_c, step_cache
        )
        dh_attn, dA_t = dot_product_attention_backward(dattn, attn_cache)
        dprev_h = dprev_h + dh_attn
        dA += dA_t
        dWx, dWh, dWattn, db = dWx + dWx_t, dWh + dWh_t, dWattn + dWattn_t, db + db_t
    G = A_shape[2]
    dA += ((dprev_h + dprev_c) / (G * G))[:, :, None, None]
    ### END SOLUTION
    return dx, dA, dWx, dWh, dWattn, db


# --- temporal layers (provided) ---------------------------------------------------


def temporal_affine_forward(x, w, b):
    """An affine layer applied to the vector of every time step.

    Parameters
    ----------
    x : ndarray, shape (N, T, D)
    w : ndarray, shape (D, M)
    b : ndarray, shape (M,)

    Returns
    -------
    out : ndarray, shape (N, T, M)
        ``out[:, t] = x[:, t] w + b``.
    cache : tuple
        ``(x, w, b, out)``.
    """
    out = x @ w + b
    cache = (x, w, b, out)
    return out, cache


def temporal_affine_backward(dout, cache):
    """Backward pass of ``temporal_affine_forward``.

    Parameters
    ----------
    dout : ndarray, shape (N, T, M)
    cache : tuple
        From ``temporal_affine_forward``.

    Returns
    -------
    dx : ndarray, shape (N, T, D)
    dw : ndarray, shape (D, M)
    db : ndarray, shape (M,)
    """
    x, w, b, out = cache
    N, T, D = x.shape
    M = w.shape[1]
    dx = dout @ w.T
    dw = x.reshape(N * T, D).T @ dout.reshape(N * T, M)
    db = dout.sum(axis=(0, 1))
    return dx, dw, db


def temporal_softmax_loss(x, y, mask, verbose=False):
    """Softmax cross-entropy summed over the unmasked time steps.

    Captions in a minibatch have different lengths and are padded; the mask
    says which time steps hold a real target. The loss is the sum over the
    unmasked steps of ``-log softmax(x[i, t])[y[i, t]]``, divided by N (not
    by the number of unmasked steps).

    Parameters
    ----------
    x : ndarray, shape (N, T, V)
        Scores over the vocabulary at every step.
    y : ndarray of int, shape (N, T)
        Target words, ``0 <= y[i, t] < V``.
    mask : ndarray of bool, shape (N, T)
        True where ``y[i, t]`` counts.
    verbose : bool
        Print the shape of dx.

    Returns
    -------
    loss : float
    dx : ndarray, shape (N, T, V)
        Gradient of the loss with respect to x.
    """
    N, T, V = x.shape
    x_flat = x.reshape(N * T, V)
    y_flat = y.reshape(N * T)
    mask_flat = mask.reshape(N * T)

    shifted = x_flat - x_flat.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(N * T)
    loss = -float(np.sum(mask_flat * log_probs[rows, y_flat])) / N

    dx_flat = np.exp(log_probs)
    dx_flat[rows, y_flat] -= 1
    dx_flat /= N
    dx_flat *= mask_flat[:, None]
    if verbose:
        print("dx_flat: ", dx_flat.shape)
    dx = dx_flat.reshape(N, T, V)
    return loss, dx
