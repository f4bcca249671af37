"""Sandwich layers: common sequences of layers as one forward/backward pair."""

from cs231n.layers import affine_backward, affine_forward, relu_backward, relu_forward


def affine_relu_forward(x, w, b):
    """Affine layer followed by a ReLU.

    Parameters
    ----------
    x : ndarray, shape (N, d_1, ..., d_k)
        Input.
    w : ndarray, shape (D, M)
        Weights of the affine layer.
    b : ndarray, shape (M,)
        Biases of the affine layer.

    Returns
    -------
    out : ndarray, shape (N, M)
        Output of the ReLU.
    cache : tuple
        ``(fc_cache, relu_cache)`` for the backward pass.
    """
    a, fc_cache = affine_forward(x, w, b)
    out, relu_cache = relu_forward(a)
    return out, (fc_cache, relu_cache)


def affine_relu_backward(dout, cache):
    """Backward pass of ``affine_relu_forward``.

    Parameters
    ----------
    dout : ndarray, shape (N, M)
        Upstream gradient.
    cache : tuple
        ``(fc_cache, relu_cache)`` from the forward pass.

    Returns
    -------
    dx : ndarray, shape (N, d_1, ..., d_k)
    dw : ndarray, shape (D, M)
    db : ndarray, shape (M,)
    """
    fc_cache, relu_cache = cache
    da = relu_backward(dout, relu_cache)
    return affine_backward(da, fc_cache)
