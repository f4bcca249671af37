"""Checks of the normalization notebook (``BatchNormalization.ipynb``).

Each probe builds its inputs from a fixed seed, calls your code and returns
what it computed; the judge beside it compares that with the reference (for
gradients: your analytic gradient with the reference's analytic gradient).
The inputs give every feature (or example) its own scale, from 0.01 to 10, so
that where ``eps`` goes and which axis the statistics are taken over both
show in the results. ``FullyConnectedNet`` draws its initial weights from
``np.random``'s global state, so the probes seed it before building a
network, then set every parameter themselves. The last check reads the
solvers of experiment 1 from your notebook.
"""
import numpy as np

from cs231n.checks import Verdict, close, equal, global_seed, register, variable
from cs231n.checks.judges import fields

GRAD_TOL = 1e-6


def _grads_judge(tol=GRAD_TOL):
    return fields(dx=close(tol, "rel", "dx"), dgamma=close(tol, "rel", "dgamma"), dbeta=close(tol, "rel", "dbeta"))


def _batch(rng, N, D):
    """x (N, D) whose features have means of size ~5 and standard deviations from 0.01 to 10, and gamma, beta (D,)."""
    x = 5.0 * rng.randn(D) + np.logspace(-2, 1, D) * rng.randn(N, D)
    gamma = 0.5 + rng.rand(D)
    beta = rng.randn(D)
    return x, gamma, beta


def _per_example_batch(rng, N, D):
    """x (N, D) whose examples have means of size ~5 and standard deviations from 0.01 to 10, and gamma, beta (D,)."""
    x = 5.0 * rng.randn(N, 1) + np.logspace(-2, 1, N)[:, None] * rng.randn(N, D)
    gamma = 0.5 + rng.rand(D)
    beta = rng.randn(D)
    return x, gamma, beta


# --------------------------------------------------------------- batchnorm forward, train mode

def _bn_train(seed, N, D, **extra):
    from cs231n.layers import batchnorm_forward
    rng = np.random.RandomState(seed)
    x, gamma, beta = _batch(rng, N, D)
    x_before = x.copy()
    bn_param = {"mode": "train", **extra}
    out, _ = batchnorm_forward(x, gamma, beta, bn_param)
    return {"out": out, "running_mean": bn_param.get("running_mean"), "running_var": bn_param.get("running_var"),
            "x_unchanged": float(np.array_equal(x, x_before))}


BN_TRAIN = fields(out=close(1e-7, "rel", "out"), running_mean=close(1e-7, "rel", "running_mean"),
                  running_var=close(1e-7, "rel", "running_var"), x_unchanged=equal("x left unchanged (1 = yes)"))


@register("test_bn_forward_train", "batchnorm_forward in train mode on x (6, 5) with given gamma and beta: "
          "the output, and bn_param's running_mean and running_var after this first call (from zeros, "
          "momentum 0.9)", BN_TRAIN, weight=2)
def bn_train_first_call(ns):
    return _bn_train(0, 6, 5)


@register("test_bn_forward_train", "batchnorm_forward in train mode with bn_param's momentum 0.5, eps 1e-3 and "
          "running averages already in bn_param: the output and the updated running averages", BN_TRAIN)
def bn_train_given_params(ns):
    rng = np.random.RandomState(10)
    return _bn_train(1, 6, 5, momentum=0.5, eps=1e-3, running_mean=rng.randn(5), running_var=rng.rand(5) + 0.5)


### BEGIN HIDDEN TESTS
@register("test_bn_forward_train", "batchnorm_forward in train mode on random x (9, 4)", BN_TRAIN, hidden=True)
def bn_train_random(ns):
    return _bn_train(2, 9, 4)


@register("test_bn_forward_train", "batchnorm_forward in train mode with momentum 0.2 and given running "
          "averages on random x (3, 7)", BN_TRAIN, hidden=True)
def bn_train_random_params(ns):
    rng = np.random.RandomState(11)
    return _bn_train(3, 3, 7, momentum=0.2, running_mean=rng.randn(7), running_var=rng.rand(7) + 0.1)
