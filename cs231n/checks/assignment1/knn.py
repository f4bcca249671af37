"""Checks of the kNN notebook (``knn.ipynb``).

Each probe builds its inputs from a fixed seed, calls your code and returns
what it computed; the judge beside it compares that with the reference.
"""
import numpy as np

from cs231n.checks import Verdict, close, equal, register, variable
from cs231n.checks.judges import accuracy

K_CHOICES = [1, 3, 5, 8, 10, 12, 15, 20, 50, 100]


def _digits():
    from cs231n.data_utils import get_data
    return get_data("digits", subtract_mean=False, channels_first=False, flatten=True)


def _toy_rows(seed, n_test, n_train):
    """Digit-like rows: integer intensities 0..16 rescaled to [0, 255]."""
    rng = np.random.RandomState(seed)
    A = rng.randint(0, 17, size=(n_test, 64)) * (255.0 / 16.0)
    B = rng.randint(0, 17, size=(n_train, 64)) * (255.0 / 16.0)
    return A, B


def _distances(method, X_test, X_train):
    from cs231n.classifiers.k_nearest_neighbor import KNearestNeighbor
    knn = KNearestNeighbor()
    knn.train(X_train, np.zeros(len(X_train), dtype=int))
    return np.asarray(getattr(knn, method)(X_test), dtype=np.float64)


def _vote(y_train, dists, k):
    from cs231n.classifiers.k_nearest_neighbor import KNearestNeighbor
    knn = KNearestNeighbor()
    knn.train(np.zeros((len(y_train), 1)), np.asarray(y_train))
    return np.asarray(knn.predict_labels(np.asarray(dists, dtype=float), k=k))


# --------------------------------------------------------------- distances

@register("test_two_loops", "compute_distances_two_loops on 6 test rows and 9 training rows",
          close(1e-6, "fro", "dists"))
def two_loops_toy(ns):
    A, B = _toy_rows(0, 6, 9)
    return _distances("compute_distances_two_loops", A, B)


### BEGIN HIDDEN TESTS
@register("test_two_loops", "compute_distances_two_loops on digits", close(1e-6, "fro", "dists"), hidden=True)
def two_loops_digits(ns):
    d = _digits()
    return _distances("compute_distances_two_loops", d["X_test"][:25], d["X_train"][:40])
### END HIDDEN TESTS


@register("test_one_loop", "compute_distances_one_loop on the digits' test and training sets",
          close(1e-6, "fro", "dists"))
def one_loop_digits(ns):
    d = _digits()
    return _distances("compute_distances_one_loop", d["X_test"][:60], d["X_train"])


@register("test_no_loops", "compute_distances_no_loops on the digits' test and training sets",
          close(1e-6, "fro", "dists"))
def no_loops_digits(ns):
    d = _digits()
    return _distances("compute_distances_no_loops", d["X_test"][:60], d["X_train"])


@register("test_no_loops", "compute_distances_no_loops of 200 random points to themselves: "
          "the diagonal is 0, never nan (clip squared distances at 0 before the square root)",
          close(1e-3, "max", "dists"))
def no_loops_self(ns):
    Z = np.random.RandomState(0).randn(200, 64) * 100.0
    with np.errstate(invalid="ignore"):
        return _distances("compute_distances_no_loops", Z, Z)


# --------------------------------------------------------------- voting

@register("test_predict_labels_vote", "predict_labels takes a majority vote of the k nearest "
          "(labels by distance 7,2,2,4,4,4 and 4,4,4,2,2,7; k = 1, 3, 6)", equal("predicted labels"))
def vote_toy(ns):
    dists = np.array([[0.0, 1.0, 2.0, 3.0, 4.0, 5.0], [5.0, 4.0, 3.0, 2.0, 1.0, 0.0]])
    return [_vote([7, 2, 2, 4, 4, 4], dists, k) for k in (1, 3, 6)]


@register("test_predict_labels_ties", "predict_labels breaks a tied vote towards the smaller label "
          "(labels by distance 5, 3, 3, 5; k = 2 and 4)", equal("predicted labels"))
def vote_ties_toy(ns):
    return [_vote([5, 3, 3, 5], np.array([[0.0, 1.0, 2.0, 3.0]]), k) for k in (2, 4)]


### BEGIN HIDDEN TESTS
@register("test_predict_labels_ties", "predict_labels on 20 rows of distinct distances, k from 1 to 10",
          equal("predicted labels"), hidden=True)
def vote_random(ns):
    rng = np.random.RandomState(1)
    y = rng.randint(0, 10, size=30)
    D = rng.permutation(30 * 20).reshape(20, 30).astype(float)
    return [_vote(y, D, k) for k in (1, 2, 3, 4, 6, 10)]
### END HIDDEN TESTS


def _test_labels():
    return _digits()["y_test"]


@register("test_knn_accuracy", "1-NN on the test set, with scipy's distances (reference 0.983)",
          accuracy(0.95, "1-NN test accuracy", 0.983), expect=_test_labels)
def knn1_accuracy(ns):
    from scipy.spatial.distance import cdist
    d = _digits()
    return _vote(d["y_train"], cdist(d["X_test"], d["X_train"]), 1)


