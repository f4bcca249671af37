"""Layers as forward/backward pairs.

Every ``*_forward`` returns ``(out, cache)``; the matching ``*_backward`` takes
the upstream gradient and that cache and returns the gradients of its inputs.
A cache holds only what its backward pass needs.
"""

import numpy as np


def affine_forward(x, w, b):
    """Forward pass of a fully connected (affine) layer: ``out = x w + b``.

    Each example ``x[i]`` of shape ``(d_1, ..., d_k)`` is flattened to a row
    of length ``D = d_1 * ... * d_k``.

    Parameters
    ----------
    x : ndarray, shape (N, d_1, ..., d_k)
        Minibatch of inputs.
    w : ndarray, shape (D, M)
        Weights.
    b : ndarray, shape (M,)
        Biases.

    Returns
    -------
    out : ndarray, shape (N, M)
    cache : tuple
        ``(x, w, b)`` for the backward pass.
    """
    out = None
    # TODO: Compute the affine forward pass into `out` (N, M). Reshape x to
    # (N, D) first (keep N, let numpy infer D); do not modify x itself.
    ### BEGIN SOLUTION assignment1
    out = x.reshape(x.shape[0], -1) @ w + b
    ### END SOLUTION
    cache = (x, w, b)
    return out, cache


def affine_backward(dout, cache):
    """Backward pass of an affine layer.

    Parameters
    ----------
    dout : ndarray, shape (N, M)
        Upstream gradient.
    cache : tuple
        ``(x, w, b)`` from ``affine_forward``: x (N, d_1, ..., d_k),
        w (D, M), b (M,).

    Returns
    -------
    dx : ndarray, shape (N, d_1, ..., d_k)
        Gradient with respect to x, in x's original shape.
    dw : ndarray, shape (D, M)
        Gradient with respect to w.
    db : ndarray, shape (M,)
        Gradient with respect to b.
    """
    x, w, b = cache
    dx, dw, db = None, None, None
    # TODO: Compute dx (same shape as x), dw (D, M) and db (M,). Work with x
    # flattened to (N, D); each gradient is one matrix product or one sum over
    # the batch. Check the shapes: they tell you which factor to transpose.
    ### BEGIN SOLUTION assignment1
    x_rows = x.reshape(x.shape[0], -1)
    dx = (dout @ w.T).reshape(x.shape)
    dw = x_rows.T @ dout
    db = dout.sum(axis=0)
    ### END SOLUTION
    return dx, dw, db


def relu_forward(x):
    """Forward pass of a rectified linear unit: ``out = max(0, x)``.

    Parameters
    ----------
    x : ndarray, any shape

    Returns
    -------
    out : ndarray, same shape as x
    cache : ndarray
        ``x``, for the backward pass.
    """
    out = None
    # TODO: Compute the elementwise ReLU of x into `out`.
    ### BEGIN SOLUTION assignment1
    out = np.maximum(0, x)
    ### END SOLUTION
    cache = x
    return out, cache


def relu_backward(dout, cache):
    """Backward pass of a ReLU.

    Parameters
    ----------
    dout : ndarray, any shape
        Upstream gradient.
    cache : ndarray
        Input ``x`` of the forward pass, same shape as ``dout``.

    Returns
    -------
    dx : ndarray, same shape as dout
        Gradient with respect to x.
    """
    x = cache
    dx = None
    # TODO: Compute dx. The gradient passes through where the input was
    # positive and is blocked elsewhere (take the subgradient 0 at x == 0).
    ### BEGIN SOLUTION assignment1
    dx = dout * (x > 0)
    ### END SOLUTION
    return dx


def svm_loss(x, y):
    """Multiclass SVM (hinge) loss with margin 1, averaged over the batch.

    Parameters
    ----------
    x : ndarray, shape (N, C)
        Class scores; ``x[i, j]`` is the score of class j for example i.
    y : ndarray of int, shape (N,)
        Labels, ``0 <= y[i] < C``.

    Returns
    -------
    loss : float
        ``mean_i sum_{j != y_i} max(0, x[i, j] - x[i, y_i] + 1)``.
    dx : ndarray, shape (N, C)
        Gradient of the loss with respect to x.
    """
    loss, dx = None, None
    # TODO: Compute the loss and dx without loops. Build the (N, C) matrix of
    # margins, make sure the correct class contributes nothing, and remember
    # the 1 / N. In dx, each positive margin adds +1 to its class and -1 to
    # the correct class of its row.
    ### BEGIN SOLUTION assignment1
    N = x.shape[0]
    rows = np.arange(N)
    margins = np.maximum(0, x - x[rows, y][:, None] + 1.0)
    margins[rows, y] = 0
    loss = margins.sum() / N
    positive = (margins > 0).astype(x.dtype)
    positive[rows, y] = -positive.sum(axis=1)
    dx = positive / N
    ### END SOLUTION
    return loss, dx