### END HIDDEN TESTS


# --------------------------------------------------------------- batchnorm forward, test mode

def _bn_test(seed, N, D, eps=None):
    from cs231n.layers import batchnorm_forward
    rng = np.random.RandomState(seed)
    x, gamma, beta = _batch(rng, N, D)
    running_mean = 5.0 * rng.randn(D)
    running_var = np.logspace(-4, 2, D) * (0.5 + rng.rand(D))
    bn_param = {"mode": "test", "running_mean": running_mean.copy(), "running_var": running_var.copy()}
    if eps is not None:
        bn_param["eps"] = eps
    out, _ = batchnorm_forward(x, gamma, beta, bn_param)
    unchanged = (np.array_equal(bn_param.get("running_mean"), running_mean)
                 and np.array_equal(bn_param.get("running_var"), running_var))
    return {"out": out, "unchanged": float(unchanged)}


BN_TEST = fields(out=close(1e-7, "rel", "out"), unchanged=equal("running averages left unchanged (1 = yes)"))


@register("test_bn_forward_test", "batchnorm_forward in test mode on x (5, 6) with given running_mean and "
          "running_var: the output (normalised with the running averages, not the batch's statistics), "
          "and the running averages left unchanged", BN_TEST)
def bn_test_given_stats(ns):
    return _bn_test(4, 5, 6)


@register("test_bn_forward_test", "batchnorm_forward: 50 train-mode calls on batches of 200 activations "
          "of a random two-layer network, then test mode on 100 new inputs: the mean and standard "
          "deviation of each test output (close to 0 and 1 with gamma = 1, beta = 0)",
          fields(mean=close(1e-7, "max", "test-time means"), std=close(1e-7, "max", "test-time stds")))
def bn_test_after_training(ns):
    from cs231n.layers import batchnorm_forward
    rng = np.random.RandomState(5)
    D_in, H, D = 20, 30, 8
    W1, W2 = rng.randn(D_in, H), rng.randn(H, D)

    def activations(n):
        return np.maximum(0, rng.randn(n, D_in) @ W1) @ W2

    gamma, beta = np.ones(D), np.zeros(D)
    bn_param = {"mode": "train"}
    for _ in range(50):
        batchnorm_forward(activations(200), gamma, beta, bn_param)
    bn_param["mode"] = "test"
    out, _ = batchnorm_forward(activations(100), gamma, beta, bn_param)
    return {"mean": out.mean(axis=0), "std": out.std(axis=0)}


### BEGIN HIDDEN TESTS
@register("test_bn_forward_test", "batchnorm_forward in test mode with eps 1e-2 on random x (7, 3)", BN_TEST,
          hidden=True)
def bn_test_random(ns):
    return _bn_test(6, 7, 3, eps=1e-2)
### END HIDDEN TESTS


# --------------------------------------------------------------- batchnorm backward

def _bn_grads(seed, N, D, backward="batchnorm_backward"):
    from cs231n import layers
    rng = np.random.RandomState(seed)
    x, gamma, beta = _batch(rng, N, D)
    dout = rng.randn(N, D)
    _, cache = layers.batchnorm_forward(x, gamma, beta, {"mode": "train"})
    dx, dgamma, dbeta = getattr(layers, backward)(dout, cache)
    return {"dx": dx, "dgamma": dgamma, "dbeta": dbeta}


@register("test_bn_backward", "batchnorm_backward's dx, dgamma and dbeta for x (4, 5), given gamma and "
          "random dout", _grads_judge(), weight=2)
def bn_backward_fixed(ns):
    return _bn_grads(7, 4, 5)


### BEGIN HIDDEN TESTS
@register("test_bn_backward", "batchnorm_backward on random x (10, 3)", _grads_judge(), hidden=True)
def bn_backward_random(ns):
    return _bn_grads(8, 10, 3)
### END HIDDEN TESTS


@register("test_bn_backward_alt", "batchnorm_backward_alt's dx, dgamma and dbeta for x (4, 5), given gamma and "
          "random dout (same cache as batchnorm_backward)", _grads_judge(), weight=2)