@register("test_knn_accuracy", "5-NN on the test set, with scipy's distances (reference 0.981)",
          accuracy(0.95, "5-NN test accuracy", 0.981), expect=_test_labels)
def knn5_accuracy(ns):
    from scipy.spatial.distance import cdist
    d = _digits()
    return _vote(d["y_train"], cdist(d["X_test"], d["X_train"]), 5)


# --------------------------------------------------------------- the notebook's choices

def _cv_table(ns):
    """k_to_accuracies from the notebook, as {str(k): list of accuracies}."""
    table = variable(ns, "k_to_accuracies")
    return {str(int(k)): np.asarray(v, dtype=np.float64) for k, v in dict(table).items()}


def judge_cross_validation(observed, expected):
    if not isinstance(observed, dict):
        return Verdict(0.0, "k_to_accuracies should be a dict from k to a list of 5 accuracies")
    missing = [k for k in K_CHOICES if str(k) not in observed]
    if missing:
        return Verdict(0.0, f"k_to_accuracies has no entry for k in {missing}")
    for k in K_CHOICES:
        accs = np.asarray(observed[str(k)], dtype=float)
        if accs.shape != (5,) or not np.all((accs >= 0) & (accs <= 1)):
            return Verdict(0.0, f"k_to_accuracies[{k}] must hold 5 accuracies in [0, 1], got shape {accs.shape}")
    means = {k: float(np.mean(observed[str(k)])) for k in K_CHOICES}
    if means[1] >= 0.999:
        return Verdict(0.0, f"k = 1 classifies every held-out image correctly ({means[1]:.4f}): "
                            "is the held-out fold also in the training data? Train on the other 4 folds.")
    if not 0.95 <= means[1] or not means[100] < means[1]:
        return Verdict(0.0, f"mean accuracy {means[1]:.3f} for k = 1 (expected about 0.985) and "
                            f"{means[100]:.3f} for k = 100 (expected lower than for k = 1)")
    return Verdict(1.0, f"5 folds for each k; mean accuracy {means[1]:.3f} for k = 1, {means[100]:.3f} for k = 100")


@register("test_cross_validation", "k_to_accuracies holds 5 fold accuracies for every k, about 0.985 "
          "for k = 1 and lower for k = 100", judge_cross_validation, notebook=True, expect=lambda: None)
def cross_validation(ns):
    return _cv_table(ns)


### BEGIN HIDDEN TESTS
def _cv_reference():
    """Mean 5-fold cross-validation accuracy for a few k, from scipy's distances."""
    from scipy.spatial.distance import cdist
    d = _digits()
    Xf, yf = np.array_split(d["X_train"], 5), np.array_split(d["y_train"], 5)
    means = {}
    for k in (1, 5, 50):
        accs = []
        for i in range(5):
            Xtr, ytr = np.concatenate(Xf[:i] + Xf[i + 1:]), np.concatenate(yf[:i] + yf[i + 1:])
            order = np.argsort(cdist(Xf[i], Xtr), axis=1, kind="stable")[:, :k]
            pred = np.array([np.argmax(np.bincount(row, minlength=10)) for row in ytr[order]])
            accs.append(np.mean(pred == yf[i]))
        means[str(k)] = float(np.mean(accs))
    return means


def judge_cv_means(observed, expected):
    try:
        worst = max(abs(float(np.mean(observed[k])) - v) for k, v in expected.items())
    except (KeyError, TypeError, ValueError):
        return Verdict(0.0, "k_to_accuracies lacks some k or holds values that are not accuracies")
    return Verdict(1.0 if worst < 0.02 else 0.0,
                   f"mean accuracies differ from the reference's by up to {worst:.3f} (want < 0.02)")


@register("test_cross_validation", "mean cross-validation accuracies match the reference's",
          judge_cv_means, notebook=True, expect=_cv_reference, hidden=True)
def cross_validation_means(ns):
    return _cv_table(ns)
### END HIDDEN TESTS


def judge_best_k(observed, expected):
    if not isinstance(observed, dict) or "best_k" not in observed:
        return Verdict(0.0, "best_k or k_to_accuracies is not defined: run the cells above")
    means = {k: float(np.mean(v)) for k, v in observed["table"].items()}
    best_k = observed["best_k"]
    if str(best_k) not in means:
        return Verdict(0.0, f"best_k = {best_k!r} is not one of the k you cross-validated")
    if means[str(best_k)] < max(means.values()) - 1e-9:
        return Verdict(0.0, f"best_k = {best_k} has mean accuracy {means[str(best_k)]:.4f}, "
                            f"but another k reaches {max(means.values()):.4f}")
    return accuracy(0.96, f"test accuracy with k = {best_k}", 0.981)(observed["predictions"], expected)


@register("test_best_k", "best_k is the k with the best mean cross-validation accuracy, and reaches "
          ">= 0.96 on the test set", judge_best_k, notebook=True, expect=_test_labels)
def best_k(ns):
    from scipy.spatial.distance import cdist
    d = _digits()
    k = int(variable(ns, "best_k"))
    return {"best_k": k, "table": _cv_table(ns),
            "predictions": _vote(d["y_train"], cdist(d["X_test"], d["X_train"]), k)}