def softmax_loss(x, y):
    """Softmax cross-entropy loss, averaged over the batch.

    Parameters
    ----------
    x : ndarray, shape (N, C)
        Class scores (logits).
    y : ndarray of int, shape (N,)
        Labels, ``0 <= y[i] < C``.

    Returns
    -------
    loss : float
        ``mean_i -log softmax(x[i])[y_i]``.
    dx : ndarray, shape (N, C)
        Gradient of the loss with respect to x.
    """
    loss, dx = None, None
    # TODO: Compute the loss and dx without loops. Subtract each row's maximum
    # from its scores before exponentiating (softmax does not change, exp no
    # longer overflows) and work with log-probabilities. The gradient per row
    # is (probabilities - one-hot of the label), divided by N.
    ### BEGIN SOLUTION assignment1
    N = x.shape[0]
    shifted = x - x.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(N), y].sum() / N
    dx = np.exp(log_probs)
    dx[np.arange(N), y] -= 1
    dx /= N
    ### END SOLUTION
    return loss, dx


# --- batch normalization ------------------------------------------------------


def batchnorm_forward(x, gamma, beta, bn_param):
    """Forward pass of batch normalization.

    In train mode each feature is normalised with the mean and the biased
    variance of the minibatch, then scaled by ``gamma`` and shifted by
    ``beta``; running averages of the batch statistics are kept for test
    time::

        running_mean = momentum * running_mean + (1 - momentum) * batch_mean
        running_var = momentum * running_var + (1 - momentum) * batch_var

    In test mode the running averages replace the batch statistics, so the
    output of an example does not depend on the rest of its batch.

    Parameters
    ----------
    x : ndarray, shape (N, D)
        Minibatch of inputs.
    gamma : ndarray, shape (D,)
        Scale of each feature.
    beta : ndarray, shape (D,)
        Shift of each feature.
    bn_param : dict
        ``mode`` (``'train'`` or ``'test'``, required); ``eps`` (float,
        default 1e-5, keeps the division finite); ``momentum`` (float,
        default 0.9); ``running_mean`` and ``running_var`` (ndarrays of
        shape (D,), created as zeros on first use and replaced by their
        updated values after every train-mode call).

    Returns
    -------
    out : ndarray, shape (N, D)
    cache : tuple or None
        What ``batchnorm_backward`` and ``batchnorm_backward_alt`` need (train
        mode); ``None`` in test mode.
    """
    mode = bn_param.get("mode")
    if mode not in ("train", "test"):
        raise ValueError(f"bn_param['mode'] must be 'train' or 'test', got {mode!r}")
    eps = bn_param.get("eps", 1e-5)
    momentum = bn_param.get("momentum", 0.9)

    N, D = x.shape
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))

    out, cache = None, None
    if mode == "train":
        # TODO: Compute the batch mean (D,) and the biased batch variance
        # (D,), normalise x with them (add eps to the variance before the
        # square root), then scale by gamma and shift by beta into `out`
        # (N, D). Update running_mean and running_var as in the docstring.
        # Keep in `cache` the intermediate values your backward passes need,
        # e.g. the centred input, the standard deviation, the normalised
        # input and gamma.
        ### BEGIN SOLUTION assignment2
        mean = x.mean(axis=0)
        x_centred = x - mean
        var = np.mean(x_centred**2, axis=0)
        std = np.sqrt(var + eps)
        x_hat = x_centred / std
        out = gamma * x_hat + beta
        cache = (x_centred, std, x_hat, gamma)
        running_mean = momentum * running_mean + (1 - momentum) * mean
        running_var = momentum * running_var + (1 - momentum) * var
        ### END SOLUTION
    else:
        # TODO: Normalise x with running_mean and running_var instead of the
        # batch statistics, then scale and shift into `out` (N, D).
        ### BEGIN SOLUTION assignment2
        x_hat = (x - running_mean) / np.sqrt(running_var + eps)
        out = gamma * x_hat + beta
        ### END SOLUTION

    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var
    return out, cache


