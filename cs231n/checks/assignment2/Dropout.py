"""Checks of the dropout notebook (``Dropout.ipynb``).

``dropout_forward`` draws its mask from ``np.random``'s global state (and
seeds it when ``dropout_param`` has a ``seed``), so the probes run it inside
``global_seed`` and put the state back after. Exact comparisons with the
reference assume the mask is drawn as ``np.random.rand(*x.shape) < p``, as the
docstring asks; the statistics checks hold for any correct mask. The check of the
regularization experiment reads the accuracies the notebook's solvers recorded at their
last epoch (the Solver restores the parameters of the best validation accuracy, which for
a net that overfits can be an early epoch).
"""
import numpy as np

from cs231n.checks import Verdict, close, global_seed, register, variable
from cs231n.checks.judges import fields

KEEP = (0.25, 0.4, 0.7)
# Each cell of the regularization experiment trains a net with 500 hidden units for 25 epochs:
# about 8 s on one free core, and up to three times that on a loaded grading machine, close to
# the default limit of 30 s per cell.
STEP_SECONDS = 60


# --------------------------------------------------------------- forward

def _stats(x, p, seed):
    from cs231n.layers import dropout_forward
    with global_seed(seed):
        out_train, _ = dropout_forward(x, {"mode": "train", "p": p})
        out_test, _ = dropout_forward(x, {"mode": "test", "p": p})
    out_train, out_test = np.asarray(out_train, dtype=np.float64), np.asarray(out_test, dtype=np.float64)
    if out_train.shape != x.shape or out_test.shape != x.shape:
        raise ValueError(f"the output has shape {out_train.shape} (train) and {out_test.shape} (test), "
                         f"expected {x.shape}")
    return {"p": p, "kept": float(np.mean(out_train != 0)),
            "mean_ratio": float(out_train.mean() / x.mean()),
            "test_difference": float(np.max(np.abs(out_test - x)))}


def judge_stats(observed, expected):
    """Per keep probability p: a share p of the units kept (within 0.01) and mean(out) / mean(x)
    within 0.05 of 1 in train mode, out = x in test mode. Any correct mask passes, not only the
    reference's: the bounds are many standard deviations of the sampling noise wide."""
    if not isinstance(observed, dict):
        return Verdict(0.0, "the check returned malformed data")
    messages, fraction = [], 1.0
    for key, exp in expected.items():
        got = observed.get(key)
        if not isinstance(got, dict):
            return Verdict(0.0, f"{key}: missing")
        theory = {"kept": exp["p"], "mean_ratio": 1.0, "test_difference": 0.0}
        one = fields(kept=close(0.01, "max", "share kept"), mean_ratio=close(0.05, "max", "mean(out) / mean(x)"),
                     test_difference=close(1e-12, "max", "test mode: |out - x|"))
        verdict = one(got, theory)
        fraction = min(fraction, verdict.fraction)
        messages.append(f"{key}: {verdict.message}")
    return Verdict(fraction, "; ".join(messages))


@register("test_dropout_forward", "dropout_forward on x = 10 + randn(500, 500) with keep probability p in "
          "0.25, 0.4, 0.7: a share p of the units kept and the mean preserved in train mode, out = x in "
          "test mode", judge_stats, weight=2)
def dropout_forward_stats(ns):
    x = np.random.RandomState(0).randn(500, 500) + 10
    return {f"p={p}": _stats(x, p, seed=1) for p in KEEP}


@register("test_dropout_forward", "dropout_forward with dropout_param {'mode': 'train', 'p': 0.6, 'seed': 123} "
          "on x of shape (4, 5): the exact output (mask drawn as np.random.rand(*x.shape) < p)",
          close(1e-12, "rel", "out"))
def dropout_forward_seeded(ns):
    from cs231n.layers import dropout_forward
    x = np.random.RandomState(2).randn(4, 5)
    with global_seed(0):
        out, _ = dropout_forward(x, {"mode": "train", "p": 0.6, "seed": 123})
    return out


### BEGIN HIDDEN TESTS
@register("test_dropout_forward", "dropout_forward on x = 10 + randn(300, 400) with p in 0.15 and 0.9: "
          "the same statistics", judge_stats, hidden=True)
def dropout_forward_stats_other(ns):
    x = np.random.RandomState(3).randn(300, 400) + 10
    return {f"p={p}": _stats(x, p, seed=4) for p in (0.15, 0.9)}


