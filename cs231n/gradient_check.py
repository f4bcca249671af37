"""Numerical gradients by centred differences, to check analytic backward passes.

The centred difference ``(f(x + h) - f(x - h)) / 2h`` has error O(h^2), so in
float64 with ``h = 1e-5`` an analytic gradient that is right agrees to a
relative error of about 1e-7 or better; a wrong one is usually off by 1e-2 or
more.
"""

import numpy as np


def rel_error(x, y):
    """Largest elementwise relative error between two arrays.

    Parameters
    ----------
    x, y : array_like
        Arrays of the same shape.

    Returns
    -------
    float
        ``max |x - y| / max(1e-8, |x| + |y|)``; the floor keeps entries that
        are both zero from dividing by zero.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def eval_numerical_gradient(f, x, verbose=True, h=1e-5):
    """Numerical gradient of a scalar function at ``x``.

    Parameters
    ----------
    f : callable
        ``f(x) -> float``. ``x`` is modified in place during the evaluation and
        restored afterwards, so ``f`` must read it rather than copy it once.
    x : ndarray of float
        Point at which to evaluate the gradient, any shape.
    verbose : bool
        Print each coordinate and its partial derivative.
    h : float
        Step of the centred difference.

    Returns
    -------
    grad : ndarray
        Same shape as ``x``.
    """
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    while not it.finished:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + h
        fxph = f(x)
        x[ix] = old - h
        fxmh = f(x)
        x[ix] = old
        grad[ix] = (fxph - fxmh) / (2 * h)
        if verbose:
            print(ix, grad[ix])
        it.iternext()
    return grad


def eval_numerical_gradient_array(f, x, df, h=1e-5):
    """Numerical gradient for an array-valued function, contracted with ``df``.

    Computes ``d(sum(f(x) * df)) / dx``, i.e. what a backward pass returns for
    the upstream gradient ``df``.

    Parameters
    ----------
    f : callable
        ``f(x) -> ndarray``. ``x`` is modified in place and restored.
    x : ndarray of float
        Input, any shape.
    df : ndarray
        Upstream gradient, same shape as ``f(x)``.
    h : float
        Step of the centred difference.

    Returns
    -------
    grad : ndarray
        Same shape as ``x``.
    """
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    while not it.finished:
        ix = it.multi_index
        old = x[ix]
        x[ix] = old + h
        pos = np.array(f(x), copy=True)
        x[ix] = old - h
        neg = np.array(f(x), copy=True)
        x[ix] = old
        grad[ix] = np.sum((pos - neg) * df) / (2 * h)
        it.iternext()
    return grad


def grad_check_sparse(f, x, analytic_grad, num_checks=10, h=1e-5, seed=None):
    """Compare an analytic gradient with numerical ones at random coordinates.

    Cheaper than a full numerical gradient when ``x`` is large (e.g. a weight
    matrix of a linear classifier).

    Parameters
    ----------
    f : callable
        ``f(x) -> float``. ``x`` is modified in place and restored.
    x : ndarray of float
        Point of evaluation, any shape.
    analytic_grad : ndarray
        The gradient to check, same shape as ``x``.
    num_checks : int
        Number of random coordinates to check.
    h : float
        Step of the centred difference.
    seed : int or None
        Seed for choosing the coordinates; ``None`` uses ``np.random``'s
        global state, as CS231n does.

    Returns
    -------
    rel_errors : list of float
        The relative error at each checked coordinate, in the order printed.
    """
    rng = np.random if seed is None else np.random.RandomState(seed)
    rel_errors = []
    for _ in range(num_checks):
        ix = tuple(int(rng.randint(m)) for m in x.shape)
        old = x[ix]
        x[ix] = old + h
        fxph = f(x)
        x[ix] = old - h
        fxmh = f(x)
        x[ix] = old
        grad_numerical = (fxph - fxmh) / (2 * h)
        grad_analytic = analytic_grad[ix]
        denom = abs(grad_numerical) + abs(grad_analytic)
        # Both zero means they agree exactly; avoid 0/0.
        err = 0.0 if denom == 0 else abs(grad_numerical - grad_analytic) / denom
        rel_errors.append(float(err))
        print(
            "numerical: %f analytic: %f, relative error: %e"
            % (grad_numerical, grad_analytic, err)
        )
    return rel_errors