def batchnorm_backward(dout, cache):
    """Backward pass of batch normalization, through the computation graph.

    Walk the forward pass backwards one elementary operation at a time
    (scale and shift, division by the standard deviation, square root,
    variance, centring, mean), adding up the gradients that reach x along
    each path.

    Parameters
    ----------
    dout : ndarray, shape (N, D)
        Upstream gradient.
    cache : tuple
        From ``batchnorm_forward`` in train mode.

    Returns
    -------
    dx : ndarray, shape (N, D)
        Gradient with respect to x.
    dgamma : ndarray, shape (D,)
        Gradient with respect to gamma.
    dbeta : ndarray, shape (D,)
        Gradient with respect to beta.
    """
    dx, dgamma, dbeta = None, None, None
    # TODO: Backpropagate through each step of your forward pass in reverse
    # order, using the intermediates you kept in the cache. x reaches the
    # output along three paths (directly through the centring, through the
    # mean and through the variance); their gradients add up.
    ### BEGIN SOLUTION assignment2
    x_centred, std, x_hat, gamma = cache
    N = dout.shape[0]
    # out = gamma * x_hat + beta
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx_hat = dout * gamma
    # x_hat = x_centred * inv_std
    inv_std = 1.0 / std
    dx_centred = dx_hat * inv_std
    dinv_std = np.sum(dx_hat * x_centred, axis=0)
    # inv_std = 1 / std, std = sqrt(var + eps)
    dstd = -dinv_std / std**2
    dvar = 0.5 * dstd / std
    # var = mean(x_centred**2)
    dx_centred += 2.0 * x_centred * dvar / N
    # x_centred = x - mean, mean = mean(x)
    dmean = -dx_centred.sum(axis=0)
    dx = dx_centred + dmean / N
    ### END SOLUTION
    return dx, dgamma, dbeta


def batchnorm_backward_alt(dout, cache):
    """Backward pass of batch normalization in simplified closed form.

    Instead of walking the graph, this uses the gradient simplified on paper
    into a single expression: dx in terms of ``dout``, the normalised input
    ``x_hat``, ``gamma``, the standard deviation ``sqrt(var + eps)`` and two
    sums over the batch (the same sums that give dgamma and dbeta). Same
    cache and same results as ``batchnorm_backward``, in fewer operations.

    Parameters
    ----------
    dout : ndarray, shape (N, D)
        Upstream gradient.
    cache : tuple
        From ``batchnorm_forward`` in train mode (the same cache as for
        ``batchnorm_backward``).

    Returns
    -------
    dx : ndarray, shape (N, D)
    dgamma : ndarray, shape (D,)
    dbeta : ndarray, shape (D,)
    """
    dx, dgamma, dbeta = None, None, None
    # TODO: Compute dgamma (D,), dbeta (D,) and dx (N, D). Derive dx on
    # paper first: push the chain rule through the mean and the variance and
    # simplify until only dout, x_hat, gamma, the standard deviation and the
    # batch sums of dout and dout * x_hat remain; then it is one line.
    ### BEGIN SOLUTION assignment2
    # dx = gamma / (N * std) * (N * dout - sum(dout) - x_hat * sum(dout * x_hat))
    _, std, x_hat, gamma = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx = gamma / (N * std) * (N * dout - dbeta - x_hat * dgamma)
    ### END SOLUTION
    return dx, dgamma, dbeta


# --- layer normalization ------------------------------------------------------


def layernorm_forward(x, gamma, beta, ln_param):
    """Forward pass of layer normalization.

    Each example is normalised over its own D features (mean 0, biased
    variance 1), then every feature is scaled by ``gamma`` and shifted by
    ``beta``. Train and test time compute the same thing, so there are no
    running averages.

    Parameters
    ----------
    x : ndarray, shape (N, D)
        Minibatch of inputs.
    gamma : ndarray, shape (D,)
        Scale of each feature.
    beta : ndarray, shape (D,)
        Shift of each feature.
    ln_param : dict
        ``eps`` (float, default 1e-5). Other keys (e.g. ``mode``) are ignored.

    Returns
    -------
    out : ndarray, shape (N, D)
    cache : tuple
        What ``layernorm_backward`` needs.
    """
    eps = ln_param.get("eps", 1e-5)
    out, cache = None, None
    # TODO: Compute the mean and biased variance of each example over its
    # features (shape (N, 1) each, so they broadcast), normalise, scale and
    # shift into `out` (N, D), and keep what the backward pass needs in
    # `cache`. Hint: this is batch normalization of x.T, with the statistics
    # taken along the other axis.
    ### BEGIN SOLUTION assignment2
    mean = x.mean(axis=1, keepdims=True)
    x_centred = x - mean
    std = np.sqrt(np.mean(x_centred**2, axis=1, keepdims=True) + eps)
    x_hat = x_centred / std
    out = gamma * x_hat + beta
    cache = (std, x_hat, gamma)
    ### END SOLUTION
    return out, cache


