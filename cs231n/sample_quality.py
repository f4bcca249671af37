"""How good are generated digits? Scores from a classifier of real digits.

Looking at a grid of samples says little about a generative model: a grid
can hide that half the digits never appear, and two people rarely agree on
"looks fine". This module measures instead, the way Inception-based scores
do for natural images (Salimans et al., 2016; Heusel et al., 2017), with a
small convolutional network trained on the real 28x28 digits
(``get_data("digits28")``) in place of the Inception network:

``inception_score(images)``
    ``exp(E_x KL(p(y|x) || p(y)))`` with ``p(y|x)`` the classifier's softmax
    and ``p(y)`` its mean over the samples. It is high (at most 10, the
    number of classes) when every sample is confidently one digit *and* the
    digits are varied; 1 when every sample gets the same distribution.
``class_coverage(images)``
    How many of the ten digits the samples show: the number of classes that
    receive at least ``min_share`` of the predicted labels. A generator that
    collapsed onto a few modes covers few classes, however sharp they are.
``frechet_distance(images, real)``
    The Fréchet distance between Gaussians fitted to the classifier's
    penultimate features of the samples and of real digits held out from
    every training set (the 360 test digits): it grows when the samples
    differ from real digits in any way the features see, quality or variety.

The classifier is trained deterministically (fixed seed, one thread, a fixed
order of batches) on the 1437 training digits with random shifts of up to 2
pixels, in a few seconds, and cached in
``DATASETS_DIR/sample_quality/`` under a fingerprint of its recipe: a cache
made with another recipe, or damaged, is rebuilt. Its test accuracy is
stored with it (``classifier_accuracy()``).

Images are given as arrays of values in [0, 1] (the output of
``deprocess_img``), of shape (N, 784), (N, 28, 28) or (N, 1, 28, 28).
"""
from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from pathlib import Path

import numpy as np

# Every number that shapes the classifier. The cache stores a fingerprint of
# this dict, so a classifier trained under other values is never used.
RECIPE = {
    "version": 1,          # raise whenever the network or the training code changes
    "dataset": "digits28",
    "seed": 0,
    "epochs": 15,
    "batch_size": 32,
    "learning_rate": 2e-3,
    "shift": 1,            # training images move by up to this many pixels, each way
    "channels": (16, 32),
    "features": 64,        # size of the penultimate layer (the Fréchet features)
}
NUM_CLASSES = 10
MIN_SHARE = 0.03  # class_coverage: a class counts when it gets >= 3 % of the samples (a fair share is 10 %)
_CACHE_FOLDER = "sample_quality"


def _fingerprint(recipe):
    return hashlib.sha256(repr(sorted(recipe.items())).encode()).hexdigest()[:16]


def _cache_path(recipe):
    from cs231n import data_utils
    return Path(data_utils.DATASETS_DIR) / _CACHE_FOLDER / f"classifier-{_fingerprint(recipe)}.npz"


# ----------------------------------------------------------------------------
# The classifier
# ----------------------------------------------------------------------------

def build_classifier(recipe=RECIPE):
    """The scoring network: two strided convolutions, a feature layer, the scores.

    conv 4x4 stride 2 (1 -> c1, 28 -> 14) - relu - conv 4x4 stride 2
    (c1 -> c2, 14 -> 7) - relu - flatten - linear (c2 * 49 -> F) - relu
    [features] - linear (F -> 10) [scores].

    Returns
    -------
    model : torch.nn.Sequential
        Maps images (N, 1, 28, 28) to scores (N, 10); ``model[:-1]`` maps
        them to the features (N, F).
    """
    import torch.nn as nn

    c1, c2 = recipe["channels"]
    return nn.Sequential(
        nn.Conv2d(1, c1, kernel_size=4, stride=2, padding=1),
        nn.ReLU(),
        nn.Conv2d(c1, c2, kernel_size=4, stride=2, padding=1),
        nn.ReLU(),
        nn.Flatten(),
        nn.Linear(c2 * 7 * 7, recipe["features"]),
        nn.ReLU(),
        nn.Linear(recipe["features"], NUM_CLASSES),
    )


