"""Checks of the softmax notebook (``softmax.ipynb``).

Each probe builds its inputs from a fixed seed (the digits' dev set, mean
subtracted, with a bias column), calls your ``softmax_loss_naive``,
``softmax_loss_vectorized`` or ``Softmax`` and returns what they computed; the
judge beside it compares that with the reference's output, or the predictions
of your classifiers with the labels.
"""
import numpy as np

from cs231n.checks import Verdict, close, register, variable
from cs231n.checks.judges import accuracy, as_array

LOG10 = float(np.log(10.0))


def _digits():
    from cs231n.data_utils import get_data
    return get_data("digits", subtract_mean=False, channels_first=False, flatten=True)


def _prepared(d, split):
    """A split minus the mean training image, with a column of ones appended (the bias trick)."""
    X = d[split] - d["X_train"].mean(axis=0)
    return np.hstack([X, np.ones((X.shape[0], 1))])


def _dev():
    d = _digits()
    return _prepared(d, "X_dev"), d["y_dev"]


def _weights(seed, scales):
    """Weights of shape (65, 10), one per scale, drawn in turn from RandomState(seed)."""
    rng = np.random.RandomState(seed)
    return [rng.randn(65, 10) * scale for scale in scales]


def _loss(name, W, X, y, reg):
    """The loss and gradient of cs231n.classifiers.softmax.<name>, as plain data."""
    from cs231n.classifiers import softmax
    loss, dW = getattr(softmax, name)(W, X, y, reg)
    return float(loss), np.asarray(dW, dtype=np.float64)


def hinted(judge, hint):
    """``judge``, with ``hint`` added to the message of a failing verdict."""
    def wrapped(observed, expected):
        verdict = judge(observed, expected)
        return verdict if verdict.passed else Verdict(verdict.fraction, verdict.message + hint)
    return wrapped


def loss_and_grad(loss_tol, grad_tol):
    """Judge ``{"loss": float, "dW": array}``: the loss within ``loss_tol`` (largest difference)
    and dW within ``grad_tol`` (Frobenius norm of the difference) of the expected ones."""
    def judge(observed, expected):
        if not isinstance(observed, dict) or "loss" not in observed or "dW" not in observed:
            return Verdict(0.0, "the function should return the loss and the gradient dW")
        verdicts = [close(loss_tol, "max", "loss")(observed["loss"], expected["loss"]),
                    close(grad_tol, "fro", "dW")(observed["dW"], expected["dW"])]
        return Verdict(min(v.fraction for v in verdicts), "; ".join(v.message for v in verdicts))
    return judge


# --------------------------------------------------------------- softmax_loss_naive

NOT_AVERAGED = (f": with W close to 0 every class has probability 0.1 and the loss is log(10) = {LOG10:.4f}; "
                f"a loss around {100 * LOG10:.0f} means the sum over the 100 examples is not divided by N")


@register("test_softmax_naive_loss", "softmax_loss_naive on the dev set with W of scale 1e-6 and reg = 0: "
          "the loss is log(10) within 1e-3", hinted(close(1e-3, "max", "loss"), NOT_AVERAGED))
def naive_loss_small_w(ns):
    X, y = _dev()
    W0, _ = _weights(1, [1e-6, 1e-2])
    return _loss("softmax_loss_naive", W0, X, y, 0.0)[0]


@register("test_softmax_naive_loss", "softmax_loss_naive on the dev set with W of scale 1e-2: the loss "
          "with reg = 10 minus the loss with reg = 0 is reg * sum(W**2) within 1e-8",
          hinted(close(1e-8, "max", "the regularisation term"), ": the regularisation adds reg * np.sum(W * W)"))
def naive_loss_reg_term(ns):
    X, y = _dev()
    _, W1 = _weights(1, [1e-6, 1e-2])
    return _loss("softmax_loss_naive", W1, X, y, 10.0)[0] - _loss("softmax_loss_naive", W1, X, y, 0.0)[0]


### BEGIN HIDDEN TESTS
@register("test_softmax_naive_loss", "softmax_loss_naive on the dev set with W of scale 1e-2 and reg = 10: "
          "the loss within 1e-8 of the reference's", close(1e-8, "max", "loss"), hidden=True)
def naive_loss_value(ns):
    X, y = _dev()
    _, W1 = _weights(1, [1e-6, 1e-2])
    return _loss("softmax_loss_naive", W1, X, y, 10.0)[0]
### END HIDDEN TESTS


@register("test_softmax_naive_grad", "softmax_loss_naive's dW on the dev set with W of scale 1e-4 and reg = 0, "
          "within a relative error of 1e-5 of the reference's", close(1e-5, "rel", "dW"))
def naive_grad_noreg(ns):
    X, y = _dev()
    Wc, _ = _weights(2, [1e-4, 1e-2])
    return _loss("softmax_loss_naive", Wc, X, y, 0.0)[1]