def layernorm_backward(dout, cache):
    """Backward pass of layer normalization.

    Parameters
    ----------
    dout : ndarray, shape (N, D)
        Upstream gradient.
    cache : tuple
        From ``layernorm_forward``.

    Returns
    -------
    dx : ndarray, shape (N, D)
    dgamma : ndarray, shape (D,)
    dbeta : ndarray, shape (D,)
    """
    dx, dgamma, dbeta = None, None, None
    # TODO: gamma and beta are shared by the examples, so dgamma and dbeta
    # (D,) sum over the batch. For dx (N, D), the statistics are per example:
    # take the closed form of batch normalization with the sums (means) over
    # the D features of each example instead of over the batch.
    ### BEGIN SOLUTION assignment2
    std, x_hat, gamma = cache
    dbeta = dout.sum(axis=0)
    dgamma = np.sum(dout * x_hat, axis=0)
    dx_hat = dout * gamma
    dx = (
        dx_hat
        - dx_hat.mean(axis=1, keepdims=True)
        - x_hat * np.mean(dx_hat * x_hat, axis=1, keepdims=True)
    ) / std
    ### END SOLUTION
    return dx, dgamma, dbeta


# --- dropout ------------------------------------------------------------------


def dropout_forward(x, dropout_param):
    """Forward pass of inverted dropout.

    In train mode each unit is kept with probability ``p`` and the kept units
    are divided by ``p``, so the expected output equals the input and test
    time needs no rescaling: there the layer is the identity.

    Parameters
    ----------
    x : ndarray, any shape
        Input.
    dropout_param : dict
        ``p`` (float in (0, 1]), the probability of KEEPING a unit;
        ``mode`` (``'train'`` or ``'test'``); ``seed`` (optional int): if
        present, ``np.random.seed(seed)`` is called first, which makes the
        mask the same at every call (for gradient checks).

    Returns
    -------
    out : ndarray, same shape and dtype as x
    cache : tuple
        ``(dropout_param, mask)``; ``mask`` has the shape of x in train mode
        (entries 0 or 1 / p) and is None in test mode.
    """
    p, mode = dropout_param.get("p"), dropout_param.get("mode")
    if p is None or not 0 < p <= 1:
        raise ValueError(f"dropout_param['p'] is the keep probability, in (0, 1]; got {p!r}")
    if mode not in ("train", "test"):
        raise ValueError(f"dropout_param['mode'] must be 'train' or 'test', got {mode!r}")
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])

    mask, out = None, None
    if mode == "train":
        # TODO: Draw mask (same shape as x) that is 1 / p with probability p
        # and 0 otherwise: compare np.random.rand(*x.shape) with p, in that
        # order, so that a seed gives the reference mask. Cast it to x.dtype
        # (float32 networks stay float32) and apply it to x.
        ### BEGIN SOLUTION assignment2
        mask = ((np.random.rand(*x.shape) < p) / p).astype(x.dtype, copy=False)
        out = x * mask
        ### END SOLUTION
    else:
        # TODO: At test time the layer passes x through unchanged.
        ### BEGIN SOLUTION assignment2
        out = x
        ### END SOLUTION

    cache = (dropout_param, mask)
    return out, cache


def dropout_backward(dout, cache):
    """Backward pass of inverted dropout.

    Parameters
    ----------
    dout : ndarray, any shape
        Upstream gradient.
    cache : tuple
        ``(dropout_param, mask)`` from ``dropout_forward``.

    Returns
    -------
    dx : ndarray, same shape as dout
        Gradient with respect to x.
    """
    dropout_param, mask = cache
    dx = None
    if dropout_param["mode"] == "train":
        # TODO: Only the kept units pass their gradient, scaled like their
        # values were in the forward pass.
        ### BEGIN SOLUTION assignment2
        dx = dout * mask
        ### END SOLUTION
    else:
        dx = dout
    return dx


