"""Sandwich layers: common sequences of layers as one forward/backward pair.

The convolutional sandwiches use the fast im2col layers of
``cs231n.fast_layers``; everything else comes from ``cs231n.layers``.
"""

from cs231n.fast_layers import (
    conv_backward_fast,
    conv_forward_fast,
    max_pool_backward_fast,
    max_pool_forward_fast,
)
from cs231n.layers import (
    affine_backward,
    affine_forward,
    batchnorm_backward,
    batchnorm_forward,
    layernorm_backward,
    layernorm_forward,
    relu_backward,
    relu_forward,
    spatial_batchnorm_backward,
    spatial_batchnorm_forward,
)


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


def affine_bn_relu_forward(x, w, b, gamma, beta, bn_param):
    """Affine layer, batch normalization, then a ReLU.

    Parameters
    ----------
    x : ndarray, shape (N, d_1, ..., d_k)
        Input.
    w : ndarray, shape (D, M)
        Weights of the affine layer.
    b : ndarray, shape (M,)
        Biases of the affine layer.
    gamma, beta : ndarray, shape (M,)
        Scale and shift of the batch normalization.
    bn_param : dict
        As for ``batchnorm_forward`` (``mode`` required); its running
        averages are updated in place in train mode.

    Returns
    -------
    out : ndarray, shape (N, M)
        Output of the ReLU.
    cache : tuple
        ``(fc_cache, bn_cache, relu_cache)`` for the backward pass.
    """
    a, fc_cache = affine_forward(x, w, b)
    a_norm, bn_cache = batchnorm_forward(a, gamma, beta, bn_param)
    out, relu_cache = relu_forward(a_norm)
    return out, (fc_cache, bn_cache, relu_cache)


def affine_bn_relu_backward(dout, cache):
    """Backward pass of ``affine_bn_relu_forward``.

    Parameters
    ----------
    dout : ndarray, shape (N, M)
        Upstream gradient.
    cache : tuple
        ``(fc_cache, bn_cache, relu_cache)`` from the forward pass.

    Returns
    -------
    dx : ndarray, shape (N, d_1, ..., d_k)
    dw : ndarray, shape (D, M)
    db : ndarray, shape (M,)
    dgamma : ndarray, shape (M,)
    dbeta : ndarray, shape (M,)
    """
    fc_cache, bn_cache, relu_cache = cache
    da_norm = relu_backward(dout, relu_cache)
    da, dgamma, dbeta = batchnorm_backward(da_norm, bn_cache)
    dx, dw, db = affine_backward(da, fc_cache)
    return dx, dw, db, dgamma, dbeta


def affine_ln_relu_forward(x, w, b, gamma, beta, ln_param):
    """Affine layer, layer normalization, then a ReLU.

    Parameters
    ----------
    x : ndarray, shape (N, d_1, ..., d_k)
        Input.
    w : ndarray, shape (D, M)
        Weights of the affine layer.
    b : ndarray, shape (M,)
        Biases of the affine layer.
    gamma, beta : ndarray, shape (M,)
        Scale and shift of the layer normalization.
    ln_param : dict
        As for ``layernorm_forward`` (``eps``).

    Returns
    -------
    out : ndarray, shape (N, M)
        Output of the ReLU.
    cache : tuple
        ``(fc_cache, ln_cache, relu_cache)`` for the backward pass.
    """
    a, fc_cache = affine_forward(x, w, b)
    a_norm, ln_cache = layernorm_forward(a, gamma, beta, ln_param)
    out, relu_cache = relu_forward(a_norm)
    return out, (fc_cache, ln_cache, relu_cache)


def affine_ln_relu_backward(dout, cache):
    """Backward pass of ``affine_ln_relu_forward``.

    Parameters
    ----------
    dout : ndarray, shape (N, M)
        Upstream gradient.
    cache : tuple
        ``(fc_cache, ln_cache, relu_cache)`` from the forward pass.

    Returns
    -------
    dx : ndarray, shape (N, d_1, ..., d_k)
    dw : ndarray, shape (D, M)
    db : ndarray, shape (M,)
    dgamma : ndarray, shape (M,)
    dbeta : ndarray, shape (M,)
    """
    fc_cache, ln_cache, relu_cache = cache
    da_norm = relu_backward(dout, relu_cache)
    da, dgamma, dbeta = layernorm_backward(da_norm, ln_cache)
    dx, dw, db = affine_backward(da, fc_cache)
    return dx, dw, db, dgamma, dbeta