@register("test_softmax_naive_grad", "softmax_loss_naive's dW on the dev set with W of scale 1e-2 and "
          "reg = 100, within a relative error of 1e-5 of the reference's",
          hinted(close(1e-5, "rel", "dW"), ": check the gradient of the regularisation term (2 * reg * W)"))
def naive_grad_reg(ns):
    X, y = _dev()
    _, Wc = _weights(2, [1e-4, 1e-2])
    return _loss("softmax_loss_naive", Wc, X, y, 1e2)[1]


# --------------------------------------------------------------- softmax_loss_vectorized

@register("test_softmax_vectorized_numeric", "softmax_loss_vectorized on the dev set with W of scale 1e-6 "
          "and reg = 0: the loss is log(10) within 1e-3", hinted(close(1e-3, "max", "loss"), NOT_AVERAGED))
def vectorized_loss_small_w(ns):
    X, y = _dev()
    W0, _ = _weights(3, [1e-6, 1e-2])
    return _loss("softmax_loss_vectorized", W0, X, y, 0.0)[0]


@register("test_softmax_vectorized_numeric", "softmax_loss_vectorized's dW on the dev set with W of scale "
          "1e-2 and reg = 100, within a relative error of 1e-5 of the reference's", close(1e-5, "rel", "dW"))
def vectorized_grad_reg(ns):
    X, y = _dev()
    _, Wc = _weights(3, [1e-6, 1e-2])
    return _loss("softmax_loss_vectorized", Wc, X, y, 1e2)[1]


def _vectorized(index, reg):
    """softmax_loss_vectorized at the index-th of three weights from RandomState(4)."""
    X, y = _dev()
    W = _weights(4, [1e-4, 1e-2, 1e-2])[index]
    loss, dW = _loss("softmax_loss_vectorized", W, X, y, reg)
    return {"loss": loss, "dW": dW}


@register("test_softmax_vectorized_equal", "softmax_loss_vectorized on the dev set with W of scale 1e-4 and "
          "reg = 0: loss within 1e-8 and dW within 1e-6 (Frobenius) of the reference's",
          loss_and_grad(1e-8, 1e-6))
def vectorized_equal_noreg(ns):
    return _vectorized(0, 0.0)


@register("test_softmax_vectorized_equal", "softmax_loss_vectorized on the dev set with W of scale 1e-2 and "
          "reg = 5: loss within 1e-8 and dW within 1e-6 (Frobenius) of the reference's",
          loss_and_grad(1e-8, 1e-6))
def vectorized_equal_reg(ns):
    return _vectorized(1, 5.0)


### BEGIN HIDDEN TESTS
@register("test_softmax_vectorized_equal", "softmax_loss_vectorized on the dev set with W of scale 1e-2 and "
          "reg = 3: loss within 1e-8 and dW within 1e-6 (Frobenius) of the reference's",
          loss_and_grad(1e-8, 1e-6), hidden=True)
def vectorized_equal_reg3(ns):
    return _vectorized(2, 3.0)
### END HIDDEN TESTS


# --------------------------------------------------------------- numerical stability

def _large_scores(name):
    """Loss and gradient on 3 examples whose scores reach about 2900 (np.exp overflows past 710)."""
    X = np.array([[1.0, 2.0, -1.0],
                  [-3.0, 0.5, 2.0],
                  [0.0, 1.0, 1.0]])
    # Every label is its row's highest score, so the exact loss is finite and a
    # probability that underflows to 0 (of another class) changes nothing.
    y = np.array([0, 1, 1])
    W = np.array([[1000.0, -500.0, 200.0, 0.0],
                  [300.0, 1200.0, -800.0, 50.0],
                  [-100.0, 400.0, 900.0, -700.0]])
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        loss, dW = _loss(name, W, X, y, 0.0)
    return {"loss": loss, "dW": dW}


def judge_stable(observed, expected):
    if not isinstance(observed, dict) or "loss" not in observed or "dW" not in observed:
        return Verdict(0.0, "the function should return the loss and the gradient dW")
    shift = (": subtract each row's maximum score before np.exp, and take log-probabilities as "
             "s - log(sum(exp(s))) (a probability below e^-745 is 0 in float64, and its log -inf)")
    for name in ("loss", "dW"):
        arr = as_array(observed[name], expected[name], name)
        if isinstance(arr, Verdict):
            return Verdict(0.0, arr.message + (shift if "nan or inf" in arr.message else ""))
    loss, ref = float(observed["loss"]), float(expected["loss"])
    err = abs(loss - ref) / max(1.0, abs(ref))
    grad = close(1e-6, "rel", "dW")(observed["dW"], expected["dW"])
    if err >= 1e-6:
        return Verdict(0.0, f"loss {loss:.6g}, reference {ref:.6g}: error {err:.2g} (want < 1e-06)")
    return grad