# --- convolution --------------------------------------------------------------


def conv_forward_naive(x, w, b, conv_param):
    """Forward pass of a convolutional layer, written with plain loops.

    Each of the F filters is slid over the zero-padded input with the given
    stride; at each position the output is the sum of the elementwise product
    of the filter and the window it covers (all C channels), plus the
    filter's bias. Windows that would run past the padded input are dropped.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
        Input images.
    w : ndarray, shape (F, C, HH, WW)
        Filter weights.
    b : ndarray, shape (F,)
        Filter biases.
    conv_param : dict
        ``stride`` (int >= 1): pixels between neighbouring windows, in both
        directions; ``pad`` (int >= 0): zeros added on every side of H and W.

    Returns
    -------
    out : ndarray, shape (N, F, H', W')
        ``H' = 1 + (H + 2 * pad - HH) // stride`` and
        ``W' = 1 + (W + 2 * pad - WW) // stride``.
    cache : tuple
        ``(x, w, b, conv_param)``.
    """
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, C_w, HH, WW = w.shape
    if C_w != C:
        raise ValueError(f"w has {C_w} channels but x has {C}: w must be (F, C, HH, WW)")
    if stride < 1 or pad < 0:
        raise ValueError(f"conv_param needs stride >= 1 and pad >= 0, got {conv_param!r}")
    if H + 2 * pad < HH or W + 2 * pad < WW:
        raise ValueError(f"filters of {HH}x{WW} do not fit in the padded {H}x{W} input (pad {pad})")
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride

    out = None
    # TODO: Zero-pad x on H and W only (np.pad), create out (N, F, H_out,
    # W_out) and fill it with two loops over the output positions (i, j):
    # take the window x_pad[:, :, i*stride : i*stride+HH, j*stride :
    # j*stride+WW] of shape (N, C, HH, WW) and contract it with w over
    # (C, HH, WW) for all examples and filters at once (np.tensordot or
    # einsum), then add b.
    ### BEGIN SOLUTION assignment2
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((N, F, H_out, W_out), dtype=np.result_type(x, w))
    for i in range(H_out):
        for j in range(W_out):
            window = x_pad[:, :, i * stride : i * stride + HH, j * stride : j * stride + WW]
            out[:, :, i, j] = np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3])) + b
    ### END SOLUTION
    cache = (x, w, b, conv_param)
    return out, cache


def conv_backward_naive(dout, cache):
    """Backward pass of a convolutional layer, written with plain loops.

    Parameters
    ----------
    dout : ndarray, shape (N, F, H', W')
        Upstream gradient.
    cache : tuple
        ``(x, w, b, conv_param)`` from ``conv_forward_naive``.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
        Gradient with respect to x.
    dw : ndarray, shape (F, C, HH, WW)
        Gradient with respect to w.
    db : ndarray, shape (F,)
        Gradient with respect to b.
    """
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    _, _, H_out, W_out = dout.shape

    dx, dw, db = None, None, None
    # TODO: Loop over the output positions (i, j) as in the forward pass.
    # Each output dout[:, :, i, j] (N, F) sends gradient to the weights
    # (through the window it saw) and to the window of the padded input
    # (through the weights); windows overlap, so accumulate with +=. Compute
    # the gradient of the padded input and crop the padding at the end.
    # db (F,) sums dout over everything but the filter axis.
    ### BEGIN SOLUTION assignment2
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dx_pad = np.zeros_like(x_pad)
    dw = np.zeros_like(w)
    db = dout.sum(axis=(0, 2, 3))
    for i in range(H_out):
        for j in range(W_out):
            rows = slice(i * stride, i * stride + HH)
            cols = slice(j * stride, j * stride + WW)
            d = dout[:, :, i, j]
            dw += np.tensordot(d, x_pad[:, :, rows, cols], axes=([0], [0]))
            dx_pad[:, :, rows, cols] += np.tensordot(d, w, axes=([1], [0]))
    dx = dx_pad[:, :, pad : pad + H, pad : pad + W]
    ### END SOLUTION
    return dx, dw, db


# --- max pooling --------------------------------------------------------------