def conv_relu_forward(x, w, b, conv_param):
    """Convolution followed by a ReLU.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
        Input.
    w : ndarray, shape (F, C, HH, WW)
        Filters.
    b : ndarray, shape (F,)
        Biases.
    conv_param : dict
        ``stride`` and ``pad`` of the convolution.

    Returns
    -------
    out : ndarray, shape (N, F, H', W')
        Output of the ReLU.
    cache : tuple
        ``(conv_cache, relu_cache)`` for the backward pass.
    """
    a, conv_cache = conv_forward_fast(x, w, b, conv_param)
    out, relu_cache = relu_forward(a)
    return out, (conv_cache, relu_cache)


def conv_relu_backward(dout, cache):
    """Backward pass of ``conv_relu_forward``.

    Parameters
    ----------
    dout : ndarray, shape (N, F, H', W')
        Upstream gradient.
    cache : tuple
        ``(conv_cache, relu_cache)`` from the forward pass.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
    dw : ndarray, shape (F, C, HH, WW)
    db : ndarray, shape (F,)
    """
    conv_cache, relu_cache = cache
    da = relu_backward(dout, relu_cache)
    return conv_backward_fast(da, conv_cache)


def conv_relu_pool_forward(x, w, b, conv_param, pool_param):
    """Convolution, ReLU, then max pooling.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
        Input.
    w : ndarray, shape (F, C, HH, WW)
        Filters.
    b : ndarray, shape (F,)
        Biases.
    conv_param : dict
        ``stride`` and ``pad`` of the convolution.
    pool_param : dict
        ``pool_height``, ``pool_width`` and ``stride`` of the pooling.

    Returns
    -------
    out : ndarray, shape (N, F, H'', W'')
        Output of the pooling.
    cache : tuple
        ``(conv_cache, relu_cache, pool_cache)`` for the backward pass.
    """
    a, conv_cache = conv_forward_fast(x, w, b, conv_param)
    s, relu_cache = relu_forward(a)
    out, pool_cache = max_pool_forward_fast(s, pool_param)
    return out, (conv_cache, relu_cache, pool_cache)


def conv_relu_pool_backward(dout, cache):
    """Backward pass of ``conv_relu_pool_forward``.

    Parameters
    ----------
    dout : ndarray, shape (N, F, H'', W'')
        Upstream gradient.
    cache : tuple
        ``(conv_cache, relu_cache, pool_cache)`` from the forward pass.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
    dw : ndarray, shape (F, C, HH, WW)
    db : ndarray, shape (F,)
    """
    conv_cache, relu_cache, pool_cache = cache
    ds = max_pool_backward_fast(dout, pool_cache)
    da = relu_backward(ds, relu_cache)
    return conv_backward_fast(da, conv_cache)


def conv_bn_relu_forward(x, w, b, gamma, beta, conv_param, bn_param):
    """Convolution, spatial batch normalization, then a ReLU.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
        Input.
    w : ndarray, shape (F, C, HH, WW)
        Filters.
    b : ndarray, shape (F,)
        Biases.
    gamma, beta : ndarray, shape (F,)
        Scale and shift of each output channel.
    conv_param : dict
        ``stride`` and ``pad`` of the convolution.
    bn_param : dict
        As for ``spatial_batchnorm_forward`` (``mode`` required).

    Returns
    -------
    out : ndarray, shape (N, F, H', W')
        Output of the ReLU.
    cache : tuple
        ``(conv_cache, bn_cache, relu_cache)`` for the backward pass.
    """
    a, conv_cache = conv_forward_fast(x, w, b, conv_param)
    a_norm, bn_cache = spatial_batchnorm_forward(a, gamma, beta, bn_param)
    out, relu_cache = relu_forward(a_norm)
    return out, (conv_cache, bn_cache, relu_cache)


def conv_bn_relu_backward(dout, cache):
    """Backward pass of ``conv_bn_relu_forward``.

    Parameters
    ----------
    dout : ndarray, shape (N, F, H', W')
        Upstream gradient.
    cache : tuple
        ``(conv_cache, bn_cache, relu_cache)`` from the forward pass.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
    dw : ndarray, shape (F, C, HH, WW)
    db : ndarray, shape (F,)
    dgamma : ndarray, shape (F,)
    dbeta : ndarray, shape (F,)
    """
    conv_cache, bn_cache, relu_cache = cache
    da_norm = relu_backward(dout, relu_cache)
    da, dgamma, dbeta = spatial_batchnorm_backward(da_norm, bn_cache)
    dx, dw, db = conv_backward_fast(da, conv_cache)
    return dx, dw, db, dgamma, dbeta
