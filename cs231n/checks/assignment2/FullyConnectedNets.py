"""Checks of the fully connected networks notebook (``FullyConnectedNets.ipynb``).

The probes build ``FullyConnectedNet`` after seeding ``np.random`` (and put its
state back after), set the weights they test with themselves from a fixed
seed, and compare your analytic gradients with the reference's. The update
rules are run on fixed inputs with a given state, as in the notebook. The
notebook checks retrain your overfitting runs with the hyperparameters you
chose, and measure the accuracy of ``best_model``.
"""
import functools

import numpy as np

from cs231n.checks import Verdict, close, global_seed, register, variable
from cs231n.checks.judges import accuracy, as_array, fields

DATASET = "cluttered_digits"
# The notebook's hyperparameter search trains two networks on all the training images: about
# 12 s on one free core, and two to three times that on a loaded grading machine, past the
# default limit of 30 s per cell.
STEP_SECONDS = 60


@functools.lru_cache(maxsize=1)
def _data():
    from cs231n.data_utils import get_data
    return get_data(DATASET)


def _input_dim(X):
    return int(np.prod(X.shape[1:]))


# --------------------------------------------------------------- FullyConnectedNet: __init__

def _init_probe(hidden_dims, input_dim, num_classes, weight_scale, **kwargs):
    from cs231n.classifiers.fc_net import FullyConnectedNet
    with global_seed(0):
        m = FullyConnectedNet(hidden_dims, input_dim=input_dim, num_classes=num_classes,
                              weight_scale=weight_scale, **kwargs)
    bn_params = getattr(m, "bn_params", None)
    return {"keys": sorted(str(k) for k in m.params),
            "params": {str(k): np.asarray(v, dtype=np.float64) for k, v in m.params.items()},
            "dtypes": {str(k): str(np.asarray(v).dtype) for k, v in m.params.items()},
            "num_layers": int(m.num_layers),
            "normalization": str(kwargs.get("normalization")),
            "bn_modes": [str(p.get("mode")) for p in bn_params] if isinstance(bn_params, list) else None,
            "weight_scale": float(weight_scale)}


def judge_init(observed, expected):
    """Same parameter names, shapes and dtypes as the reference; Gaussian weights, zero biases and
    betas, unit gammas; the same num_layers and, with batchnorm, one {"mode": "train"} dict per
    hidden layer."""
    if not isinstance(observed, dict) or not isinstance(observed.get("params"), dict):
        return Verdict(0.0, "the check returned malformed data")
    keys, want = observed.get("keys"), expected["keys"]
    if keys != want:
        missing = sorted(set(want) - set(keys or []))
        extra = sorted(set(keys or []) - set(want))
        return Verdict(0.0, f"model.params should have the keys {', '.join(want)}"
                            + (f"; missing {', '.join(missing)}" if missing else "")
                            + (f"; unexpected {', '.join(extra)}" if extra else ""))
    if observed.get("num_layers") != expected["num_layers"]:
        return Verdict(0.0, f"num_layers is {observed.get('num_layers')}, expected {expected['num_layers']}")
    if expected["normalization"] == "batchnorm" and observed.get("bn_modes") != expected["bn_modes"]:
        return Verdict(0.0, "bn_params should be a list of one {'mode': 'train'} dict per hidden layer "
                            f"({len(expected['bn_modes'])} here)")
    scale = expected["weight_scale"]
    stats = []
    for name in want:
        arr = as_array(observed["params"][name], expected["params"][name], name)
        if isinstance(arr, Verdict):
            return arr
        if observed["dtypes"].get(name) != expected["dtypes"][name]:
            return Verdict(0.0, f"{name} has dtype {observed['dtypes'].get(name)}, "
                                f"expected {expected['dtypes'][name]} (cast every parameter to dtype)")
        if name.startswith(("b", "beta")) and np.any(arr != 0):
            return Verdict(0.0, f"{name} should start at zero")
        if name.startswith("gamma") and np.any(arr != 1):
            return Verdict(0.0, f"{name} should start at one")
        if name.startswith("W"):
            std, mean = float(np.std(arr)), float(np.mean(arr))
            if not 0.8 * scale < std < 1.2 * scale:
                return Verdict(0.0, f"{name} has standard deviation {std:.3g}, should be weight_scale = {scale:g}")
            if abs(mean) >= 0.2 * scale:
                return Verdict(0.0, f"{name} has mean {mean:.3g}, should be 0")
            stats.append(f"{name} std {std:.3g}")
    return Verdict(1.0, "names, shapes and dtypes right; " + ", ".join(stats))