def max_pool_forward_naive(x, pool_param):
    """Forward pass of a max-pooling layer, written with plain loops.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
        Input.
    pool_param : dict
        ``pool_height``, ``pool_width`` (ints): size of a pooling window;
        ``stride`` (int): pixels between neighbouring windows. No padding.

    Returns
    -------
    out : ndarray, shape (N, C, H', W')
        Maximum of each window, ``H' = 1 + (H - pool_height) // stride`` and
        ``W' = 1 + (W - pool_width) // stride``.
    cache : tuple
        ``(x, pool_param)``.
    """
    PH, PW = pool_param["pool_height"], pool_param["pool_width"]
    stride = pool_param["stride"]
    N, C, H, W = x.shape
    if stride < 1 or not (1 <= PH <= H and 1 <= PW <= W):
        raise ValueError(f"pool_param {pool_param!r} does not fit an input of {H}x{W}")
    H_out = 1 + (H - PH) // stride
    W_out = 1 + (W - PW) // stride

    out = None
    # TODO: Create out (N, C, H_out, W_out) and fill it with two loops over
    # the output positions: each entry is the maximum of its window, taken
    # for all examples and channels at once.
    ### BEGIN SOLUTION assignment2
    out = np.zeros((N, C, H_out, W_out), dtype=x.dtype)
    for i in range(H_out):
        for j in range(W_out):
            window = x[:, :, i * stride : i * stride + PH, j * stride : j * stride + PW]
            out[:, :, i, j] = window.max(axis=(2, 3))
    ### END SOLUTION
    cache = (x, pool_param)
    return out, cache


def max_pool_backward_naive(dout, cache):
    """Backward pass of a max-pooling layer, written with plain loops.

    Each window routes its upstream gradient to the position of its maximum;
    when several entries tie, to the first one in row-major order (as
    PyTorch does), so the gradient is not counted twice.

    Parameters
    ----------
    dout : ndarray, shape (N, C, H', W')
        Upstream gradient.
    cache : tuple
        ``(x, pool_param)`` from ``max_pool_forward_naive``.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
        Gradient with respect to x.
    """
    x, pool_param = cache
    PH, PW = pool_param["pool_height"], pool_param["pool_width"]
    stride = pool_param["stride"]
    N, C, H, W = x.shape
    _, _, H_out, W_out = dout.shape

    dx = None
    # TODO: Create dx like x and loop over the output positions. In each
    # window (N, C, PH, PW) find, per example and channel, the index of the
    # maximum (argmax of the window flattened to (N, C, PH * PW)) and add
    # dout[:, :, i, j] to dx at that position. Windows may overlap, so add.
    ### BEGIN SOLUTION assignment2
    dx = np.zeros_like(x)
    n_idx, c_idx = np.meshgrid(np.arange(N), np.arange(C), indexing="ij")
    for i in range(H_out):
        for j in range(W_out):
            window = x[:, :, i * stride : i * stride + PH, j * stride : j * stride + PW]
            first_max = window.reshape(N, C, PH * PW).argmax(axis=2)
            rows = i * stride + first_max // PW
            cols = j * stride + first_max % PW
            dx[n_idx, c_idx, rows, cols] += dout[:, :, i, j]
    ### END SOLUTION
    return dx


# --- spatial batch normalization ----------------------------------------------


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    """Forward pass of spatial batch normalization.

    Each channel is normalised with statistics over the batch and all
    spatial positions: a convolution applies the same filter everywhere, so
    its outputs at different positions are treated as more examples of the
    same feature.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
        Input.
    gamma : ndarray, shape (C,)
        Scale of each channel.
    beta : ndarray, shape (C,)
        Shift of each channel.
    bn_param : dict
        As for ``batchnorm_forward``; the running averages have shape (C,).

    Returns
    -------
    out : ndarray, shape (N, C, H, W)
    cache : tuple or None
        What ``spatial_batchnorm_backward`` needs (train mode).
    """
    out, cache = None, None
    # TODO: Reuse batchnorm_forward: move the channel axis last and reshape
    # x to (N * H * W, C), normalise, then undo the reshape and the
    # transpose to get out (N, C, H, W).
    ### BEGIN SOLUTION assignment2
    N, C, H, W = x.shape
    rows = x.transpose(0, 2, 3, 1).reshape(-1, C)
    out_rows, cache = batchnorm_forward(rows, gamma, beta, bn_param)
    out = out_rows.reshape(N, H, W, C).transpose(0, 3, 1, 2)
    ### END SOLUTION
    return out, cache