@register("test_softmax_stability", "softmax_loss_naive with scores up to about 2900: a finite loss "
          "(within 1e-6 of the reference's) and its dW", judge_stable)
def naive_stable(ns):
    return _large_scores("softmax_loss_naive")


@register("test_softmax_stability", "softmax_loss_vectorized with scores up to about 2900: a finite loss "
          "(within 1e-6 of the reference's) and its dW", judge_stable)
def vectorized_stable(ns):
    return _large_scores("softmax_loss_vectorized")


# --------------------------------------------------------------- training

def _val_labels():
    return _digits()["y_val"]


def _test_labels():
    return _digits()["y_test"]


def judge_train(observed, expected):
    if not isinstance(observed, dict) or "loss_history" not in observed or "predictions" not in observed:
        return Verdict(0.0, "the check could not read the loss history and the predictions")
    try:
        hist = np.asarray(observed["loss_history"], dtype=np.float64).ravel()
    except (TypeError, ValueError):
        return Verdict(0.0, "train must return a list of numbers, one loss per iteration")
    if hist.size != 1500:
        return Verdict(0.0, f"train must return one loss per iteration (1500), got {hist.size}")
    if not np.all(np.isfinite(hist)):
        return Verdict(0.0, "the loss became nan or inf during training")
    return accuracy(0.88, "validation accuracy", 0.920)(observed["predictions"], expected)


@register("test_softmax_train", "Softmax.train on the training set (learning_rate 1e-6, reg 10, 1500 "
          "iterations, seed 0) returns 1500 finite losses and reaches >= 0.88 on the validation set",
          judge_train, expect=_val_labels)
def softmax_train(ns):
    from cs231n.classifiers.linear_classifier import Softmax
    d = _digits()
    clf = Softmax()
    hist = clf.train(_prepared(d, "X_train"), d["y_train"], learning_rate=1e-6, reg=1e1, num_iters=1500, seed=0)
    return {"loss_history": np.asarray(hist, dtype=np.float64),
            "predictions": np.asarray(clf.predict(_prepared(d, "X_val")))}


# --------------------------------------------------------------- the notebook's search

def _best_predictions(ns, split):
    """Labels predicted by best_softmax's weights (highest score) on a prepared split."""
    clf = variable(ns, "best_softmax")
    if clf is None:
        raise ValueError("best_softmax is None: keep the classifier with the best validation accuracy")
    W = np.asarray(getattr(clf, "W", None), dtype=np.float64)
    if W.shape != (65, 10):
        raise ValueError(f"best_softmax.W has shape {W.shape}, expected (65, 10): train it first")
    return np.argmax(_prepared(_digits(), split) @ W, axis=1)


def judge_search(observed, expected):
    if not isinstance(observed, dict) or not {"table", "best_val", "predictions"} <= set(observed):
        return Verdict(0.0, "the check could not read results, best_val and best_softmax")
    try:
        table = np.asarray(observed["table"], dtype=np.float64).reshape(-1, 4)
        best_val = float(observed["best_val"])
    except (TypeError, ValueError):
        return Verdict(0.0, "results should map (lr, reg) to (train accuracy, validation accuracy), "
                            "and best_val should be a number")
    if len(table) < 4:
        return Verdict(0.0, f"results should hold at least 4 (lr, reg) combinations, got {len(table)}")
    best = float(np.max(table[:, 3]))
    if not abs(best_val - best) < 1e-12:
        return Verdict(0.0, f"best_val ({best_val:.4f}) must be the highest validation accuracy in results ({best:.4f})")
    preds = as_array(observed["predictions"], expected, "best_softmax's validation predictions")
    if isinstance(preds, Verdict):
        return preds
    val_acc = float(np.mean(preds == np.asarray(expected)))
    if not abs(val_acc - best_val) < 1e-9:
        return Verdict(0.0, f"best_softmax reaches {val_acc:.4f} on the validation set, but best_val is "
                            f"{best_val:.4f}: keep the classifier that achieved best_val")
    return Verdict(1.0, f"{len(table)} combinations in results; best_softmax reaches best_val = {best_val:.4f}")


@register("test_softmax_best", "results holds at least 4 (lr, reg) combinations, best_val is the best "
          "validation accuracy in it, and best_softmax reaches best_val on the validation set",
          judge_search, notebook=True, expect=_val_labels)
def search(ns):
    results = variable(ns, "results")
    table = [[float(lr), float(reg), float(tr), float(va)] for (lr, reg), (tr, va) in dict(results).items()]
    return {"table": np.asarray(table, dtype=np.float64).reshape(-1, 4),
            "best_val": float(variable(ns, "best_val")),
            "predictions": _best_predictions(ns, "X_val")}


@register("test_softmax_best", "best_softmax on the test set (reference 0.958)",
          accuracy(0.92, "best_softmax test accuracy", 0.958), notebook=True, expect=_test_labels)
def best_softmax_test(ns):
    return _best_predictions(ns, "X_test")
