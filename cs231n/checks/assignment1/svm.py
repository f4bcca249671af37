"""Checks of the SVM notebook (``svm.ipynb``).

Each probe builds its inputs from a fixed seed, calls your code and returns
what it computed; the judge beside it compares that with the reference.
"""
import numpy as np

from cs231n.checks import Verdict, close, equal, register, variable
from cs231n.checks.judges import accuracy, as_array

NUM_ITERS = 1500  # SGD steps of the run with fixed hyperparameters


def _prepared():
    """The digits as the notebook prepares them: rows minus the mean training
    image, with a column of ones appended (the bias trick)."""
    from cs231n.data_utils import get_data
    d = get_data("digits", subtract_mean=False, channels_first=False, flatten=True)
    mean = d["X_train"].mean(axis=0)
    out = {}
    for split in ("train", "val", "test", "dev"):
        X = d[f"X_{split}"] - mean
        out[f"X_{split}"] = np.hstack([X, np.ones((X.shape[0], 1))])
        out[f"y_{split}"] = d[f"y_{split}"]
    return out


def _weights(seed, *scales):
    """Random (65, 10) weight matrices drawn in turn from one seeded generator."""
    rng = np.random.RandomState(seed)
    return [rng.randn(65, 10) * scale for scale in scales]


def _loss(name, W, reg):
    """(loss, dW) of svm_loss_naive or svm_loss_vectorized on the 100 dev images."""
    from cs231n.classifiers import linear_svm
    p = _prepared()
    loss, dW = getattr(linear_svm, name)(W, p["X_dev"], p["y_dev"], reg)
    return float(loss), np.asarray(dW, dtype=np.float64)


def _hinted(judge, hint):
    """``judge``, with ``hint`` added to the message when the check fails."""
    def wrapped(observed, expected):
        verdict = judge(observed, expected)
        return verdict if verdict.passed else Verdict(verdict.fraction, f"{verdict.message}. {hint}")
    return wrapped


def judge_loss_near_zero(observed, expected):
    """The loss at W close to 0 (about 9), with a hint for the two usual mistakes."""
    verdict = close(0.01, "max", "the loss")(observed, expected)
    if verdict.passed or not isinstance(observed, (int, float)):
        return verdict
    if abs(observed - 900) < 10:
        hint = "A loss around 900 = 9 N means the sum is not divided by N"
    elif abs(observed - 10) < 0.1:
        hint = "A loss around 10 means the correct class's own margin (always 1) is counted too"
    else:
        hint = "With W close to 0 every margin s_j - s_y + 1 is about 1"
    return Verdict(verdict.fraction, f"{verdict.message}. {hint}")


# --------------------------------------------------------------- the naive loss

@register("test_svm_naive_loss", "svm_loss_naive on the 100 dev images with W close to 0 and reg = 0: "
          "every margin is about 1, so the loss is about C - 1 = 9",
          judge_loss_near_zero)
def naive_loss_near_zero(ns):
    W0, = _weights(1, 1e-6)
    return _loss("svm_loss_naive", W0, 0.0)[0]


@register("test_svm_naive_loss", "svm_loss_naive's loss with reg = 10 minus its loss with reg = 0 (dev images, random W) "
          "is the regularisation term reg * sum(W**2)",
          close(1e-8, "max", "the regularisation term of the loss"))
def naive_loss_regularisation(ns):
    _, W1 = _weights(1, 1e-6, 0.01)
    return _loss("svm_loss_naive", W1, 10.0)[0] - _loss("svm_loss_naive", W1, 0.0)[0]


### BEGIN HIDDEN TESTS
@register("test_svm_naive_loss", "svm_loss_naive on the dev images with random W and reg = 10: "
          "the value of the loss", close(1e-8, "max", "the loss"), hidden=True)
def naive_loss_value(ns):
    _, W1 = _weights(1, 1e-6, 0.01)
    return _loss("svm_loss_naive", W1, 10.0)[0]
### END HIDDEN TESTS


# --------------------------------------------------------------- the naive gradient

@register("test_svm_naive_grad", "svm_loss_naive's gradient dW on the dev images with small random W "
          "and reg = 0", close(1e-5, "rel", "dW"))
def naive_grad_noreg(ns):
    W0, _ = _weights(2, 1e-4, 1e-2)
    return _loss("svm_loss_naive", W0, 0.0)[1]


@register("test_svm_naive_grad", "svm_loss_naive's gradient dW on the dev images with random W "
          "and reg = 100", _hinted(close(1e-5, "rel", "dW"),
                                   "Check the gradient of the regularisation term (2 * reg * W)"))
def naive_grad_reg(ns):
    _, W1 = _weights(2, 1e-4, 1e-2)
    return _loss("svm_loss_naive", W1, 1e2)[1]


# --------------------------------------------------------------- the vectorized loss

