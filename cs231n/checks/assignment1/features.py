"""Checks of the image-features notebook (``features.ipynb``).

The probes read the notebook's variables: the normalised features, and the
classifiers ``best_svm`` and ``best_net``, which they make predict on features
they prepare themselves from the digits (HOG + 10-bin intensity histogram,
standardised with the training mean and standard deviation). The judges
compare with features and labels computed outside your code.
"""
import numpy as np

from cs231n.checks import Verdict, register, variable
from cs231n.checks.judges import accuracy, as_array

SPLITS = ("X_train", "X_val", "X_test")


def _digits():
    from cs231n.data_utils import get_data
    return get_data("digits", subtract_mean=False, channels_first=False)


def _raw_features(d):
    """HOG + intensity histogram of every split, as the notebook extracts them (no normalisation)."""
    from cs231n.features import color_histogram_hsv, extract_features, hog_feature
    fns = [hog_feature, lambda img: color_histogram_hsv(img, nbin=10)]
    return {s: extract_features(d[s], fns) for s in SPLITS}


def _standardised(d):
    """Every split standardised with the training mean and std (std 0 taken as 1); no bias column."""
    raw = _raw_features(d)
    mu, sd = raw["X_train"].mean(axis=0), raw["X_train"].std(axis=0)
    sd[sd == 0] = 1.0
    return {s: (raw[s] - mu) / sd for s in SPLITS}


def _with_bias(X):
    return np.hstack([X, np.ones((X.shape[0], 1))])


# --------------------------------------------------------------- normalisation

def _features_of(ns, name):
    X = variable(ns, name)
    try:
        return np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} should be an array of numbers, got {type(X).__name__}") from None


def _expected_features(split):
    return lambda: _with_bias(_standardised(_digits())[split])


def judge_features(name, hint):
    """Judge normalised features with a bias column: shape, finite, ones last, then the values."""
    def judge(observed, expected):
        exp = np.asarray(expected, dtype=np.float64)
        arr = as_array(observed, exp, name)
        if isinstance(arr, Verdict):
            if "nan" in arr.message:
                return Verdict(0.0, arr.message + ": constant features have std 0, divide them by 1")
            if "shape" in arr.message:
                return Verdict(0.0, arr.message + " (the features and a bias column of ones)")
            return arr
        not_ones = int(np.sum(arr[:, -1] != 1))
        if not_ones:
            return Verdict(0.0, f"{name}: {not_ones} entries of the last column are not 1: "
                                "it must be the bias column of ones")
        err = float(np.max(np.abs(arr[:, :-1] - exp[:, :-1]), initial=0.0))
        ok = err < 1e-6
        return Verdict(1.0 if ok else 0.0, f"{name}: largest difference {err:.2g} (want < 1e-06)"
                                           + ("" if ok else hint))
    return judge


@register("test_normalise_features", "X_train_feats is standardised with the training mean and std "
          "(constant features divided by 1) and ends with a bias column of ones",
          judge_features("X_train_feats", ": subtract the training mean and divide by the training std"),
          weight=2, notebook=True, expect=_expected_features("X_train"))
def normalised_train(ns):
    return _features_of(ns, "X_train_feats")


@register("test_normalise_features", "X_val_feats is standardised with the *training* mean and std "
          "and ends with a bias column of ones",
          judge_features("X_val_feats", ": use the mean and std of the training features"),
          notebook=True, expect=_expected_features("X_val"))
def normalised_val(ns):
    return _features_of(ns, "X_val_feats")


@register("test_normalise_features", "X_test_feats is standardised with the *training* mean and std "
          "and ends with a bias column of ones",
          judge_features("X_test_feats", ": use the mean and std of the training features"),
          notebook=True, expect=_expected_features("X_test"))
def normalised_test(ns):
    return _features_of(ns, "X_test_feats")


# --------------------------------------------------------------- the SVM on features

def _val_labels():
    return _digits()["y_val"]


def _test_labels():
    return _digits()["y_test"]


def _svm_predictions(ns, split):
    """best_svm's labels for a split, as argmax of the prepared features (with bias) times W."""
    svm = variable(ns, "best_svm")
    if svm is None:
        raise ValueError("best_svm is None: keep the classifier with the best validation accuracy")
    X = _with_bias(_standardised(_digits())[split])
    W = np.asarray(getattr(svm, "W", None), dtype=np.float64)
    if W.shape != (X.shape[1], 10):
        raise ValueError(f"best_svm.W should have shape ({X.shape[1]}, 10), got {W.shape}")
    return np.argmax(X @ W, axis=1)


def judge_svm_search(observed, expected):
    if not isinstance(observed, dict):
        return Verdict(0.0, "the search results could not be read")
    try:
        vals = np.asarray(observed["val_accuracies"], dtype=np.float64).ravel()
        best_val = float(observed["best_val"])
    except (KeyError, TypeError, ValueError):
        return Verdict(0.0, "results should map (lr, reg) to (train_accuracy, val_accuracy), "
                            "and best_val should be a number")
    if vals.size < 4:
        return Verdict(0.0, f"results should hold at least 4 (lr, reg) combinations, got {vals.size}")
    if not np.all(np.isfinite(vals)) or not np.isfinite(best_val):
        return Verdict(0.0, "results or best_val holds nan or inf")
    if not abs(best_val - vals.max()) < 1e-12:
        return Verdict(0.0, f"best_val ({best_val:.4f}) must be the highest validation accuracy "
                            f"in results ({vals.max():.4f})")
    preds = as_array(observed.get("predictions"), expected, "best_svm's validation predictions")
    if isinstance(preds, Verdict):
        return preds
    val_acc = float(np.mean(preds == np.asarray(expected)))
    if not abs(val_acc - best_val) < 1e-9:
        return Verdict(0.0, f"best_svm reaches {val_acc:.4f} on the validation features, "
                            f"but best_val is {best_val:.4f}")
    return Verdict(1.0, f"{vals.size} combinations; best_val {best_val:.4f} is the best of them "
                        "and best_svm reaches it on the validation set")


@register("test_svm_features", "results holds at least 4 (lr, reg) combinations, best_val is the highest "
          "validation accuracy in it, and best_svm reaches best_val on the validation features",
          judge_svm_search, notebook=True, expect=_val_labels)
def svm_search(ns):
    results, best_val = variable(ns, "results"), variable(ns, "best_val")
    try:
        vals = [float(v[1]) for v in dict(results).values()]
    except (TypeError, ValueError, IndexError, KeyError):
        raise TypeError("results should map (lr, reg) to (train_accuracy, val_accuracy)") from None
    return {"val_accuracies": np.asarray(vals, dtype=np.float64), "best_val": float(best_val),
            "predictions": _svm_predictions(ns, "X_val")}


@register("test_svm_features", "best_svm on the test features (reference 0.961)",
          accuracy(0.92, "best_svm test accuracy", 0.961), weight=2, notebook=True, expect=_test_labels)
def svm_test_accuracy(ns):
    return _svm_predictions(ns, "X_test")


# --------------------------------------------------------------- the two-layer net on features

@register("test_net_features", "best_net on the test features, without the bias column (reference 0.961)",
          accuracy(0.92, "best_net test accuracy", 0.961), notebook=True, expect=_test_labels)
def net_test_accuracy(ns):
    net = variable(ns, "best_net")
    if net is None:
        raise ValueError("best_net is None: store your best TwoLayerNet in it")
    scores = np.asarray(net.loss(_standardised(_digits())["X_test"]), dtype=np.float64)
    return np.argmax(scores, axis=1)