@register("test_dropout_forward", "dropout_forward with a seed on x of shape (3, 4, 5) and p 0.35: "
          "the exact output", close(1e-12, "rel", "out"), hidden=True)
def dropout_forward_seeded_other(ns):
    from cs231n.layers import dropout_forward
    x = np.random.RandomState(5).randn(3, 4, 5)
    with global_seed(0):
        out, _ = dropout_forward(x, {"mode": "train", "p": 0.35, "seed": 7})
    return out
### END HIDDEN TESTS


# --------------------------------------------------------------- backward

def _mask(rng, shape, p):
    return (rng.rand(*shape) < p) / p


@register("test_dropout_backward", "dropout_backward in train mode with a fixed mask (p = 0.2, shape (10, 10)) "
          "in the cache (dropout_param, mask)", close(1e-10, "rel", "dx"))
def dropout_backward_train(ns):
    from cs231n.layers import dropout_backward
    rng = np.random.RandomState(6)
    mask = _mask(rng, (10, 10), 0.2)
    dout = rng.randn(10, 10)
    return dropout_backward(dout, ({"mode": "train", "p": 0.2}, mask))


@register("test_dropout_backward", "dropout_backward in test mode passes dout through unchanged",
          close(1e-12, "rel", "dx"))
def dropout_backward_test(ns):
    from cs231n.layers import dropout_backward, dropout_forward
    rng = np.random.RandomState(7)
    x, dout = rng.randn(6, 8), rng.randn(6, 8)
    param = {"mode": "test", "p": 0.3}
    _, cache = dropout_forward(x, param)
    return dropout_backward(dout, cache)


### BEGIN HIDDEN TESTS
@register("test_dropout_backward", "dropout_backward after dropout_forward with a seed, p 0.55, shape (4, 3, 6)",
          close(1e-10, "rel", "dx"), hidden=True)
def dropout_backward_through_forward(ns):
    from cs231n.layers import dropout_backward, dropout_forward
    rng = np.random.RandomState(8)
    x, dout = rng.randn(4, 3, 6), rng.randn(4, 3, 6)
    with global_seed(0):
        _, cache = dropout_forward(x, {"mode": "train", "p": 0.55, "seed": 11})
    return dropout_backward(dout, cache)
### END HIDDEN TESTS


# --------------------------------------------------------------- FullyConnectedNet with dropout

def _dropout_net(keep, hidden_dims, input_dim, num_classes, reg, seed, n=5):
    """Loss, gradients and test-time scores of a float64 net with dropout seed 123 at fixed weights."""
    from cs231n.classifiers.fc_net import FullyConnectedNet
    with global_seed(0):
        m = FullyConnectedNet(hidden_dims, input_dim=input_dim, num_classes=num_classes, reg=reg,
                              weight_scale=5e-2, dtype=np.float64, dropout_keep_ratio=keep, seed=123)
        rng = np.random.RandomState(seed)
        dims = [input_dim] + list(hidden_dims) + [num_classes]
        for i in range(len(dims) - 1):
            m.params[f"W{i + 1}"] = rng.randn(dims[i], dims[i + 1]) * np.sqrt(2.0 / dims[i])
            m.params[f"b{i + 1}"] = 0.1 * rng.randn(dims[i + 1])
        X = rng.randn(n, input_dim)
        y = rng.randint(num_classes, size=n)
        loss, grads = m.loss(X, y)
        scores = m.loss(X)
    missing = sorted(set(m.params) - set(grads))
    if missing:
        raise KeyError(f"grads has no {', '.join(missing)}")
    return {"loss": loss, "scores": scores, **{str(k): np.asarray(grads[k], dtype=np.float64) for k in m.params}}


def judge_dropout_net(names):
    return fields(loss=close(1e-9, "rel", "loss"), scores=close(1e-9, "rel", "test-time scores"),
                  **{name: close(1e-6, "rel", name) for name in names})


THREE = ("W1", "b1", "W2", "b2", "W3", "b3")


@register("test_fcn_dropout", "FullyConnectedNet([20, 30], input_dim=15, num_classes=10, dropout_keep_ratio=0.75, "
          "seed=123) at fixed weights: the loss and gradients (dropout in train mode, the masks of seed 123) "
          "and the scores without y (no dropout at test time)", judge_dropout_net(THREE))
def fcn_dropout_075(ns):
    return _dropout_net(0.75, [20, 30], 15, 10, 0.0, seed=0)