def bn_backward_alt_fixed(ns):
    return _bn_grads(7, 4, 5, "batchnorm_backward_alt")


@register("test_bn_backward_alt", "batchnorm_backward_alt and batchnorm_backward give the same dx, dgamma and "
          "dbeta (largest difference, on random x (16, 6))", close(1e-9, "max", "the largest difference"))
def bn_backward_alt_agrees(ns):
    graph = _bn_grads(9, 16, 6)
    alt = _bn_grads(9, 16, 6, "batchnorm_backward_alt")
    scale = max(float(np.max(np.abs(np.asarray(graph[k], dtype=float)))) for k in graph)
    return max(float(np.max(np.abs(np.asarray(alt[k], dtype=float) - np.asarray(graph[k], dtype=float))))
               for k in graph) / scale


### BEGIN HIDDEN TESTS
@register("test_bn_backward_alt", "batchnorm_backward_alt on random x (7, 9)", _grads_judge(), hidden=True)
def bn_backward_alt_random(ns):
    return _bn_grads(10, 7, 9, "batchnorm_backward_alt")
### END HIDDEN TESTS


# --------------------------------------------------------------- layernorm

def _ln_forward(seed, N, D, **ln_param):
    from cs231n.layers import layernorm_forward
    rng = np.random.RandomState(seed)
    x, gamma, beta = _per_example_batch(rng, N, D)
    return layernorm_forward(x, gamma, beta, ln_param)[0]


@register("test_ln_forward", "layernorm_forward on x (6, 5) whose examples have different means and scales, "
          "with given gamma and beta", close(1e-7, "rel", "out"), weight=2)
def ln_forward_fixed(ns):
    return _ln_forward(20, 6, 5)


@register("test_ln_forward", "layernorm_forward on a batch of ONE example (1, 8) with eps 1e-3: each example "
          "is normalised over its own features", close(1e-7, "rel", "out"))
def ln_forward_single(ns):
    return _ln_forward(21, 1, 8, eps=1e-3)


### BEGIN HIDDEN TESTS
@register("test_ln_forward", "layernorm_forward on random x (3, 11)", close(1e-7, "rel", "out"), hidden=True)
def ln_forward_random(ns):
    return _ln_forward(22, 3, 11)
### END HIDDEN TESTS


def _ln_grads(seed, N, D):
    from cs231n.layers import layernorm_backward, layernorm_forward
    rng = np.random.RandomState(seed)
    x, gamma, beta = _per_example_batch(rng, N, D)
    dout = rng.randn(N, D)
    _, cache = layernorm_forward(x, gamma, beta, {})
    dx, dgamma, dbeta = layernorm_backward(dout, cache)
    return {"dx": dx, "dgamma": dgamma, "dbeta": dbeta}


@register("test_ln_backward", "layernorm_backward's dx, dgamma and dbeta for x (4, 5), given gamma and "
          "random dout", _grads_judge(), weight=2)
def ln_backward_fixed(ns):
    return _ln_grads(23, 4, 5)


### BEGIN HIDDEN TESTS
@register("test_ln_backward", "layernorm_backward on random x (8, 3)", _grads_judge(), hidden=True)
def ln_backward_random(ns):
    return _ln_grads(24, 8, 3)
### END HIDDEN TESTS


# --------------------------------------------------------------- FullyConnectedNet with normalization

N_NET, D_NET, HIDDEN, C_NET = 10, 15, (20, 30), 7