def real_digits(split="train", dataset="digits28"):
    """Real digits as the scores expect them.

    Parameters
    ----------
    split : {"train", "test"}
        ``"train"``: the 1437 digits the classifier (and the GANs of the
        notebook) train on; ``"test"``: the 360 held-out digits.

    Returns
    -------
    images : ndarray of float32, shape (N, 28, 28)
        Values in [0, 1].
    labels : ndarray of int64, shape (N,)
    """
    from cs231n.data_utils import get_data

    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    data = get_data(dataset, num_validation=0, subtract_mean=False)
    X = data[f"X_{split}"][:, 0] / 255.0
    return X.astype(np.float32), data[f"y_{split}"]


def _shifted(x, max_shift, gen):
    """Each image of x (B, 1, H, W) moved by up to max_shift pixels each way (zeros come in)."""
    import torch
    import torch.nn.functional as F

    B, _, H, W = x.shape
    padded = F.pad(x, (max_shift,) * 4)
    offsets = torch.randint(0, 2 * max_shift + 1, (B, 2), generator=gen)
    return torch.stack([padded[i, :, r:r + H, c:c + W] for i, (r, c) in enumerate(offsets.tolist())])


def train_classifier(recipe=RECIPE):
    """Train the scoring network from scratch, deterministically.

    Adam on the softmax loss, over the training digits in an order fixed by
    ``recipe["seed"]``, on one thread (so that the sums, and the weights,
    are the same on every run). torch's global random state is left as it
    was.

    Returns
    -------
    model : torch.nn.Sequential
        In eval mode.
    test_accuracy : float
        On the 360 held-out digits.
    """
    import torch
    import torch.nn.functional as F

    X, y = real_digits("train", recipe["dataset"])
    X_test, y_test = real_digits("test", recipe["dataset"])
    X, y = torch.from_numpy(X[:, None]), torch.from_numpy(y)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(recipe["seed"])
            model = build_classifier(recipe)
            gen = torch.Generator().manual_seed(recipe["seed"])
            optimizer = torch.optim.Adam(model.parameters(), lr=recipe["learning_rate"])
            # The learning rate decays linearly to 0: the last steps settle the weights, so that
            # the result does not depend on where in its noise the final step happens to land.
            steps = recipe["epochs"] * -(-len(X) // recipe["batch_size"])
            schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1 - step / steps)
            model.train()
            for _ in range(recipe["epochs"]):
                order = torch.randperm(len(X), generator=gen)
                for start in range(0, len(X), recipe["batch_size"]):
                    idx = order[start:start + recipe["batch_size"]]
                    loss = F.cross_entropy(model(_shifted(X[idx], recipe["shift"], gen)), y[idx])
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
                    schedule.step()
            model.eval()
            with torch.no_grad():
                predicted = model(torch.from_numpy(X_test[:, None])).argmax(dim=1).numpy()
    finally:
        torch.set_num_threads(threads)
    return model, float(np.mean(predicted == y_test))


def _read_cache(path, recipe):
    """(state dict, accuracy) from the cache, or None if it is missing, damaged or stale."""
    import torch

    try:
        with np.load(path, allow_pickle=False) as f:
            if str(f["fingerprint"]) != _fingerprint(recipe):
                return None
            accuracy = float(f["accuracy"])
            state = {k[len("param:"):]: torch.from_numpy(f[k].copy()) for k in f.files if k.startswith("param:")}
        model = build_classifier(recipe)
        model.load_state_dict(state)  # raises if a name or a shape is off
    except Exception:
        # np.load raises OSError, ValueError, KeyError, EOFError or
        # zipfile.BadZipFile depending on the damage: any bad cache is rebuilt.
        return None
    return model, accuracy


