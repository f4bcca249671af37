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
