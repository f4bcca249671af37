"""Fast convolution and max pooling in NumPy, with the naive layers' interface.

A convolution is a matrix product in disguise. Each output pixel ``(i, j)`` of
filter ``f`` is the dot product of ``w[f]``, flattened to length
``K = C * HH * WW``, with the ``C x HH x WW`` window of the padded input that
starts at row ``i * stride`` and column ``j * stride``. *im2col* ("image to
columns") copies every such window into a column of a matrix ``cols`` of
shape ``(K, H' * W')`` per example; the convolution of all ``F`` filters is
then the single product ``w.reshape(F, K) @ cols`` of shape ``(F, H' * W')``,
which a BLAS library computes at close to the machine's peak speed. The
price is memory: each input pixel is copied into up to ``HH * WW`` columns.

The windows are never gathered with a Python loop over pixels:
``numpy.lib.stride_tricks.sliding_window_view`` returns a view of the input
in which the windows are an extra pair of axes, so one ``reshape`` copies them
all into ``cols``.

The backward pass follows from the product. With ``dout`` reshaped to
``(F, H' * W')``, ``dw = dout @ cols.T`` and ``dcols = w.T @ dout``. *col2im*
sends ``dcols`` back to the input: every column entry adds its gradient to the
input pixel it was copied from, and a pixel that sat in several windows
collects the sum. This is done with one vectorised addition per kernel offset
``(kh, kw)``, i.e. ``HH * WW`` additions of strided slices.

Max pooling loops over the ``pool_height * pool_width`` offsets inside a
window rather than over the windows: offset ``(kh, kw)`` of every window at
once is one strided slice of the input or, when the windows tile the input
exactly (window size equal to the stride and dividing the input size), one
slice of a reshape of it. The backward pass sends each upstream gradient to
one input: the first maximum of its window in row-major order, as the naive
layer does, even when several entries tie.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


# Entries of dcols computed at a time in conv_backward_fast (4 MB in float32).
_CHUNK_ELEMENTS = 1 << 20


def _check_int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _check_ndim(name, array, ndim, shape_text):
    if np.ndim(array) != ndim:
        raise ValueError(f"{name} must have shape {shape_text}, got shape {np.shape(array)}")


def _output_size(size, window, stride, what):
    """Number of window positions along one axis, ``1 + (size - window) // stride``."""
    if window > size:
        raise ValueError(f"{what} ({window}) is larger than the (padded) input ({size})")
    return 1 + (size - window) // stride


def _pad(x, pad):
    """Zero-pad the last two axes of ``x`` by ``pad`` on each side."""
    if pad == 0:
        return x
    N, C, H, W = x.shape
    xp = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=x.dtype)
    xp[:, :, pad:pad + H, pad:pad + W] = x
    return xp


def _windows(x, HH, WW, stride):
    """Strided view of all windows: shape (N, C, H', W', HH, WW), no copy."""
    return sliding_window_view(x, (HH, WW), axis=(2, 3))[:, :, ::stride, ::stride]


def _offset_slices(kh, kw, stride, H_out, W_out):
    """Rows and columns of the entries at offset (kh, kw) of every window."""
    rows = slice(kh, kh + stride * (H_out - 1) + 1, stride)
    columns = slice(kw, kw + stride * (W_out - 1) + 1, stride)
    return rows, columns