@register("test_fcn_dropout", "the same network with dropout_keep_ratio=0.5 and reg = 0.1",
          judge_dropout_net(THREE))
def fcn_dropout_05(ns):
    return _dropout_net(0.5, [20, 30], 15, 10, 0.1, seed=0)


@register("test_fcn_dropout", "the same network with dropout_keep_ratio=1: no dropout layers at all",
          judge_dropout_net(THREE))
def fcn_dropout_1(ns):
    return _dropout_net(1, [20, 30], 15, 10, 0.0, seed=0)


@register("test_fcn_dropout", "FullyConnectedNet(..., dropout_keep_ratio=0.4, seed=7) sets use_dropout and "
          "dropout_param = {'mode': 'train', 'p': 0.4, 'seed': 7}",
          fields(use_dropout=close(1e-12, "max", "use_dropout"), p=close(1e-12, "max", "dropout_param['p']"),
                 seed=close(1e-12, "max", "dropout_param['seed']")))
def fcn_dropout_param(ns):
    from cs231n.classifiers.fc_net import FullyConnectedNet
    with global_seed(0):
        m = FullyConnectedNet([6], input_dim=4, num_classes=3, dropout_keep_ratio=0.4, seed=7)
    return {"use_dropout": float(bool(m.use_dropout)), "p": float(m.dropout_param.get("p", np.nan)),
            "seed": float(m.dropout_param.get("seed", np.nan))}


### BEGIN HIDDEN TESTS
@register("test_fcn_dropout", "FullyConnectedNet with 3 hidden layers, dropout_keep_ratio=0.6 and reg = 0.3",
          judge_dropout_net(THREE + ("W4", "b4")), hidden=True)
def fcn_dropout_deep(ns):
    return _dropout_net(0.6, [12, 9, 7], 8, 4, 0.3, seed=1, n=9)
### END HIDDEN TESTS


# --------------------------------------------------------------- the regularization experiment

NUM_SMALL = 500
RUNS = (("without", 1), ("with", 0.25))


def _experiment_expect():
    return {"num_train": NUM_SMALL}


def judge_experiment(observed, expected):
    """The dropout net's gap between training and validation accuracy at the last epoch is smaller."""
    if not isinstance(observed, dict) or any(not isinstance(observed.get(run), dict) for run, _ in RUNS):
        return Verdict(0.0, "the check returned malformed data")
    acc = {}
    for run, _ in RUNS:
        for split in ("train", "val", "num_train"):
            try:
                acc[run, split] = float(observed[run].get(split))
            except (TypeError, ValueError):
                return Verdict(0.0, f"the {split} value of the run {run} dropout is not a number")
        if acc[run, "num_train"] != expected["num_train"]:
            return Verdict(0.0, f"the run {run} dropout trained on {acc[run, 'num_train']:g} images, "
                                f"expected {expected['num_train']}")
        if not all(0.0 <= acc[run, split] <= 1.0 for split in ("train", "val")):
            return Verdict(0.0, f"the accuracies of the run {run} dropout are not in [0, 1]")
    gap = {run: acc[run, "train"] - acc[run, "val"] for run, _ in RUNS}
    message = (f"without dropout: train {acc['without', 'train']:.3f}, val {acc['without', 'val']:.3f}; "
               f"with dropout: train {acc['with', 'train']:.3f}, val {acc['with', 'val']:.3f}")
    if gap["with"] < gap["without"]:
        return Verdict(1.0, message + "; the gap is smaller with dropout")
    return Verdict(0.0, message + "; the gap between training and validation accuracy should be smaller "
                                  "with dropout")


@register("test_dropout_experiment", "solvers[1] (no dropout) and solvers[0.25] (keep 0.25), trained on 500 "
          "images: at the last epoch, the dropout net's gap between training and validation accuracy is smaller",
          judge_experiment, notebook=True, expect=_experiment_expect)
def dropout_experiment(ns):
    solvers = variable(ns, "solvers")
    if not isinstance(solvers, dict) or 1 not in solvers or 0.25 not in solvers:
        raise ValueError("solvers should be a dict with the keys 1 and 0.25 (the keep ratios)")
    observed = {}
    for run, key in RUNS:
        solver = solvers[key]
        if not solver.train_acc_history or not solver.val_acc_history:
            raise ValueError(f"solvers[{key}] has not been trained")
        observed[run] = {"train": float(solver.train_acc_history[-1]), "val": float(solver.val_acc_history[-1]),
                         "num_train": int(solver.X_train.shape[0])}
    return observed