@register("test_fcn_init", "FullyConnectedNet([40, 30], input_dim=25, num_classes=7, weight_scale=1e-2): "
          "num_layers 3, W1..W3 and b1..b3 of the right shapes in float32, zero biases, "
          "weights of mean 0 and standard deviation 1e-2", judge_init)
def fcn_init_plain(ns):
    return _init_probe([40, 30], 25, 7, 1e-2)


@register("test_fcn_init", "FullyConnectedNet([40, 30], ..., normalization='batchnorm', dtype=np.float64): "
          "also gamma1, gamma2 (ones), beta1, beta2 (zeros) and two bn_params in train mode", judge_init)
def fcn_init_batchnorm(ns):
    return _init_probe([40, 30], 25, 7, 1e-2, normalization="batchnorm", dtype=np.float64)


@register("test_fcn_init", "FullyConnectedNet([40, 30], ..., normalization='layernorm'): "
          "gamma1, gamma2 (ones) and beta1, beta2 (zeros) too", judge_init)
def fcn_init_layernorm(ns):
    return _init_probe([40, 30], 25, 7, 1e-2, normalization="layernorm")


@register("test_fcn_init", "FullyConnectedNet built twice after np.random.seed(0) gets the same weights "
          "(draw them from np.random)", close(1e-12, "max", "the largest difference between the two builds"))
def fcn_init_deterministic(ns):
    from cs231n.classifiers.fc_net import FullyConnectedNet
    builds = []
    for _ in range(2):
        with global_seed(0):
            builds.append(FullyConnectedNet([6, 5], input_dim=4, num_classes=3, weight_scale=1.0,
                                            dtype=np.float64).params)
    if sorted(builds[0]) != sorted(builds[1]):
        raise ValueError("the two builds have different parameter names")
    return max(float(np.max(np.abs(np.asarray(builds[0][k]) - np.asarray(builds[1][k])), initial=0.0))
               for k in builds[0])


### BEGIN HIDDEN TESTS
@register("test_fcn_init", "FullyConnectedNet with 4 hidden layers, weight_scale 5e-2 and dtype float64",
          judge_init, hidden=True)
def fcn_init_deep(ns):
    return _init_probe([12, 50, 31, 26], 30, 5, 5e-2, dtype=np.float64)
### END HIDDEN TESTS


# --------------------------------------------------------------- FullyConnectedNet: loss

def _fixed_net(hidden_dims, input_shape, num_classes, reg, seed, n=5):
    """A float64 FullyConnectedNet with weights and biases drawn from ``seed``, inputs and labels.

    The weights are set here, not drawn by __init__, so that the check does not
    depend on the order in which your __init__ draws them.
    """
    from cs231n.classifiers.fc_net import FullyConnectedNet
    D = int(np.prod(input_shape))
    with global_seed(0):
        m = FullyConnectedNet(hidden_dims, input_dim=D, num_classes=num_classes, reg=reg,
                              weight_scale=5e-2, dtype=np.float64)
    rng = np.random.RandomState(seed)
    dims = [D] + list(hidden_dims) + [num_classes]
    for i in range(len(dims) - 1):
        m.params[f"W{i + 1}"] = rng.randn(dims[i], dims[i + 1]) * np.sqrt(2.0 / dims[i])
        # nonzero biases: regularising them by mistake must show in their gradients
        m.params[f"b{i + 1}"] = 0.1 * rng.randn(dims[i + 1])
    X = rng.randn(n, *input_shape)
    y = rng.randint(num_classes, size=n)
    return m, X, y


