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