def _write_cache(path, model, accuracy, recipe):
    """Save atomically; give up silently if the folder cannot be written (a sandbox)."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.stem + "-", suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            np.savez(f, fingerprint=_fingerprint(recipe), accuracy=accuracy,
                     **{"param:" + k: v.detach().numpy() for k, v in model.state_dict().items()})
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
        tmp = None
    except OSError:
        pass
    finally:
        if tmp is not None:
            try:
                os.remove(tmp)
            except OSError:
                pass


_LOADED = {}  # fingerprint of a recipe -> (model, test accuracy), for the life of the process
_LOCK = threading.Lock()  # judges may score in several threads: train once


def _loaded(recipe):
    key = _fingerprint(recipe)
    with _LOCK:
        if key not in _LOADED:
            path = _cache_path(recipe)
            cached = _read_cache(path, recipe)
            if cached is None:
                cached = train_classifier(recipe)
                _write_cache(path, *cached, recipe)
            model, accuracy = cached
            model.eval()
            for p in model.parameters():
                p.requires_grad_(False)
            _LOADED[key] = (model, accuracy)
        return _LOADED[key]


def load_classifier(recipe=RECIPE):
    """The scoring network of ``recipe``: from the cache, or trained (and cached) now.

    Returns
    -------
    model : torch.nn.Sequential
        In eval mode, parameters frozen; shared by every caller of the process.
    """
    return _loaded(recipe)[0]


def classifier_accuracy(recipe=RECIPE):
    """Test accuracy of the scoring network on the 360 held-out digits (float in [0, 1])."""
    return _loaded(recipe)[1]


# ----------------------------------------------------------------------------
# Scores
# ----------------------------------------------------------------------------

def as_images(images):
    """Images as float32 (N, 1, 28, 28) in [0, 1], or a ValueError that says what is wrong.

    Accepts arrays (or tensors) of shape (N, 784), (N, 28, 28) or
    (N, 1, 28, 28); values must be finite and lie in [0, 1] (within 1e-4).
    """
    x = images.detach().cpu().numpy() if hasattr(images, "detach") else np.asarray(images)
    try:
        x = np.asarray(x, dtype=np.float32)
    except (TypeError, ValueError):
        raise ValueError(f"images must be an array of numbers, got {type(images).__name__}") from None
    if x.ndim < 2 or x.shape[0] < 2 or int(np.prod(x.shape[1:])) != 784 or x.shape[-1] not in (28, 784):
        raise ValueError(f"images must have shape (N, 784), (N, 28, 28) or (N, 1, 28, 28) with N >= 2, "
                         f"got {x.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"images has {int(np.sum(~np.isfinite(x)))} nan or inf entries")
    if x.min() < -1e-4 or x.max() > 1 + 1e-4:
        raise ValueError(f"image values must lie in [0, 1] (deprocess_img), got [{x.min():.3g}, {x.max():.3g}]")
    return np.clip(x, 0.0, 1.0).reshape(-1, 1, 28, 28)


def classify(images, recipe=RECIPE, batch_size=500):
    """Class probabilities and penultimate features of the scoring network.

    Parameters
    ----------
    images : array, shape (N, 784), (N, 28, 28) or (N, 1, 28, 28)
        Values in [0, 1].

    Returns
    -------
    probs : ndarray of float64, shape (N, 10)
        Softmax of the scores; rows sum to 1.
    features : ndarray of float64, shape (N, F)
        The activations before the last layer (F = ``recipe["features"]``).
    """
    import torch

    x = torch.from_numpy(as_images(images))
    model = load_classifier(recipe)
    probs, features = [], []
    with torch.no_grad():
        for start in range(0, len(x), batch_size):
            f = model[:-1](x[start:start + batch_size])
            features.append(f.double().numpy())
            probs.append(torch.softmax(model[-1](f).double(), dim=1).numpy())
    return np.concatenate(probs), np.concatenate(features)


def inception_score_of_probs(probs):
    """``exp(mean_i KL(p_i || mean_j p_j))`` for class probabilities (N, K): a float in [1, K]."""
    probs = np.asarray(probs, dtype=np.float64)
    marginal = probs.mean(axis=0)
    # 0 log 0 = 0: terms with p = 0 contribute nothing.
    with np.errstate(divide="ignore", invalid="ignore"):
        kl = np.where(probs > 0, probs * (np.log(probs) - np.log(marginal)), 0.0).sum(axis=1)
    return float(np.exp(kl.mean()))


def coverage_of_labels(labels, min_share=MIN_SHARE, num_classes=NUM_CLASSES):
    """Number of classes that at least a share ``min_share`` of ``labels`` (N,) fall in."""
    counts = np.bincount(np.asarray(labels, dtype=np.int64), minlength=num_classes)
    return int(np.sum(counts >= min_share * len(labels)))


def inception_score(images, recipe=RECIPE):
    """The Inception Score of images under the scoring network (float in [1, 10]).

    ``exp(E_x KL(p(y|x) || p(y)))``, the expectation over the images and
    ``p(y)`` the mean of ``p(y|x)`` over them (Salimans et al., 2016).
    """
    return inception_score_of_probs(classify(images, recipe)[0])


def class_coverage(images, min_share=MIN_SHARE, recipe=RECIPE):
    """Number of digits (0..10) that at least ``min_share`` of the images are classified as."""
    return coverage_of_labels(classify(images, recipe)[0].argmax(axis=1), min_share)


def feature_stats(images, recipe=RECIPE):
    """Mean and covariance of the scoring network's features of images.

    Returns
    -------
    stats : dict
        ``mu`` (F,) and ``sigma`` (F, F), float64 (covariance with N - 1).
    """
    features = classify(images, recipe)[1]
    return {"mu": features.mean(axis=0), "sigma": np.cov(features, rowvar=False)}


def frechet_distance_of_stats(mu1, sigma1, mu2, sigma2):
    """Fréchet distance between the Gaussians N(mu1, sigma1) and N(mu2, sigma2).

    ``|mu1 - mu2|^2 + tr(sigma1 + sigma2 - 2 (sigma1 sigma2)^(1/2))``. The
    trace of the matrix square root is the sum of the square roots of the
    eigenvalues of ``sigma1^(1/2) sigma2 sigma1^(1/2)``, a symmetric positive
    semi-definite matrix with the same eigenvalues as ``sigma1 sigma2``: two
    symmetric eigen-decompositions, no general matrix square root.

    Parameters
    ----------
    mu1, mu2 : ndarray, shape (F,)
    sigma1, sigma2 : ndarray, shape (F, F)
        Symmetric positive semi-definite.

    Returns
    -------
    distance : float
        >= 0 (up to rounding).
    """
    mu1, mu2 = np.asarray(mu1, dtype=np.float64), np.asarray(mu2, dtype=np.float64)
    sigma1, sigma2 = np.asarray(sigma1, dtype=np.float64), np.asarray(sigma2, dtype=np.float64)
    w, v = np.linalg.eigh((sigma1 + sigma1.T) / 2)
    root1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    middle = root1 @ sigma2 @ root1
    eig = np.linalg.eigvalsh((middle + middle.T) / 2)
    trace_root = np.sqrt(np.clip(eig, 0, None)).sum()
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * trace_root)


def frechet_distance(images, real, recipe=RECIPE):
    """Fréchet distance between the features of images and of real digits.

    Parameters
    ----------
    images : array, shape (N, 784), (N, 28, 28) or (N, 1, 28, 28)
        Values in [0, 1].
    real : array of images, or dict
        Real digits (same formats), or their ``feature_stats``.

    Returns
    -------
    distance : float
    """
    stats = real if isinstance(real, dict) else feature_stats(real, recipe)
    mine = feature_stats(images, recipe)
    return frechet_distance_of_stats(mine["mu"], mine["sigma"], stats["mu"], stats["sigma"])


def held_out_stats(recipe=RECIPE):
    """``feature_stats`` of the 360 held-out real digits: what samples are compared with."""
    return feature_stats(real_digits("test", recipe["dataset"])[0], recipe)


def score_samples(images, real_stats=None, recipe=RECIPE, min_share=MIN_SHARE):
    """All three scores of images at once (one pass of the classifier).

    Parameters
    ----------
    images : array, shape (N, 784), (N, 28, 28) or (N, 1, 28, 28)
        Values in [0, 1].
    real_stats : dict or None
        ``feature_stats`` of the real digits to compare with; None uses
        ``held_out_stats()``.

    Returns
    -------
    scores : dict
        ``inception_score`` (float), ``coverage`` (int), ``frechet_distance``
        (float) and ``class_counts`` (ndarray of int64, shape (10,): how many
        images are classified as each digit).
    """
    probs, features = classify(images, recipe)
    stats = held_out_stats(recipe) if real_stats is None else real_stats
    labels = probs.argmax(axis=1)
    return {
        "inception_score": inception_score_of_probs(probs),
        "coverage": coverage_of_labels(labels, min_share),
        "frechet_distance": frechet_distance_of_stats(features.mean(axis=0), np.cov(features, rowvar=False),
                                                      stats["mu"], stats["sigma"]),
        "class_counts": np.bincount(labels, minlength=NUM_CLASSES),
    }