@register("test_fcn_loss", "FullyConnectedNet([20, 30], input_dim=15, num_classes=7, weight_scale=1e-6) "
          "on 5 inputs: scores of shape (5, 7) close to 0 without y, the loss log(7) = 1.946 with y",
          fields(scores=close(1e-4, "max", "scores"), loss=close(1e-4, "max", "loss")))
def fcn_loss_tiny(ns):
    from cs231n.classifiers.fc_net import FullyConnectedNet
    with global_seed(0):
        m = FullyConnectedNet([20, 30], input_dim=15, num_classes=7, weight_scale=1e-6, dtype=np.float64)
    rng = np.random.RandomState(1)
    X = rng.randn(5, 15)
    y = rng.randint(7, size=5)
    scores = m.loss(X)
    loss, _ = m.loss(X, y)
    return {"scores": scores, "loss": loss}


@register("test_fcn_loss", "FullyConnectedNet([20, 30]) with fixed weights and biases: the scores, "
          "the loss with reg = 0, and its growth 0.5 * reg * sum of W**2 over W1..W3 with reg = 3.14",
          fields(scores=close(1e-9, "rel", "scores"), loss=close(1e-9, "rel", "loss"),
                 growth=close(1e-9, "rel", "the loss's growth")))
def fcn_loss_fixed(ns):
    m, X, y = _fixed_net([20, 30], (15,), 7, 0.0, seed=2)
    scores = m.loss(X)
    loss, _ = m.loss(X, y)
    m.reg = 3.14
    loss_reg, _ = m.loss(X, y)
    return {"scores": scores, "loss": loss, "growth": loss_reg - loss}


### BEGIN HIDDEN TESTS
@register("test_fcn_loss", "FullyConnectedNet with 4 hidden layers on inputs of shape (3, 2, 2): "
          "scores and the loss with reg = 0.5",
          fields(scores=close(1e-9, "rel", "scores"), loss=close(1e-9, "rel", "loss")), hidden=True)
def fcn_loss_deep(ns):
    m, X, y = _fixed_net([9, 11, 6, 8], (3, 2, 2), 4, 0.5, seed=3, n=7)
    scores = m.loss(X)
    loss, _ = m.loss(X, y)
    return {"scores": scores, "loss": loss}
### END HIDDEN TESTS


# --------------------------------------------------------------- FullyConnectedNet: gradients

def _grads(hidden_dims, input_shape, num_classes, reg, seed, n=5):
    m, X, y = _fixed_net(hidden_dims, input_shape, num_classes, reg, seed, n)
    _, grads = m.loss(X, y)
    missing = sorted(set(m.params) - set(grads))
    if missing:
        raise KeyError(f"grads has no {', '.join(missing)}")
    return {str(k): np.asarray(grads[k], dtype=np.float64) for k in m.params}


def judge_grads(names, hint=None):
    each = fields(**{name: close(1e-6, "rel", name) for name in names})

    def judge(observed, expected):
        verdict = each(observed, expected)
        if hint and not verdict.passed and isinstance(observed, dict) and all(k in observed for k in names):
            weights = [k for k in names if k.startswith("W")]
            biases = [k for k in names if k.startswith("b")]
            weights_wrong = min(close(1e-6)(observed[k], expected[k]).fraction for k in weights) < 1
            biases_right = min(close(1e-6)(observed[k], expected[k]).fraction for k in biases) == 1
            if weights_wrong and biases_right:
                return Verdict(verdict.fraction, verdict.message + f" ({hint})")
        return verdict
    return judge