def _net(normalization, reg=0.0, seed=30):
    """FullyConnectedNet 15-20-30-7 (float64) with fixed random weights, biases, gammas and betas; X (10, 15), y."""
    from cs231n.classifiers.fc_net import FullyConnectedNet
    with global_seed(0):
        model = FullyConnectedNet(list(HIDDEN), input_dim=D_NET, num_classes=C_NET, normalization=normalization,
                                  reg=reg, weight_scale=5e-2, dtype=np.float64)
    # Set here so that the check does not depend on the order your __init__ draws in;
    # nonzero biases, gammas and betas so that every path shows in the gradients.
    rng = np.random.RandomState(seed)
    dims = (D_NET,) + HIDDEN + (C_NET,)
    for i in range(len(dims) - 1):
        model.params[f"W{i + 1}"] = rng.randn(dims[i], dims[i + 1]) / np.sqrt(dims[i])
        model.params[f"b{i + 1}"] = 0.1 * rng.randn(dims[i + 1])
    for i in range(len(HIDDEN)):
        model.params[f"gamma{i + 1}"] = 0.5 + rng.rand(HIDDEN[i])
        model.params[f"beta{i + 1}"] = 0.2 * rng.randn(HIDDEN[i])
    X = rng.randn(N_NET, D_NET)
    y = rng.randint(C_NET, size=N_NET)
    return model, X, y, rng


def _param_names():
    names = [f"{p}{i + 1}" for i in range(len(HIDDEN) + 1) for p in ("W", "b")]
    return names + [f"{p}{i + 1}" for i in range(len(HIDDEN)) for p in ("gamma", "beta")]


def _loss_and_grads(normalization, reg):
    model, X, y, _ = _net(normalization, reg)
    loss, grads = model.loss(X, y)
    return {"loss": loss, **{name: grads[name] for name in _param_names() if name in grads}}


NET_JUDGE = fields(loss=close(1e-9, "rel", "loss"), **{name: close(GRAD_TOL, "rel", name) for name in _param_names()})


def judge_init(observed, expected):
    if not isinstance(observed, dict) or not isinstance(observed.get("keys"), str):
        return Verdict(0.0, "the check returned malformed data")
    if observed["keys"] != expected["keys"]:
        return Verdict(0.0, f"model.params has the keys {observed['keys']}, expected {expected['keys']}")
    verdict = fields(gammas=close(1e-12, "max", "the gammas (ones)"), betas=close(1e-12, "max", "the betas (zeros)"),
                     num_bn_params=equal("len(model.bn_params)"))(observed, expected)
    return verdict


@register("test_fc_bn", "FullyConnectedNet([20, 30], normalization='batchnorm'): params W1..W3, b1..b3, "
          "gamma1, gamma2 (ones), beta1, beta2 (zeros), and one bn_param per hidden layer", judge_init)
def fc_bn_init(ns):
    from cs231n.classifiers.fc_net import FullyConnectedNet
    with global_seed(0):
        model = FullyConnectedNet(list(HIDDEN), input_dim=D_NET, num_classes=C_NET, normalization="batchnorm",
                                  dtype=np.float64)
    names = [f"{p}{i + 1}" for i in range(len(HIDDEN)) for p in ("gamma", "beta")]
    if not all(name in model.params for name in names):
        return {"keys": ", ".join(sorted(str(k) for k in model.params))}
    return {"keys": ", ".join(sorted(str(k) for k in model.params)),
            "gammas": np.concatenate([np.ravel(model.params[f"gamma{i + 1}"]) for i in range(len(HIDDEN))]),
            "betas": np.concatenate([np.ravel(model.params[f"beta{i + 1}"]) for i in range(len(HIDDEN))]),
            "num_bn_params": len(getattr(model, "bn_params", []))}


@register("test_fc_bn", "FullyConnectedNet 15-20-30-7 with batchnorm (float64, fixed weights, 10 inputs): "
          "the loss and every gradient with reg = 0", NET_JUDGE, weight=2)
def fc_bn_grads_noreg(ns):
    return _loss_and_grads("batchnorm", 0.0)


@register("test_fc_bn", "FullyConnectedNet with batchnorm: the loss and every gradient with reg = 3.14 "
          "(only the weights W1..W3 are regularised)", NET_JUDGE, weight=2)
def fc_bn_grads_reg(ns):
    return _loss_and_grads("batchnorm", 3.14)


@register("test_fc_bn", "FullyConnectedNet with batchnorm: two train-mode loss calls update the running "
          "averages in model.bn_params, and the test-mode scores (y=None) use them",
          fields(running=close(1e-7, "rel", "running averages"), scores=close(1e-7, "rel", "test-mode scores")))
