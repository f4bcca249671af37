"""First-order update rules.

Every rule has the same interface, so ``Solver`` can look one up by name::

    next_w, config = update(w, dw, config)

Parameters
----------
w : ndarray
    Current weights, any shape.
dw : ndarray
    Gradient of the loss with respect to ``w``, same shape as ``w``.
config : dict or None
    Hyperparameters (e.g. ``learning_rate``) and any state the rule carries
    between steps (e.g. a velocity). Missing entries get defaults.

Returns
-------
next_w : ndarray
    Updated weights, same shape as ``w``.
config : dict
    The config to pass to the next call for this parameter.
"""

import numpy as np


def sgd(w, dw, config=None):
    """Vanilla stochastic gradient descent: ``w - learning_rate * dw``.

    Parameters
    ----------
    w : ndarray
        Weights, any shape.
    dw : ndarray
        Gradient, same shape as ``w``.
    config : dict or None
        ``learning_rate`` (float, default 1e-2).

    Returns
    -------
    next_w : ndarray
        Updated weights, same shape as ``w``.
    config : dict
        The config with defaults filled in.
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)

    next_w = w - config["learning_rate"] * dw
    return next_w, config


def sgd_momentum(w, dw, config=None):
    """Stochastic gradient descent with momentum.

    ``v = momentum * v - learning_rate * dw`` and ``next_w = w + v``: the
    velocity is a running, decaying sum of past steps, which damps the
    oscillation across a ravine and speeds up travel along it.

    Parameters
    ----------
    w : ndarray
        Weights, any shape.
    dw : ndarray
        Gradient, same shape as ``w``.
    config : dict or None
        ``learning_rate`` (float, default 1e-2); ``momentum`` (float in
        [0, 1), default 0.9); ``velocity`` (ndarray like ``w``, default
        zeros), the state carried between steps.

    Returns
    -------
    next_w : ndarray
        Updated weights, same shape as ``w``.
    config : dict
        The config with defaults filled in and the new ``velocity``.
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("momentum", 0.9)
    v = config.get("velocity", np.zeros_like(w))

    next_w = None
    # TODO: Update the velocity v (same shape as w) and compute next_w from
    # it as in the docstring. Store the new velocity in config["velocity"].
    ### BEGIN SOLUTION assignment2
    v = config["momentum"] * v - config["learning_rate"] * dw
    next_w = w + v
    ### END SOLUTION
    config["velocity"] = v
    return next_w, config


def rmsprop(w, dw, config=None):
    """RMSProp: divide each step by a running root mean square of the gradient.

    ``cache = decay_rate * cache + (1 - decay_rate) * dw**2`` and
    ``next_w = w - learning_rate * dw / (sqrt(cache) + epsilon)``, so every
    coordinate gets its own effective learning rate.

    Parameters
    ----------
    w : ndarray
        Weights, any shape.
    dw : ndarray
        Gradient, same shape as ``w``.
    config : dict or None
        ``learning_rate`` (float, default 1e-2); ``decay_rate`` (float in
        [0, 1), default 0.99); ``epsilon`` (float, default 1e-8, keeps the
        division finite); ``cache`` (ndarray like ``w``, default zeros), the
        running mean of ``dw**2``.

    Returns
    -------
    next_w : ndarray
        Updated weights, same shape as ``w``.
    config : dict
        The config with defaults filled in and the new ``cache``.
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-2)
    config.setdefault("decay_rate", 0.99)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("cache", np.zeros_like(w))

    next_w = None
    # TODO: Update config["cache"] (same shape as w) with the squared
    # gradient and compute next_w as in the docstring.
    ### BEGIN SOLUTION assignment2
    decay = config["decay_rate"]
    config["cache"] = decay * config["cache"] + (1 - decay) * dw**2
    next_w = w - config["learning_rate"] * dw / (np.sqrt(config["cache"]) + config["epsilon"])
    ### END SOLUTION
    return next_w, config


def adam(w, dw, config=None):
    """Adam: momentum on the gradient and RMSProp scaling, both bias-corrected.

    With ``t`` counting the steps taken including this one::

        m = beta1 * m + (1 - beta1) * dw
        v = beta2 * v + (1 - beta2) * dw**2
        mt = m / (1 - beta1**t)
        vt = v / (1 - beta2**t)
        next_w = w - learning_rate * mt / (sqrt(vt) + epsilon)

    ``m`` and ``v`` start at zero and would underestimate the moments in the
    first steps; the division by ``1 - beta**t`` removes that bias.

    Parameters
    ----------
    w : ndarray
        Weights, any shape.
    dw : ndarray
        Gradient, same shape as ``w``.
    config : dict or None
        ``learning_rate`` (float, default 1e-3); ``beta1`` (default 0.9) and
        ``beta2`` (default 0.999), the decay rates of the first and second
        moments; ``epsilon`` (default 1e-8); ``m`` and ``v`` (ndarrays like
        ``w``, default zeros) and ``t`` (int, default 0), the state.

    Returns
    -------
    next_w : ndarray
        Updated weights, same shape as ``w``.
    config : dict
        The config with defaults filled in and the new ``m``, ``v`` and ``t``.
    """
    if config is None:
        config = {}
    config.setdefault("learning_rate", 1e-3)
    config.setdefault("beta1", 0.9)
    config.setdefault("beta2", 0.999)
    config.setdefault("epsilon", 1e-8)
    config.setdefault("m", np.zeros_like(w))
    config.setdefault("v", np.zeros_like(w))
    config.setdefault("t", 0)

    next_w = None
    # TODO: Increment config["t"] first, then update config["m"] and
    # config["v"] (same shape as w), bias-correct them and compute next_w as
    # in the docstring.
    ### BEGIN SOLUTION assignment2
    config["t"] += 1
    t, beta1, beta2 = config["t"], config["beta1"], config["beta2"]
    config["m"] = beta1 * config["m"] + (1 - beta1) * dw
    config["v"] = beta2 * config["v"] + (1 - beta2) * dw**2
    mt = config["m"] / (1 - beta1**t)
    vt = config["v"] / (1 - beta2**t)
    next_w = w - config["learning_rate"] * mt / (np.sqrt(vt) + config["epsilon"])
    ### END SOLUTION
    return next_w, config