THREE = ("W1", "b1", "W2", "b2", "W3", "b3")


@register("test_fcn_grad", "FullyConnectedNet([20, 30], input_dim=15, num_classes=10) gradients with reg = 0 "
          "at fixed weights (float64)", judge_grads(THREE))
def fcn_grads_noreg(ns):
    return _grads([20, 30], (15,), 10, 0.0, seed=4)


@register("test_fcn_grad", "FullyConnectedNet([20, 30], input_dim=15, num_classes=10) gradients with reg = 3.14 "
          "at fixed weights (float64)", judge_grads(THREE, "is the regularisation gradient reg * W included "
                                                          "for every layer?"))
def fcn_grads_reg(ns):
    return _grads([20, 30], (15,), 10, 3.14, seed=4)


@register("test_fcn_grad", "FullyConnectedNet with one hidden layer ([10]) gradients with reg = 0.2",
          judge_grads(("W1", "b1", "W2", "b2")))
def fcn_grads_one_hidden(ns):
    return _grads([10], (6,), 3, 0.2, seed=5)


### BEGIN HIDDEN TESTS
@register("test_fcn_grad", "FullyConnectedNet with 4 hidden layers on inputs of shape (3, 2, 2), reg = 0.5",
          judge_grads(THREE + ("W4", "b4", "W5", "b5")), hidden=True)
def fcn_grads_deep(ns):
    return _grads([9, 11, 6, 8], (3, 2, 2), 4, 0.5, seed=6, n=7)
### END HIDDEN TESTS


# --------------------------------------------------------------- overfitting 50 examples

SMALL = 50


def _small_labels():
    return _data()["y_train"][:SMALL]


def _hyper(ns, name):
    value = variable(ns, name)
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} should be a number, got {type(value).__name__}") from None
    if not np.isfinite(value) or value <= 0:
        raise ValueError(f"{name} should be a positive number, got {value}")
    return value


def _overfit(hidden_dims, weight_scale, learning_rate):
    """Train as the notebook does, on the first 50 training examples, and predict them.

    The 50 examples double as the validation set, so that the Solver keeps the
    parameters of the best training accuracy.
    """
    from cs231n.classifiers.fc_net import FullyConnectedNet
    from cs231n.solver import Solver
    d = _data()
    X, y = d["X_train"][:SMALL], d["y_train"][:SMALL]
    with global_seed(0):
        model = FullyConnectedNet(hidden_dims, input_dim=_input_dim(X), num_classes=10,
                                  weight_scale=weight_scale, dtype=np.float64)
    solver = Solver(model, {"X_train": X, "y_train": y, "X_val": X, "y_val": y},
                    update_rule="sgd", optim_config={"learning_rate": learning_rate},
                    num_epochs=20, batch_size=25, verbose=False, seed=0)
    with np.errstate(all="ignore"):
        solver.train()
        predictions = np.argmax(model.loss(X), axis=1)
    return {"loss_history": np.asarray(solver.loss_history, dtype=np.float64), "predictions": predictions}


def judge_overfit(at_least):
    def judge(observed, expected):
        if not isinstance(observed, dict) or "loss_history" not in observed or "predictions" not in observed:
            return Verdict(0.0, "the check returned malformed data")
        try:
            history = np.asarray(observed["loss_history"], dtype=np.float64).ravel()
        except (TypeError, ValueError):
            return Verdict(0.0, "the loss history is not a list of numbers")
        if not np.all(np.isfinite(history)):
            first = int(np.argmin(np.isfinite(history)))
            return Verdict(0.0, f"the loss became nan or inf during training (iteration {first + 1}): "
                                "lower the learning rate or the weight scale")
        return accuracy(at_least, "best training accuracy on the 50 examples")(observed["predictions"], expected)
    return judge