@register("test_svm_vectorized_numeric", "svm_loss_vectorized on the dev images with W close to 0 and "
          "reg = 0: the loss is about C - 1 = 9",
          judge_loss_near_zero)
def vectorized_loss_near_zero(ns):
    W0, = _weights(3, 1e-6)
    return _loss("svm_loss_vectorized", W0, 0.0)[0]


@register("test_svm_vectorized_numeric", "svm_loss_vectorized's gradient dW on the dev images with "
          "random W and reg = 100", close(1e-5, "rel", "dW"))
def vectorized_grad_reg(ns):
    _, W1 = _weights(3, 1e-6, 1e-2)
    return _loss("svm_loss_vectorized", W1, 1e2)[1]


@register("test_svm_vectorized_equal", "svm_loss_vectorized's loss on the dev images, "
          "with small random W and reg = 0, and with random W and reg = 5",
          close(1e-8, "max", "the losses"))
def vectorized_loss_matches(ns):
    return [_loss("svm_loss_vectorized", W, reg)[0] for W, reg in zip(_weights(4, 1e-4, 1e-2), (0.0, 5.0))]


@register("test_svm_vectorized_equal", "svm_loss_vectorized's gradient dW on the dev images, "
          "with small random W and reg = 0, and with random W and reg = 5",
          _hinted(close(1e-6, "fro", "dW"), "If the naive gradient passes, the vectorized gradient is wrong"),
          weight=2)
def vectorized_grad_matches(ns):
    return [_loss("svm_loss_vectorized", W, reg)[1] for W, reg in zip(_weights(4, 1e-4, 1e-2), (0.0, 5.0))]


### BEGIN HIDDEN TESTS
def judge_loss_and_grad(observed, expected):
    if not isinstance(observed, dict):
        return Verdict(0.0, "expected the loss and dW")
    loss = close(1e-8, "max", "the loss")(observed.get("loss"), expected["loss"])
    grad = close(1e-6, "fro", "dW")(observed.get("dW"), expected["dW"])
    return Verdict(min(loss.fraction, grad.fraction), f"{loss.message}; {grad.message}")


@register("test_svm_vectorized_equal", "svm_loss_vectorized's loss and gradient on the dev images "
          "with random W and reg = 3", judge_loss_and_grad, hidden=True)
def vectorized_reg3(ns):
    W = _weights(4, 1e-4, 1e-2, 1e-2)[2]
    loss, dW = _loss("svm_loss_vectorized", W, 3.0)
    return {"loss": loss, "dW": dW}
### END HIDDEN TESTS


# --------------------------------------------------------------- predict and train

@register("test_predict", "LinearClassifier.predict with W = [[1, 0, -1], [0, 2, 0.5]] on the rows "
          "[1, 0], [0, 1], [-2, 0.5], [0, -1] picks the highest-scoring classes 0, 1, 2, 0", equal("predicted labels"))
def predict_toy(ns):
    from cs231n.classifiers.linear_classifier import LinearSVM
    clf = LinearSVM()
    clf.W = np.array([[1.0, 0.0, -1.0],
                      [0.0, 2.0, 0.5]])
    X = np.array([[1.0, 0.0], [0.0, 1.0], [-2.0, 0.5], [0.0, -1.0]])
    return np.asarray(clf.predict(X))


def _train():
    """A LinearSVM trained on the training set with the notebook's fixed hyperparameters."""
    from cs231n.classifiers.linear_classifier import LinearSVM
    p = _prepared()
    clf = LinearSVM()
    history = clf.train(p["X_train"], p["y_train"], learning_rate=1e-6, reg=1e2, num_iters=NUM_ITERS, seed=0)
    return clf, history, p


def judge_loss_history(observed, expected):
    hist = as_array(observed, np.zeros(NUM_ITERS), "the loss history returned by train")
    if isinstance(hist, Verdict):
        return hist
    first, last = float(np.mean(hist[:10])), float(np.mean(hist[-100:]))
    return Verdict(1.0 if last < 0.5 * first else 0.0,
                   f"the first 10 losses average {first:.3f}, the last 100 {last:.3f} "
                   f"(want less than half the first; reference 0.22)")


@register("test_svm_train", "LinearSVM.train on the training set (learning_rate=1e-6, reg=1e2, 1500 iterations, "
          "seed 0) returns one finite loss per iteration, and the loss decreases", judge_loss_history)
def train_loss_history(ns):
    _, history, _ = _train()
    return np.asarray(history, dtype=np.float64)


def _val_labels():
    return _prepared()["y_val"]


def _test_labels():
    return _prepared()["y_test"]


@register("test_svm_train", "LinearSVM.predict on the validation set after LinearSVM.train (learning_rate=1e-6, "
          "reg=1e2, 1500 iterations, seed 0)",
          accuracy(0.90, "validation accuracy", 0.955), expect=_val_labels)