def fc_bn_running_averages(ns):
    model, X, y, rng = _net("batchnorm", 0.0, seed=31)
    model.loss(X, y)
    model.loss(X[::-1] * 2.0, y[::-1])
    running = np.concatenate([np.concatenate([bn["running_mean"], bn["running_var"]]) for bn in model.bn_params])
    X_test = rng.randn(4, D_NET)
    return {"running": running, "scores": model.loss(X_test)}


@register("test_fc_ln", "FullyConnectedNet 15-20-30-7 with layernorm (float64, fixed weights, 10 inputs): "
          "the loss and every gradient with reg = 0.7", NET_JUDGE, weight=2)
def fc_ln_grads(ns):
    return _loss_and_grads("layernorm", 0.7)


@register("test_fc_ln", "FullyConnectedNet with layernorm: test-mode scores (y=None) of 3 inputs, each "
          "computed on its own (layer normalization needs no batch)", close(1e-7, "rel", "scores"))
def fc_ln_scores(ns):
    model, X, _, _ = _net("layernorm", 0.0, seed=32)
    return np.concatenate([model.loss(X[i:i + 1]) for i in range(3)])


### BEGIN HIDDEN TESTS
@register("test_fc_bn", "FullyConnectedNet with batchnorm: the gradients with other weights and reg = 0.3",
          NET_JUDGE, hidden=True)
def fc_bn_grads_random(ns):
    model, X, y, _ = _net("batchnorm", 0.3, seed=33)
    loss, grads = model.loss(X, y)
    return {"loss": loss, **{name: grads[name] for name in _param_names() if name in grads}}


@register("test_fc_ln", "FullyConnectedNet with layernorm: the gradients with other weights and reg = 0",
          NET_JUDGE, hidden=True)
def fc_ln_grads_random(ns):
    model, X, y, _ = _net("layernorm", 0.0, seed=34)
    loss, grads = model.loss(X, y)
    return {"loss": loss, **{name: grads[name] for name in _param_names() if name in grads}}
### END HIDDEN TESTS


# --------------------------------------------------------------- experiment 1 (notebook)

def _experiment1_thresholds():
    """What experiment 1 must show on the default dataset (thresholds only: nothing of a solution)."""
    return {"min_bn": 0.45, "min_gain": 0.05}


def _mean_training_accuracy(solver):
    """Mean of the training accuracies measured after each epoch: high when training is fast."""
    history = np.asarray(solver.train_acc_history, dtype=np.float64).ravel()
    if history.size < 2:
        raise ValueError("the solver has no training accuracy history: run solver.train()")
    return float(np.mean(history[1:]))  # entry 0 is measured before the first update


def judge_experiment1(observed, expected):
    if not isinstance(observed, dict) or not {"bn", "baseline"} <= set(observed):
        return Verdict(0.0, "the check returned malformed data")
    try:
        bn, baseline = float(observed["bn"]), float(observed["baseline"])
    except (TypeError, ValueError):
        return Verdict(0.0, "the training accuracies are not numbers")
    if not (np.isfinite(bn) and np.isfinite(baseline)):
        return Verdict(0.0, "a training accuracy is nan or inf")
    message = (f"mean training accuracy over the epochs {bn:.3f} with batchnorm, {baseline:.3f} without "
               f"(need >= {expected['min_bn']:g} with batchnorm, and at least {expected['min_gain']:g} more "
               "than without)")
    passed = bn >= expected["min_bn"] and bn - baseline >= expected["min_gain"]
    return Verdict(1.0 if passed else 0.0, message)


@register("test_bn_experiment", "experiment 1: over 10 epochs on 1000 training images, the six-layer network "
          "with batch normalization (bn_solver) trains faster than the one without it (solver): its training "
          "accuracy, averaged over the epochs, is >= 0.45 and at least 0.05 higher", judge_experiment1,
          notebook=True, expect=_experiment1_thresholds)
def bn_experiment1(ns):
    bn_solver, solver = variable(ns, "bn_solver"), variable(ns, "solver")
    return {"bn": _mean_training_accuracy(bn_solver), "baseline": _mean_training_accuracy(solver)}