@register("test_overfit_three_layer", "a 3-layer net [100, 100] trained with SGD and your three_layer_weight_scale "
          "and three_layer_learning_rate (20 epochs, batch 25, seeds 0) reaches 100% accuracy on the "
          "50 training examples", judge_overfit(1.0), notebook=True, expect=_small_labels)
def overfit_three_layer(ns):
    return _overfit([100, 100], _hyper(ns, "three_layer_weight_scale"), _hyper(ns, "three_layer_learning_rate"))


@register("test_overfit_five_layer", "a 5-layer net [100, 100, 100, 100] trained with SGD and your "
          "five_layer_weight_scale and five_layer_learning_rate (20 epochs, batch 25, seeds 0) reaches 100% "
          "accuracy on the 50 training examples", judge_overfit(1.0), notebook=True, expect=_small_labels)
def overfit_five_layer(ns):
    return _overfit([100, 100, 100, 100], _hyper(ns, "five_layer_weight_scale"),
                    _hyper(ns, "five_layer_learning_rate"))


# --------------------------------------------------------------- update rules

N_OPT, D_OPT = 4, 5


def _linspace(lo, hi):
    return np.linspace(lo, hi, num=N_OPT * D_OPT).reshape(N_OPT, D_OPT)


def _run_rule(name, w, dw, config, steps=1):
    from cs231n import optim
    rule = getattr(optim, name)
    for _ in range(steps):
        w, config = rule(w, dw, config)
    return w, config


def _state(config, keys):
    missing = [k for k in keys if k not in config]
    if missing:
        raise KeyError(f"config has no {', '.join(missing)} after the update")
    state = {k: np.asarray(config[k], dtype=np.float64) for k in keys}
    # numbers (the step count t) as numbers: 0-d arrays do not survive the trip to the judge
    return {k: float(v) if v.ndim == 0 else v for k, v in state.items()}


def judge_rule(*state):
    return fields(next_w=close(1e-8, "rel", "next_w"), **{k: close(1e-8, "rel", k) for k in state})


@register("test_sgd_momentum", "sgd_momentum on w, dw (4, 5) = linspace(-0.4, 0.6), linspace(-0.6, 0.4) with "
          "velocity linspace(0.6, 0.9) and learning_rate 1e-3: next_w and the new velocity",
          judge_rule("velocity"))
def sgd_momentum_fixed(ns):
    config = {"learning_rate": 1e-3, "velocity": _linspace(0.6, 0.9)}
    next_w, config = _run_rule("sgd_momentum", _linspace(-0.4, 0.6), _linspace(-0.6, 0.4), config)
    return {"next_w": next_w, **_state(config, ["velocity"])}


@register("test_sgd_momentum", "sgd_momentum with the default config (config=None), three steps",
          judge_rule("velocity"))
def sgd_momentum_defaults(ns):
    next_w, config = _run_rule("sgd_momentum", _linspace(-0.4, 0.6), _linspace(-0.6, 0.4), None, steps=3)
    return {"next_w": next_w, **_state(config, ["velocity"])}


@register("test_rmsprop", "rmsprop on w, dw (4, 5) = linspace(-0.4, 0.6), linspace(-0.6, 0.4) with "
          "cache linspace(0.7, 0.9) and learning_rate 1e-2: next_w and the new cache", judge_rule("cache"))
def rmsprop_fixed(ns):
    config = {"learning_rate": 1e-2, "cache": _linspace(0.7, 0.9)}
    next_w, config = _run_rule("rmsprop", _linspace(-0.4, 0.6), _linspace(-0.6, 0.4), config)
    return {"next_w": next_w, **_state(config, ["cache"])}


@register("test_rmsprop", "rmsprop with the default config (config=None), three steps", judge_rule("cache"))
def rmsprop_defaults(ns):
    next_w, config = _run_rule("rmsprop", _linspace(-0.4, 0.6), _linspace(-0.6, 0.4), None, steps=3)
    return {"next_w": next_w, **_state(config, ["cache"])}