def conv_forward_fast(x, w, b, conv_param):
    """Forward pass of a convolutional layer via im2col and a matrix product.

    Same contract as ``conv_forward_naive``: ``x`` is zero-padded by ``pad``
    on both sides of its height and width, then each of the ``F`` filters is
    slid over it with step ``stride``. The result has the dtype numpy gives
    the product of ``x`` and ``w`` (float32 stays float32).

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
        Input images.
    w : ndarray, shape (F, C, HH, WW)
        Filters.
    b : ndarray, shape (F,)
        Biases.
    conv_param : dict
        ``'stride'``: int >= 1, step between windows; ``'pad'``: int >= 0,
        zeros added on each side of H and W.

    Returns
    -------
    out : ndarray, shape (N, F, H', W')
        ``H' = 1 + (H + 2 * pad - HH) // stride``, likewise ``W'``.
    cache : tuple
        ``(x_shape, w, cols, conv_param)``: the input's shape, the filters,
        the im2col matrix ``cols`` of shape (N, C * HH * WW, H' * W') and
        the conv_param, for ``conv_backward_fast``.
    """
    _check_ndim("x", x, 4, "(N, C, H, W)")
    _check_ndim("w", w, 4, "(F, C, HH, WW)")
    N, C, H, W = x.shape
    F, Cw, HH, WW = w.shape
    if Cw != C:
        raise ValueError(f"w must have {C} channels like x, got w of shape {w.shape}")
    if np.shape(b) != (F,):
        raise ValueError(f"b must have shape ({F},), got {np.shape(b)}")
    stride = _check_int("conv_param['stride']", conv_param.get("stride"), 1)
    pad = _check_int("conv_param['pad']", conv_param.get("pad"), 0)
    H_out = _output_size(H + 2 * pad, HH, stride, "filter height")
    W_out = _output_size(W + 2 * pad, WW, stride, "filter width")

    # (N, C, H', W', HH, WW) view -> (N, C, HH, WW, H', W') copy, so that each
    # example's columns are one contiguous (K, H' * W') matrix.
    windows = _windows(_pad(x, pad), HH, WW, stride)
    cols = windows.transpose(0, 1, 4, 5, 2, 3).reshape(N, C * HH * WW, H_out * W_out)
    # (F, K) @ (N, K, P) -> (N, F, P): one BLAS product per example, and the
    # result is already in (N, F, H', W') order.
    out = w.reshape(F, -1) @ cols
    # In place, so the bias does not change the dtype of x and w's product.
    out += b.reshape(1, F, 1)
    out = out.reshape(N, F, H_out, W_out)
    return out, (x.shape, w, cols, conv_param)