def train_val_accuracy(ns):
    clf, _, p = _train()
    return np.asarray(clf.predict(p["X_val"]))


# --------------------------------------------------------------- the notebook's search

def _best_svm_weights(ns):
    best_svm = variable(ns, "best_svm")
    if best_svm is None:
        raise ValueError("best_svm is None: keep the classifier with the best validation accuracy")
    return np.asarray(best_svm.W, dtype=np.float64)


def judge_search(observed, expected):
    if not isinstance(observed, dict) or not {"val_accuracies", "best_val", "predictions"} <= set(observed):
        return Verdict(0.0, "the check returned malformed data")
    try:
        vals = np.asarray(observed["val_accuracies"], dtype=np.float64).ravel()
        best_val = float(observed["best_val"])
    except (KeyError, TypeError, ValueError):
        return Verdict(0.0, "results or best_val does not hold accuracies: "
                            "results[(lr, reg)] should be (train_accuracy, val_accuracy)")
    if vals.size < 4:
        return Verdict(0.0, f"results holds {vals.size} (lr, reg) combinations, expected at least 4")
    if not abs(best_val - np.max(vals)) < 1e-12:
        return Verdict(0.0, f"best_val ({best_val:.4f}) must be the highest validation accuracy "
                            f"in results ({np.max(vals):.4f})")
    preds = as_array(observed["predictions"], expected, "best_svm's validation predictions")
    if isinstance(preds, Verdict):
        return preds
    val_acc = float(np.mean(preds == np.asarray(expected)))
    if not abs(val_acc - best_val) < 1e-9:
        return Verdict(0.0, f"best_svm reaches {val_acc:.4f} on the validation set, but best_val is "
                            f"{best_val:.4f}: keep the classifier that achieved best_val")
    return Verdict(1.0, f"{vals.size} combinations; best validation accuracy {best_val:.3f} "
                        f"(reference 0.965), reached by best_svm")


@register("test_svm_best", "results holds at least 4 (lr, reg) combinations, best_val is the best "
          "validation accuracy in it, and best_svm reaches best_val on the validation set",
          judge_search, notebook=True, expect=_val_labels)
def search_best(ns):
    results = dict(variable(ns, "results"))
    best_val = variable(ns, "best_val")
    try:
        val_accuracies = [float(v[1]) for v in results.values()]
    except (TypeError, IndexError, ValueError):
        raise TypeError("results[(lr, reg)] should be the pair (train_accuracy, val_accuracy)") from None
    W = _best_svm_weights(ns)
    return {"val_accuracies": val_accuracies, "best_val": float(best_val),
            "predictions": np.argmax(_prepared()["X_val"] @ W, axis=1)}


@register("test_svm_best", "best_svm's weights classify the test set (argmax of the scores)",
          accuracy(0.92, "test accuracy of best_svm", 0.953), notebook=True, expect=_test_labels)
def best_svm_test_accuracy(ns):
    W = _best_svm_weights(ns)
    return np.argmax(_prepared()["X_test"] @ W, axis=1)


def judge_batches(observed, expected):
    if observed != expected:
        return Verdict(0.0, f"minibatch shapes {observed.get('shapes') if isinstance(observed, dict) else observed} "
                            f"(expected {expected['shapes']}); rows drawn from X with their own labels: "
                            f"{observed.get('matching') if isinstance(observed, dict) else '-'}")
    return Verdict(1.0, f"{len(expected['shapes'])} minibatches of {expected['shapes'][0][0]} rows of X, "
                        "each with its label")


@register("test_svm_train", "LinearClassifier.train on 50 rows with batch_size=7 and num_iters=3: every step's "
          "loss gets 7 rows of X and their labels", judge_batches, weight=0.5)
def train_batches(ns):
    from cs231n.classifiers.linear_classifier import LinearSVM
    seen = []

    class Recorder(LinearSVM):
        def loss(self, X_batch, y_batch, reg):
            seen.append((np.array(X_batch, dtype=float), np.array(y_batch)))
            return 0.0, np.zeros_like(self.W)

    rng = np.random.RandomState(5)
    X, y = rng.randn(50, 3), rng.randint(4, size=50)
    Recorder().train(X, y, learning_rate=1e-3, reg=0.0, num_iters=3, batch_size=7, seed=0)

    def is_row_of_X(row, label):  # up to float32 rounding, with its own label
        if np.shape(row) != (3,):
            return False
        i = int(np.argmin(np.max(np.abs(X - row), axis=1)))
        return bool(np.max(np.abs(X[i] - row)) < 1e-5 and y[i] == label)

    return {"shapes": [list(xb.shape) for xb, _ in seen],
            "matching": [bool(len(xb) == len(yb) and all(is_row_of_X(r, l) for r, l in zip(xb, yb)))
                         for xb, yb in seen]}