@register("test_adam", "adam on w, dw (4, 5) = linspace(-0.4, 0.6), linspace(-0.6, 0.4) with "
          "m linspace(0.6, 0.9), v linspace(0.7, 0.5), t 5 and learning_rate 1e-2: next_w, m, v and t",
          judge_rule("m", "v", "t"))
def adam_fixed(ns):
    config = {"learning_rate": 1e-2, "m": _linspace(0.6, 0.9), "v": _linspace(0.7, 0.5), "t": 5}
    next_w, config = _run_rule("adam", _linspace(-0.4, 0.6), _linspace(-0.6, 0.4), config)
    return {"next_w": next_w, **_state(config, ["m", "v", "t"])}


@register("test_adam", "adam with the default config (config=None), three steps: bias correction "
          "matters most in the first steps", judge_rule("m", "v", "t"))
def adam_defaults(ns):
    next_w, config = _run_rule("adam", _linspace(-0.4, 0.6), _linspace(-0.6, 0.4), None, steps=3)
    return {"next_w": next_w, **_state(config, ["m", "v", "t"])}


### BEGIN HIDDEN TESTS
def _random_rule_inputs(seed):
    rng = np.random.RandomState(seed)
    return rng, rng.randn(3, 7), rng.randn(3, 7)


@register("test_sgd_momentum", "sgd_momentum on random w, dw and velocity, momentum 0.8",
          judge_rule("velocity"), hidden=True)
def sgd_momentum_random(ns):
    rng, w, dw = _random_rule_inputs(10)
    config = {"learning_rate": 0.05, "momentum": 0.8, "velocity": rng.randn(3, 7)}
    next_w, config = _run_rule("sgd_momentum", w, dw, config, steps=2)
    return {"next_w": next_w, **_state(config, ["velocity"])}


@register("test_rmsprop", "rmsprop on random w, dw and cache, decay_rate 0.9", judge_rule("cache"), hidden=True)
def rmsprop_random(ns):
    rng, w, dw = _random_rule_inputs(11)
    config = {"learning_rate": 0.03, "decay_rate": 0.9, "cache": rng.rand(3, 7)}
    next_w, config = _run_rule("rmsprop", w, dw, config, steps=2)
    return {"next_w": next_w, **_state(config, ["cache"])}


@register("test_adam", "adam on random w, dw, m, v with t 17, beta1 0.8, beta2 0.99",
          judge_rule("m", "v", "t"), hidden=True)
def adam_random(ns):
    rng, w, dw = _random_rule_inputs(12)
    config = {"learning_rate": 0.02, "beta1": 0.8, "beta2": 0.99, "m": rng.randn(3, 7), "v": rng.rand(3, 7),
              "t": 17}
    next_w, config = _run_rule("adam", w, dw, config, steps=2)
    return {"next_w": next_w, **_state(config, ["m", "v", "t"])}
### END HIDDEN TESTS


# --------------------------------------------------------------- the notebook's tuned model

def _val_test_labels():
    d = _data()
    return {"val": d["y_val"], "test": d["y_test"]}


def _predict(model, X, batch_size=500):
    return np.concatenate([np.argmax(model.loss(X[i:i + batch_size]), axis=1)
                           for i in range(0, X.shape[0], batch_size)])


@register("test_fcn_best", "best_model reaches >= 0.6 on the validation set and >= 0.6 on the test set",
          fields(val=accuracy(0.6, "validation accuracy", 0.686), test=accuracy(0.6, "test accuracy", 0.705)),
          notebook=True, expect=_val_test_labels)
def fcn_best(ns):
    best_model = variable(ns, "best_model")
    if best_model is None:
        raise ValueError("best_model is None: store your best FullyConnectedNet in it")
    d = _data()
    return {"val": _predict(best_model, d["X_val"]), "test": _predict(best_model, d["X_test"])}