def spatial_batchnorm_backward(dout, cache):
    """Backward pass of spatial batch normalization.

    Parameters
    ----------
    dout : ndarray, shape (N, C, H, W)
        Upstream gradient.
    cache : tuple
        From ``spatial_batchnorm_forward``.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
    dgamma : ndarray, shape (C,)
    dbeta : ndarray, shape (C,)
    """
    dx, dgamma, dbeta = None, None, None
    # TODO: Reshape dout the same way as x in the forward pass and reuse a
    # batchnorm backward pass; reshape dx back to (N, C, H, W).
    ### BEGIN SOLUTION assignment2
    N, C, H, W = dout.shape
    drows = dout.transpose(0, 2, 3, 1).reshape(-1, C)
    dx_rows, dgamma, dbeta = batchnorm_backward_alt(drows, cache)
    dx = dx_rows.reshape(N, H, W, C).transpose(0, 3, 1, 2)
    ### END SOLUTION
    return dx, dgamma, dbeta


# --- spatial group normalization ----------------------------------------------


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    """Forward pass of spatial group normalization.

    The C channels are split into G groups of C // G consecutive channels;
    each example is normalised within each group, over the group's channels
    and all spatial positions. Like layer normalization it does not depend
    on the batch (G = 1 is layer normalization over (C, H, W)).

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
        Input.
    gamma : ndarray, shape (1, C, 1, 1)
        Scale of each channel.
    beta : ndarray, shape (1, C, 1, 1)
        Shift of each channel.
    G : int
        Number of groups; must divide C.
    gn_param : dict
        ``eps`` (float, default 1e-5).

    Returns
    -------
    out : ndarray, shape (N, C, H, W)
    cache : tuple
        What ``spatial_groupnorm_backward`` needs.
    """
    eps = gn_param.get("eps", 1e-5)
    N, C, H, W = x.shape
    if G < 1 or C % G != 0:
        raise ValueError(f"G must be a positive divisor of the {C} channels, got {G!r}")

    out, cache = None, None
    # TODO: Reshape x to (N, G, C // G, H, W), compute the mean and biased
    # variance over the last three axes (keepdims, so they broadcast),
    # normalise, reshape back to (N, C, H, W), then scale and shift into
    # `out`. Keep what the backward pass needs in `cache`.
    ### BEGIN SOLUTION assignment2
    groups = x.reshape(N, G, C // G, H, W)
    x_centred = groups - groups.mean(axis=(2, 3, 4), keepdims=True)
    std = np.sqrt(np.mean(x_centred**2, axis=(2, 3, 4), keepdims=True) + eps)
    x_hat = (x_centred / std).reshape(N, C, H, W)
    out = gamma * x_hat + beta
    cache = (G, std, x_hat, gamma)
    ### END SOLUTION
    return out, cache


def spatial_groupnorm_backward(dout, cache):
    """Backward pass of spatial group normalization.

    Parameters
    ----------
    dout : ndarray, shape (N, C, H, W)
        Upstream gradient.
    cache : tuple
        From ``spatial_groupnorm_forward``.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
    dgamma : ndarray, shape (1, C, 1, 1)
    dbeta : ndarray, shape (1, C, 1, 1)
    """
    dx, dgamma, dbeta = None, None, None
    # TODO: dgamma and dbeta (1, C, 1, 1) sum over examples and positions.
    # For dx, apply the closed form of layer normalization within each group:
    # work on the gradient of the normalised input reshaped to (N, G,
    # C // G, H, W), with the means taken over the last three axes.
    ### BEGIN SOLUTION assignment2
    G, std, x_hat, gamma = cache
    N, C, H, W = dout.shape
    dbeta = dout.sum(axis=(0, 2, 3), keepdims=True)
    dgamma = np.sum(dout * x_hat, axis=(0, 2, 3), keepdims=True)
    group_axes = (2, 3, 4)
    dx_hat = (dout * gamma).reshape(N, G, C // G, H, W)
    x_hat = x_hat.reshape(N, G, C // G, H, W)
    dx = (
        dx_hat
        - dx_hat.mean(axis=group_axes, keepdims=True)
        - x_hat * np.mean(dx_hat * x_hat, axis=group_axes, keepdims=True)
    ) / std
    dx = dx.reshape(N, C, H, W)
    ### END SOLUTION
    return dx, dgamma, dbeta