def conv_backward_fast(dout, cache):
    """Backward pass of ``conv_forward_fast``.

    Parameters
    ----------
    dout : ndarray, shape (N, F, H', W')
        Upstream gradient.
    cache : tuple
        ``(x_shape, w, cols, conv_param)`` from ``conv_forward_fast``.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
        Gradient with respect to x.
    dw : ndarray, shape (F, C, HH, WW)
        Gradient with respect to w.
    db : ndarray, shape (F,)
        Gradient with respect to b.
    """
    x_shape, w, cols, conv_param = cache
    N, C, H, W = x_shape
    F, _, HH, WW = w.shape
    stride, pad = conv_param["stride"], conv_param["pad"]
    H_out, W_out = dout.shape[2], dout.shape[3]
    if dout.shape != (N, F, H_out, W_out) or cols.shape[2] != H_out * W_out:
        raise ValueError(
            f"dout must have shape (N, F, H', W') = the forward output's, got {dout.shape}"
        )

    dout_r = dout.reshape(N, F, H_out * W_out)
    db = dout_r.sum(axis=(0, 2))
    # Sum over examples of (F, P) @ (P, K); the batched product keeps each
    # term a BLAS call and the (N, F, K) stack is small.
    dw = (dout_r @ cols.transpose(0, 2, 1)).sum(axis=0).reshape(w.shape)

    # dcols = w.T @ dout is as large as cols; computing it a few examples at a
    # time keeps each piece in the CPU cache while col2im reads it back.
    w_t = w.reshape(F, -1).T
    dxp = np.zeros((N, C, H + 2 * pad, W + 2 * pad), dtype=np.result_type(dout, w))
    chunk = max(1, _CHUNK_ELEMENTS // cols[0].size)
    for start in range(0, N, chunk):
        dcols = (w_t @ dout_r[start:start + chunk]).reshape(-1, C, HH, WW, H_out, W_out)
        dxp_chunk = dxp[start:start + chunk]
        # col2im: the entry for offset (kh, kw) of window (i, j) came from
        # padded pixel (i * stride + kh, j * stride + kw). For a fixed offset
        # these pixels are distinct, so a strided slice is added in one go.
        for kh in range(HH):
            for kw in range(WW):
                rows, columns = _offset_slices(kh, kw, stride, H_out, W_out)
                dxp_chunk[:, :, rows, columns] += dcols[:, :, kh, kw]
    dx = dxp[:, :, pad:pad + H, pad:pad + W]
    return np.ascontiguousarray(dx), dw, db


def _pool_shape(x, pool_param):
    _check_ndim("x", x, 4, "(N, C, H, W)")
    ph = _check_int("pool_param['pool_height']", pool_param.get("pool_height"), 1)
    pw = _check_int("pool_param['pool_width']", pool_param.get("pool_width"), 1)
    stride = _check_int("pool_param['stride']", pool_param.get("stride"), 1)
    H, W = x.shape[2], x.shape[3]
    H_out = _output_size(H, ph, stride, "pool height")
    W_out = _output_size(W, pw, stride, "pool width")
    return ph, pw, stride, H_out, W_out


def _tiles_exactly(x_shape, ph, pw, stride):
    """True if the pooling windows cover the input without gaps or overlaps."""
    H, W = x_shape[2], x_shape[3]
    return ph == pw == stride and H % ph == 0 and W % pw == 0


def max_pool_forward_fast(x, pool_param):
    """Forward pass of a max-pooling layer without loops over pixels.

    The loop runs over the ``pool_height * pool_width`` offsets inside a
    window, each step comparing one entry of every window at once. When the
    windows tile the input exactly (``pool_height == pool_width == stride``
    dividing H and W), those entries come from a reshape of ``x``; otherwise
    from strided slices.

    Parameters
    ----------
    x : ndarray, shape (N, C, H, W)
        Input.
    pool_param : dict
        ``'pool_height'``, ``'pool_width'``: window size; ``'stride'``: step
        between windows (all ints >= 1).

    Returns
    -------
    out : ndarray, shape (N, C, H', W')
        ``H' = 1 + (H - pool_height) // stride``, likewise ``W'``.
    cache : tuple
        ``(x_shape, argmax, pool_param)``: the input's shape and, for every
        window, the row-major index ``kh * pool_width + kw`` of its first
        maximum, shape (N, C, H', W').
    """
    ph, pw, stride, H_out, W_out = _pool_shape(x, pool_param)
    N, C = x.shape[:2]
    if _tiles_exactly(x.shape, ph, pw, stride):
        blocks = x.reshape(N, C, H_out, ph, W_out, pw)

        def entries(kh, kw):
            return blocks[:, :, :, kh, :, kw]
    else:

        def entries(kh, kw):
            rows, columns = _offset_slices(kh, kw, stride, H_out, W_out)
            return x[:, :, rows, columns]

    out = entries(0, 0).copy()
    for k in range(1, ph * pw):
        np.maximum(out, entries(*divmod(k, pw)), out=out)
    # Going through the offsets backwards, the last one written is the first
    # maximum in row-major order, the entry the naive layer picks on a tie.
    argmax = np.full(out.shape, ph * pw - 1, dtype=np.min_scalar_type(ph * pw - 1))
    for k in range(ph * pw - 2, -1, -1):
        np.copyto(argmax, k, where=entries(*divmod(k, pw)) == out)
    return out, (x.shape, argmax, pool_param)


def max_pool_backward_fast(dout, cache):
    """Backward pass of ``max_pool_forward_fast``.

    Each entry of ``dout`` goes to the first maximum (row-major) of its
    window; where windows overlap, an input collects the sum of the
    gradients of every window whose maximum it is.

    Parameters
    ----------
    dout : ndarray, shape (N, C, H', W')
        Upstream gradient.
    cache : tuple
        ``(x_shape, argmax, pool_param)`` from ``max_pool_forward_fast``.

    Returns
    -------
    dx : ndarray, shape (N, C, H, W)
        Gradient with respect to x.
    """
    x_shape, argmax, pool_param = cache
    if dout.shape != argmax.shape:
        raise ValueError(
            f"dout must have the forward output's shape {argmax.shape}, got {dout.shape}"
        )
    N, C = x_shape[:2]
    ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    H_out, W_out = argmax.shape[2], argmax.shape[3]
    if _tiles_exactly(x_shape, ph, pw, stride):
        # Disjoint windows covering x: every input entry is written once.
        dx = np.empty(x_shape, dtype=dout.dtype)
        blocks = dx.reshape(N, C, H_out, ph, W_out, pw)
        for k in range(ph * pw):
            kh, kw = divmod(k, pw)
            blocks[:, :, :, kh, :, kw] = np.where(argmax == k, dout, 0)
        return dx

    # Windows may overlap or leave gaps: accumulate one offset at a time
    # instead of a slow scatter with np.add.at.
    dx = np.zeros(x_shape, dtype=dout.dtype)
    for k in range(ph * pw):
        rows, columns = _offset_slices(*divmod(k, pw), stride, H_out, W_out)
        dx[:, :, rows, columns] += np.where(argmax == k, dout, 0)
    return dx
