"""Datasets for the assignments: scikit-learn's digits (offline) and CIFAR-10.

Notebooks call one function, ``get_data(dataset)``, and get the same dict
whichever dataset they ask for:

``X_train, y_train, X_val, y_val, X_test, y_test, X_dev, y_dev``
    Images as float64 arrays in (N, C, H, W) (``channels_first=True``, the
    default), (N, H, W, C), or (N, D) (``flatten=True``); labels as int64
    arrays of shape (N,). Validation is carved from the training data and
    never overlaps the test set; dev is a small subset of the training split
    for quick experiments.
``class_names``
    Array of strings, shape (C,), indexed by label.

The digits ship with scikit-learn, so the default never touches the network.
CIFAR-10 is read from the official "CIFAR-10 python version" files when
present; ``download_CIFAR10`` fetches and verifies them.
"""

import functools
import os
import pickle
import tarfile
from pathlib import Path

import numpy as np

#: Default folder for downloaded datasets (``cs231n/datasets``, git-ignored).
DATASETS_DIR = Path(__file__).resolve().parent / "datasets"

CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
CIFAR10_HASH = "md5:c58f30108f718f92721af3b95e74349a"
CIFAR10_FOLDER = "cifar-10-batches-py"
CIFAR10_CLASSES = (
    "airplane", "automobile", "bird", "cat", "deer",
    "dog", "frog", "horse", "ship", "truck",
)
_CIFAR10_BATCHES = tuple(f"data_batch_{b}" for b in range(1, 6)) + ("test_batch",)

# Fixed so that every student, grader and book build sees the same splits.
_SPLIT_SEED = 0
_DIGITS_TEST_FRACTION = 0.2


# ----------------------------------------------------------------------------
# Digits (scikit-learn, offline)
# ----------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _digits_split():
    """Read the digits once and fix the split; callers get copies."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    # Pixels are counts in 0..16; rescale to CIFAR-10's 0..255 so the same
    # hyperparameters and plotting code work for both.
    X = digits.images.astype(np.float64) * (255.0 / 16.0)
    X = X[:, :, :, None]  # (N, 8, 8, 1), the (N, H, W, C) layout of CIFAR-10
    y = digits.target.astype(np.int64)

    # Stratified: the same fraction of every class goes to the test set; the
    # shuffle mixes the classes within each split.
    train_idx, test_idx = train_test_split(
        np.arange(y.size), test_size=_DIGITS_TEST_FRACTION, stratify=y, random_state=_SPLIT_SEED
    )
    split = (X[train_idx], y[train_idx], X[test_idx], y[test_idx])
    for a in split:
        a.setflags(write=False)  # the cached copy must never change
    return split


def load_digits_data():
    """scikit-learn's handwritten digits with a fixed stratified test split.

    1797 real 8x8 grey images of the digits 0-9 (the UCI "optical
    recognition of handwritten digits" test set), bundled with scikit-learn.
    The split puts 20% of each class in the test set and never changes.

    Returns
    -------
    X_train : ndarray of float64, shape (1437, 8, 8, 1)
        Pixel values in [0, 255].
    y_train : ndarray of int64, shape (1437,)
        Labels 0..9.
    X_test : ndarray of float64, shape (360, 8, 8, 1)
    y_test : ndarray of int64, shape (360,)
    """
    return tuple(a.copy() for a in _digits_split())


def get_digits_data(
    num_training=None,
    num_validation=200,
    num_test=None,
    num_dev=100,
    subtract_mean=True,
    channels_first=True,
    flatten=False,
):
    """Digits split into train / val / test / dev, ready for a classifier.

    Parameters
    ----------
    num_training : int or None
        Training examples; ``None`` uses all that remain after validation
        (1237 with the defaults).
    num_validation : int
        Validation examples, taken from the end of the training data, so the
        validation set does not depend on ``num_training``.
    num_test : int or None
        Test examples; ``None`` uses the whole test split (360).
    num_dev : int
        Size of the dev set, a fixed random subset of the training split
        (at most ``num_training``).
    subtract_mean : bool
        Subtract the mean training image from every split.
    channels_first : bool
        Images as (N, 1, 8, 8) if True, (N, 8, 8, 1) if False.
    flatten : bool
        Images as rows (N, 64), in the order of the layout chosen by
        ``channels_first``.

    Returns
    -------
    data : dict
        See the module docstring; ``class_names`` is ``'0'`` .. ``'9'``.
    """
    X_pool, y_pool, X_test, y_test = load_digits_data()
    return _make_splits(
        X_pool, y_pool, X_test, y_test,
        num_training=num_training, num_validation=num_validation,
        num_test=num_test, num_dev=num_dev, subtract_mean=subtract_mean,
        channels_first=channels_first, flatten=flatten,
        class_names=[str(d) for d in range(10)],
    )


# ----------------------------------------------------------------------------
# Shared splitting
# ----------------------------------------------------------------------------


def _check_count(name, value, available, allow_none=False):
    if value is None and allow_none:
        return available
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name} must be a non-negative int, got {value!r}")
    if value > available:
        raise ValueError(f"{name}={value} but only {available} examples are available")
    return int(value)


def _to_layout(X, channels_first, flatten):
    """(N, H, W, C) -> (N, C, H, W), (N, H, W, C) or (N, D)."""
    if channels_first:
        X = X.transpose(0, 3, 1, 2)
    if flatten:
        X = X.reshape(X.shape[0], -1)
    return np.ascontiguousarray(X)


def _make_splits(X_pool, y_pool, X_test, y_test, *, num_training, num_validation,
                 num_test, num_dev, subtract_mean, channels_first, flatten,
                 class_names):
    """Carve train / val / dev out of a training pool; all arrays (N, H, W, C)."""
    num_pool = X_pool.shape[0]
    num_validation = _check_count("num_validation", num_validation, num_pool)
    num_training = _check_count(
        "num_training", num_training, num_pool - num_validation, allow_none=True
    )
    num_test = _check_count("num_test", num_test, X_test.shape[0], allow_none=True)
    # Capped rather than refused, so that a small num_training alone works.
    num_dev = min(_check_count("num_dev", num_dev, num_pool), num_training)

    X_val = X_pool[num_pool - num_validation:]
    y_val = y_pool[num_pool - num_validation:]
    X_train = X_pool[:num_training]
    y_train = y_pool[:num_training]
    X_test = X_test[:num_test]
    y_test = y_test[:num_test]
    dev_idx = np.random.RandomState(_SPLIT_SEED).choice(num_training, num_dev, replace=False)
    X_dev = X_train[dev_idx]
    y_dev = y_train[dev_idx]

    if subtract_mean:
        mean_image = X_train.mean(axis=0)
        X_train, X_val, X_test, X_dev = (
            X - mean_image for X in (X_train, X_val, X_test, X_dev)
        )

    data = {}
    for split, X, y in (("train", X_train, y_train), ("val", X_val, y_val),
                        ("test", X_test, y_test), ("dev", X_dev, y_dev)):
        data["X_" + split] = _to_layout(X, channels_first, flatten).astype(np.float64)
        data["y_" + split] = np.array(y, dtype=np.int64)
    # An array, not a list, so `for k, v in data.items(): print(k, v.shape)`
    # (the usual CS231n idiom) still works.
    data["class_names"] = np.array(class_names)
    return data


# ----------------------------------------------------------------------------
# CIFAR-10 (official python pickles)
# ----------------------------------------------------------------------------


def load_CIFAR_batch(filename):
    """Read one batch of the official "CIFAR-10 python version".

    Each batch is a pickled dict whose ``data`` entry is a uint8 array of
    shape (N, 3072): per row, the 1024 red, then green, then blue values of a
    32x32 image in row-major order; ``labels`` is a list of N ints.

    Parameters
    ----------
    filename : str or Path
        Path of e.g. ``data_batch_1`` or ``test_batch``.

    Returns
    -------
    X : ndarray of float64, shape (N, 32, 32, 3)
        Pixel values in [0, 255].
    y : ndarray of int64, shape (N,)
    """
    with open(filename, "rb") as f:
        # Written by Python 2: latin1 maps its byte strings (numpy's raw
        # buffers) one-to-one, which is what numpy needs to unpickle them.
        batch = pickle.load(f, encoding="latin1")
    # Keys are str when read with latin1, bytes if the file was written
    # from Python 3 with bytes keys (as the dataset's page shows).
    batch = {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in batch.items()}
    if "data" not in batch or "labels" not in batch:
        raise ValueError(
            f"{filename} is not a CIFAR-10 batch: expected a dict with 'data' "
            f"and 'labels', found keys {sorted(batch)}"
        )
    data = np.asarray(batch["data"])
    if data.ndim != 2 or data.shape[1] != 3072:
        raise ValueError(f"{filename}: 'data' must have shape (N, 3072), got {data.shape}")
    X = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).astype(np.float64)
    y = np.asarray(batch["labels"], dtype=np.int64)
    if y.shape != (X.shape[0],):
        raise ValueError(f"{filename}: {y.size} labels for {X.shape[0]} images")
    return X, y


def _missing_cifar_message(root):
    return (
        f"CIFAR-10 not found: looked for {', '.join(_CIFAR10_BATCHES)} in "
        f"{Path(root).resolve()}. Download it with "
        f"cs231n.data_utils.download_CIFAR10({str(Path(root).resolve().parent)!r}) "
        f"or pass the folder that holds the official '{CIFAR10_FOLDER}' files."
    )


def load_CIFAR10(root):
    """Read all of CIFAR-10 from the official python-version folder.

    Parameters
    ----------
    root : str or Path
        The ``cifar-10-batches-py`` folder holding ``data_batch_1`` ..
        ``data_batch_5`` and ``test_batch``.

    Returns
    -------
    X_train : ndarray of float64, shape (50000, 32, 32, 3)
    y_train : ndarray of int64, shape (50000,)
    X_test : ndarray of float64, shape (10000, 32, 32, 3)
    y_test : ndarray of int64, shape (10000,)
    """
    root = Path(root)
    if not all((root / name).is_file() for name in _CIFAR10_BATCHES):
        raise FileNotFoundError(_missing_cifar_message(root))
    batches = [load_CIFAR_batch(root / f"data_batch_{b}") for b in range(1, 6)]
    X_train = np.concatenate([X for X, _ in batches])
    y_train = np.concatenate([y for _, y in batches])
    X_test, y_test = load_CIFAR_batch(root / "test_batch")
    return X_train, y_train, X_test, y_test


def get_CIFAR10_data(
    num_training=49000,
    num_validation=1000,
    num_test=1000,
    subtract_mean=True,
    cifar10_dir=DATASETS_DIR / CIFAR10_FOLDER,
):
    """CIFAR-10 split and preprocessed as in Stanford CS231n.

    Training is the first ``num_training`` images, validation the next
    ``num_validation``, test the first ``num_test`` of the test batch.

    Parameters
    ----------
    num_training, num_validation, num_test : int
        Split sizes.
    subtract_mean : bool
        Subtract the mean training image from every split.
    cifar10_dir : str or Path
        Folder with the official batches.

    Returns
    -------
    data : dict
        ``X_train`` (num_training, 3, 32, 32), ``y_train`` (num_training,),
        ``X_val``, ``y_val``, ``X_test``, ``y_test`` likewise.
    """
    X_pool, y_pool, X_test, y_test = load_CIFAR10(cifar10_dir)
    num_validation = _check_count("num_validation", num_validation, X_pool.shape[0])
    num_training = _check_count(
        "num_training", num_training, X_pool.shape[0] - num_validation
    )
    num_test = _check_count("num_test", num_test, X_test.shape[0])

    X_val = X_pool[num_training : num_training + num_validation]
    y_val = y_pool[num_training : num_training + num_validation]
    X_train = X_pool[:num_training]
    y_train = y_pool[:num_training]
    X_test = X_test[:num_test]
    y_test = y_test[:num_test]

    if subtract_mean:
        mean_image = X_train.mean(axis=0)
        X_train = X_train - mean_image
        X_val = X_val - mean_image
        X_test = X_test - mean_image

    return {
        "X_train": _to_layout(X_train, True, False), "y_train": y_train,
        "X_val": _to_layout(X_val, True, False), "y_val": y_val,
        "X_test": _to_layout(X_test, True, False), "y_test": y_test,
    }


def download_CIFAR10(root=DATASETS_DIR, url=CIFAR10_URL, known_hash=CIFAR10_HASH):
    """Download, verify and extract the official CIFAR-10 python version.

    Does nothing if ``root/cifar-10-batches-py`` already holds every batch.
    Otherwise the archive is fetched with ``pooch.retrieve``, its checksum
    checked (a mismatch raises ``ValueError`` and keeps nothing), extracted
    into ``root`` and then deleted.

    Parameters
    ----------
    root : str or Path
        Folder to extract into.
    url : str
        Where to fetch ``cifar-10-python.tar.gz`` from.
    known_hash : str
        ``"md5:..."`` or ``"sha256:..."`` checksum of the archive.

    Returns
    -------
    folder : Path
        ``root / "cifar-10-batches-py"``, ready for ``load_CIFAR10``.
    """
    import pooch

    root = Path(root)
    folder = root / CIFAR10_FOLDER
    if all((folder / name).is_file() for name in _CIFAR10_BATCHES):
        return folder
    root.mkdir(parents=True, exist_ok=True)
    archive = Path(
        pooch.retrieve(url, known_hash=known_hash, fname="cifar-10-python.tar.gz",
                       path=root, progressbar=False)
    )
    with tarfile.open(archive, "r:gz") as tar:
        # The "data" filter refuses absolute paths, links out of root and
        # device files, in case the archive is not what it claims to be.
        tar.extractall(root, filter="data")
    os.remove(archive)
    if not all((folder / name).is_file() for name in _CIFAR10_BATCHES):
        raise FileNotFoundError(
            f"the archive from {url} did not contain {CIFAR10_FOLDER}/ with "
            f"{', '.join(_CIFAR10_BATCHES)}"
        )
    return folder


def _get_cifar10_data(
    num_training=None,
    num_validation=1000,
    num_test=None,
    num_dev=500,
    subtract_mean=True,
    channels_first=True,
    flatten=False,
    cifar10_dir=DATASETS_DIR / CIFAR10_FOLDER,
):
    X_pool, y_pool, X_test, y_test = load_CIFAR10(cifar10_dir)
    return _make_splits(
        X_pool, y_pool, X_test, y_test,
        num_training=num_training, num_validation=num_validation,
        num_test=num_test, num_dev=num_dev, subtract_mean=subtract_mean,
        channels_first=channels_first, flatten=flatten,
        class_names=CIFAR10_CLASSES,
    )


_DATASETS = {"digits": get_digits_data, "cifar10": _get_cifar10_data}


def get_data(dataset="digits", **kwargs):
    """The one entry point of the notebooks: a dataset as a dict of splits.

    Parameters
    ----------
    dataset : {"digits", "cifar10"}
        ``"digits"`` (default, offline) or ``"cifar10"`` (the official batches
        in ``cifar10_dir``, default ``cs231n/datasets/cifar-10-batches-py``;
        see ``download_CIFAR10``).
    **kwargs
        ``num_training``, ``num_validation``, ``num_test``, ``num_dev``,
        ``subtract_mean``, ``channels_first``, ``flatten``, as in
        ``get_digits_data``; for CIFAR-10 also ``cifar10_dir``. The defaults
        for CIFAR-10 are 1000 validation and 500 dev examples.

    Returns
    -------
    data : dict
        ``X_train, y_train, X_val, y_val, X_test, y_test, X_dev, y_dev,
        class_names`` (see the module docstring).
    """
    if dataset not in _DATASETS:
        raise ValueError(
            f"dataset must be one of {sorted(_DATASETS)}, got {dataset!r}"
        )
    return _DATASETS[dataset](**kwargs)
