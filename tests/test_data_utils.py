import functools
import hashlib
import http.server
import os
import pickle
import struct
import tarfile
import threading
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits

from cs231n import data_utils
from cs231n.data_utils import (
    download_CIFAR10,
    get_CIFAR10_data,
    get_cluttered_digits_data,
    get_data,
    get_digits_data,
    load_CIFAR10,
    load_CIFAR_batch,
    load_cluttered_digits,
    load_digits_data,
)

# The invariant: no test here reaches beyond this machine.
pytestmark = pytest.mark.usefixtures("no_network")


def _rows(X):
    """Set of images as hashable rows (all 1797 digits images are distinct)."""
    X = np.asarray(X).reshape(len(X), -1)
    return {row.tobytes() for row in X}


# ----------------------------------------------------------------------------
# Digits
# ----------------------------------------------------------------------------


def test_load_digits_data_shapes_range_and_partition():
    X_train, y_train, X_test, y_test = load_digits_data()
    assert X_train.shape == (1437, 8, 8, 1) and X_test.shape == (360, 8, 8, 1)
    assert X_train.dtype == np.float64 and y_train.dtype == np.int64
    assert X_train.min() == 0.0 and X_train.max() == 255.0

    # Train and test partition the 1797 original images, scaled 16 -> 255,
    # with the labels travelling with their images.
    digits = load_digits()
    original = {
        (img * 255.0 / 16.0).tobytes(): label
        for img, label in zip(digits.images.astype(np.float64), digits.target)
    }
    train_rows, test_rows = _rows(X_train), _rows(X_test)
    assert not train_rows & test_rows
    assert train_rows | test_rows == set(original)
    for X, y in ((X_train, y_train), (X_test, y_test)):
        assert all(original[img.reshape(8, 8).tobytes()] == label for img, label in zip(X, y))


def test_load_digits_data_is_stratified_and_deterministic():
    X_train, y_train, X_test, y_test = load_digits_data()
    counts_all = np.bincount(np.concatenate([y_train, y_test]))
    counts_test = np.bincount(y_test, minlength=10)
    assert np.all(np.abs(counts_test - 0.2 * counts_all) <= 1)

    again = load_digits_data()
    for a, b in zip((X_train, y_train, X_test, y_test), again):
        np.testing.assert_array_equal(a, b)
    # Callers get copies: changing one must not change the next call.
    again[0][:] = -1
    np.testing.assert_array_equal(load_digits_data()[0], X_train)


def test_get_digits_data_default_sizes_and_keys():
    data = get_digits_data()
    sizes = {k: len(v) for k, v in data.items()}
    assert sizes == {"X_train": 1237, "y_train": 1237, "X_val": 200, "y_val": 200,
                     "X_test": 360, "y_test": 360, "X_dev": 100, "y_dev": 100,
                     "class_names": 10}
    assert list(data["class_names"]) == [str(d) for d in range(10)]
    for k, v in data.items():  # the CS231n notebook idiom works on every entry
        assert v.shape[0] == sizes[k]


@pytest.mark.parametrize(
    "channels_first, flatten, shape",
    [(True, False, (1, 8, 8)), (False, False, (8, 8, 1)),
     (True, True, (64,)), (False, True, (64,))],
)
def test_get_digits_data_layouts(channels_first, flatten, shape):
    data = get_digits_data(channels_first=channels_first, flatten=flatten, subtract_mean=False)
    raw_train = load_digits_data()[0]
    for split in ("train", "val", "test", "dev"):
        X = data["X_" + split]
        assert X.shape[1:] == shape and X.dtype == np.float64
        assert data["y_" + split].dtype == np.int64
        assert 0.0 <= X.min() and X.max() <= 255.0
    # Every layout holds the same pixels as the raw (N, 8, 8, 1) images.
    np.testing.assert_array_equal(data["X_train"].reshape(-1, 8, 8), raw_train[:1237, :, :, 0])


def test_get_digits_data_splits_are_disjoint_and_fixed():
    data = get_digits_data(subtract_mean=False)
    train, val, test, dev = (_rows(data["X_" + s]) for s in ("train", "val", "test", "dev"))
    assert not train & val and not train & test and not val & test
    assert dev <= train
    assert train | val == _rows(load_digits_data()[0])

    small = get_digits_data(num_training=100, num_test=50, subtract_mean=False)
    assert small["X_train"].shape[0] == 100 and small["X_test"].shape[0] == 50
    # Validation does not move when the training set shrinks.
    np.testing.assert_array_equal(small["X_val"], data["X_val"])
    np.testing.assert_array_equal(get_digits_data()["X_dev"], get_digits_data()["X_dev"])


def test_get_digits_data_subtracts_training_mean():
    raw = get_digits_data(subtract_mean=False)
    centred = get_digits_data()
    mean_image = raw["X_train"].mean(axis=0)
    np.testing.assert_allclose(centred["X_train"].mean(axis=0), 0.0, atol=1e-10)
    for split in ("val", "test", "dev"):
        np.testing.assert_allclose(centred["X_" + split], raw["X_" + split] - mean_image)


def test_get_digits_data_errors_name_the_argument():
    with pytest.raises(ValueError, match="num_training"):
        get_digits_data(num_training=5000)
    with pytest.raises(ValueError, match="num_validation"):
        get_digits_data(num_validation=-1)
    with pytest.raises(ValueError, match="num_test"):
        get_digits_data(num_test=361)


def test_get_data_dispatch():
    a = get_data()
    b = get_digits_data()
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
    assert get_data("digits", flatten=True)["X_train"].shape == (1237, 64)
    with pytest.raises(ValueError, match="dataset"):
        get_data("no_such_dataset")
    # An empty validation split keeps the layout.
    assert get_data("digits", flatten=True, num_validation=0)["X_val"].shape == (0, 64)


# ----------------------------------------------------------------------------
# Cluttered digits
# ----------------------------------------------------------------------------


_BUILD = data_utils._build_cluttered_digits


@pytest.fixture(scope="module")
def built():
    """One build, shared by the tests that only read it."""
    return _BUILD()


@pytest.fixture(scope="module")
def cluttered_home(tmp_path_factory):
    """A DATASETS_DIR of this module's own, built into once, not the package's."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(data_utils, "DATASETS_DIR", tmp_path_factory.mktemp("datasets"))
        data_utils._cluttered_digits_arrays.cache_clear()
        yield
    data_utils._cluttered_digits_arrays.cache_clear()


@pytest.fixture
def cache_home(cluttered_home, tmp_path, monkeypatch):
    """An empty DATASETS_DIR and no arrays kept in memory."""
    monkeypatch.setattr(data_utils, "DATASETS_DIR", tmp_path / "datasets")
    data_utils._cluttered_digits_arrays.cache_clear()
    yield tmp_path / "datasets" / "cluttered_digits" / "cluttered_digits.npz"
    data_utils._cluttered_digits_arrays.cache_clear()


@pytest.fixture
def counted_builds(built, monkeypatch):
    """Replace the generator by the shared build and count the calls."""
    calls = []

    def build(params=data_utils._CLUTTER_PARAMS):
        calls.append(params)
        return built

    monkeypatch.setattr(data_utils, "_build_cluttered_digits", build)
    return calls


def _load_fresh():
    data_utils._cluttered_digits_arrays.cache_clear()
    return load_cluttered_digits()


def test_load_cluttered_digits_shapes_range_and_balance(cluttered_home):
    X_train, y_train, X_test, y_test = load_cluttered_digits()
    assert X_train.shape == (5500, 28, 28, 3) and X_test.shape == (1000, 28, 28, 3)
    assert X_train.dtype == np.float64 and X_test.dtype == np.float64
    assert y_train.shape == (5500,) and y_test.shape == (1000,)
    assert y_train.dtype == np.int64 and y_test.dtype == np.int64
    for X in (X_train, X_test):
        assert X.min() >= 0.0 and X.max() <= 255.0
        np.testing.assert_array_equal(X, np.round(X))  # uint8 values, like CIFAR-10
        assert X.std() > 30.0  # not a blank canvas
    for y in (y_train, y_test):
        counts = np.bincount(y, minlength=10)
        assert counts.size == 10
        assert np.all(np.abs(counts / y.size - 0.1) < 0.02), counts
    # Callers get copies: changing one must not change the next call.
    X_train[:] = -1
    assert load_cluttered_digits()[0].min() >= 0.0


def test_cluttered_digits_are_deterministic_and_cached(cache_home, built, counted_builds):
    again = _BUILD()  # the real generator, a second time
    assert built.keys() == again.keys()
    for name in built:
        assert built[name].tobytes() == again[name].tobytes(), name

    assert not cache_home.exists()
    first = load_cluttered_digits()
    assert cache_home.is_file()
    with np.load(cache_home) as f:
        for name in ("X_pool", "y_pool", "X_test", "y_test"):
            assert f[name].tobytes() == again[name].tobytes(), name
    from_file = _load_fresh()
    for a, b, name in zip(first, from_file, ("X_pool", "y_pool", "X_test", "y_test")):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, built[name])
    # No temporary file is left behind.
    assert [p.name for p in cache_home.parent.iterdir()] == [cache_home.name]


def test_valid_cache_is_read_not_rebuilt(cache_home, counted_builds):
    load_cluttered_digits()
    assert len(counted_builds) == 1
    _load_fresh()
    assert len(counted_builds) == 1


def _rewrite_cache(path, **changes):
    with np.load(path) as f:
        arrays = {name: f[name] for name in f.files}
    arrays.update(changes)
    np.savez(path, **arrays)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "flipped_byte", "empty"])
def test_corrupt_cache_is_rebuilt(cache_home, counted_builds, built, damage):
    load_cluttered_digits()
    raw = cache_home.read_bytes()
    if damage == "garbage":
        cache_home.write_bytes(b"not an npz file at all")
    elif damage == "truncated":
        cache_home.write_bytes(raw[: len(raw) // 2])
    elif damage == "flipped_byte":
        # Inside the image data: only the zip checksum can notice.
        pos = len(raw) // 3
        cache_home.write_bytes(raw[:pos] + bytes([raw[pos] ^ 0xFF]) + raw[pos + 1:])
    else:
        cache_home.write_bytes(b"")

    X_pool, y_pool, X_test, y_test = _load_fresh()
    assert len(counted_builds) == 2
    np.testing.assert_array_equal(X_pool, built["X_pool"])
    np.testing.assert_array_equal(y_test, built["y_test"])
    # The rebuilt cache is whole again and is read next time.
    with np.load(cache_home) as f:
        np.testing.assert_array_equal(f["X_test"], built["X_test"])
    _load_fresh()
    assert len(counted_builds) == 2


@pytest.mark.parametrize("stale", ["fingerprint", "no_fingerprint", "shape", "dtype", "labels"])
def test_stale_cache_is_rebuilt(cache_home, counted_builds, built, stale):
    load_cluttered_digits()
    if stale == "fingerprint":
        other = dict(data_utils._CLUTTER_PARAMS, seed=data_utils._CLUTTER_PARAMS["seed"] + 1)
        _rewrite_cache(cache_home, fingerprint=data_utils._clutter_fingerprint(other))
    elif stale == "no_fingerprint":
        with np.load(cache_home) as f:
            arrays = {name: f[name] for name in f.files if name != "fingerprint"}
        np.savez(cache_home, **arrays)
    elif stale == "shape":
        _rewrite_cache(cache_home, X_test=built["X_test"][:10])
    elif stale == "dtype":
        _rewrite_cache(cache_home, X_pool=built["X_pool"].astype(np.float32))
    else:
        _rewrite_cache(cache_home, y_pool=built["y_pool"] + 10)

    X_pool, y_pool, X_test, y_test = _load_fresh()
    assert len(counted_builds) == 2
    np.testing.assert_array_equal(X_test, built["X_test"])
    np.testing.assert_array_equal(y_pool, built["y_pool"])


def test_fingerprint_follows_every_parameter():
    params = data_utils._CLUTTER_PARAMS
    base = data_utils._clutter_fingerprint(params)
    assert data_utils._clutter_fingerprint(dict(params)) == base
    for name, value in params.items():
        changed = tuple(v + 1 for v in value) if isinstance(value, tuple) else value + 1
        assert data_utils._clutter_fingerprint(dict(params, **{name: changed})) != base, name


@pytest.mark.parametrize("how", ["chmod", "under_a_file", "replace_fails"])
def test_unwritable_folder_keeps_arrays_in_memory(cluttered_home, tmp_path, monkeypatch, built,
                                                  counted_builds, how, capfd):
    if how == "chmod":
        home = tmp_path / "readonly"
        home.mkdir()
        home.chmod(0o555)
    elif how == "under_a_file":
        # Unwritable even for root, who ignores the permission bits.
        (tmp_path / "file").write_text("")
        home = tmp_path / "file" / "datasets"
    else:
        home = tmp_path / "datasets"

        def replace(src, dst):
            raise OSError(30, "Read-only file system", str(dst))

        monkeypatch.setattr(data_utils.os, "replace", replace)
    monkeypatch.setattr(data_utils, "DATASETS_DIR", home)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            arrays = _load_fresh()
        np.testing.assert_array_equal(arrays[0], built["X_pool"])
        np.testing.assert_array_equal(arrays[3], built["y_test"])
        # Served from memory afterwards, still without complaint.
        np.testing.assert_array_equal(load_cluttered_digits()[2], built["X_test"])
        assert len(counted_builds) == 1
        assert capfd.readouterr() == ("", "")
        if how == "replace_fails":
            # The temporary file is removed, nothing is half-written.
            assert list((home / "cluttered_digits").iterdir()) == []
        elif how == "chmod" and os.geteuid() != 0:
            assert list(home.iterdir()) == []
    finally:
        if how == "chmod":
            home.chmod(0o755)
        data_utils._cluttered_digits_arrays.cache_clear()


def test_cluttered_sources_never_cross_splits(built):
    X_train8, y_train8, X_test8, y_test8 = load_digits_data()
    num_train = 5000
    pool_src, pool_frag = built["pool_sources"], built["pool_fragments"]
    test_src, test_frag = built["test_sources"], built["test_fragments"]
    np.testing.assert_array_equal(built["y_pool"], y_train8[pool_src])
    np.testing.assert_array_equal(built["y_test"], y_test8[test_src])

    def used(X8, sources, fragments):
        """The source digits an image set shows or cuts clutter from, as bytes."""
        return _rows(X8[sources]) | _rows(X8[fragments[fragments >= 0]])

    train = used(X_train8, pool_src[:num_train], pool_frag[:num_train])
    val = used(X_train8, pool_src[num_train:], pool_frag[num_train:])
    test = used(X_test8, test_src, test_frag)
    assert not train & test and not val & test and not train & val
    # Every image has clutter, from other digits than its own.
    for src, frag in ((pool_src, pool_frag), (test_src, test_frag)):
        assert np.all((frag >= 0).sum(axis=1) >= 1)
        assert not np.any(frag == src[:, None])
    # Each group uses all its digits, and each digit once before any twice.
    for src, num_digits in ((pool_src[:num_train], len(X_train8) - 144),
                            (pool_src[num_train:], 144), (test_src, len(X_test8))):
        assert len(set(src.tolist())) == num_digits
        assert len(set(src[:num_digits].tolist())) == num_digits


def test_cluttered_image_without_clutter_is_its_source_digit():
    # Clutter, noise, colour, scaling and shifting turned off: each image
    # must be its source digit, centred, white on black.
    plain = dict(data_utils._CLUTTER_PARAMS, scale=(1.0, 1.0), shift=0, fragments=(0, 0),
                 noise_amplitude=0.0, background=(0.0, 0.0), ink=(255.0, 255.0),
                 num_train=30, num_val=10, num_test=20)
    data = data_utils._build_cluttered_digits(plain)
    X_train8, _, X_test8, _ = load_digits_data()
    for X, X8, src in ((data["X_pool"], X_train8, data["pool_sources"]),
                       (data["X_test"], X_test8, data["test_sources"])):
        expected = np.zeros((len(src), 28, 28, 3))
        expected[:, 10:18, 10:18, :] = X8[src]
        # Pixels are rounded to integers: 127.5 may become 127 or 128.
        np.testing.assert_allclose(X, expected, rtol=0, atol=0.5 + 1e-9)
    assert np.all(data["pool_fragments"] == -1) and np.all(data["test_fragments"] == -1)


@pytest.mark.parametrize("n_in, n_out", [(8, 10), (8, 13), (8, 18), (3, 5), (4, 9), (4, 4)])
def test_resize_matrix_matches_skimage(n_in, n_out):
    from skimage.transform import resize

    img = np.random.RandomState(n_out).rand(n_in, n_in)
    R = data_utils._resize_matrix(n_in, n_out)
    expected = resize(img, (n_out, n_out), order=1, mode="edge", anti_aliasing=False)
    np.testing.assert_allclose(R @ img @ R.T, expected, atol=1e-12)


def test_get_cluttered_digits_data_sizes_and_splits(cluttered_home):
    data = get_data("cluttered_digits", subtract_mean=False)
    sizes = {k: len(v) for k, v in data.items()}
    assert sizes == {"X_train": 5000, "y_train": 5000, "X_val": 500, "y_val": 500,
                     "X_test": 1000, "y_test": 1000, "X_dev": 500, "y_dev": 500,
                     "class_names": 10}
    assert list(data["class_names"]) == [str(d) for d in range(10)]
    assert data["X_train"].shape[1:] == (3, 28, 28)
    X_pool, y_pool, X_test, y_test = load_cluttered_digits()
    np.testing.assert_array_equal(data["X_train"], X_pool[:5000].transpose(0, 3, 1, 2))
    np.testing.assert_array_equal(data["X_val"], X_pool[5000:].transpose(0, 3, 1, 2))
    np.testing.assert_array_equal(data["y_val"], y_pool[5000:])
    np.testing.assert_array_equal(data["X_test"], X_test.transpose(0, 3, 1, 2))
    assert _rows(data["X_dev"]) <= _rows(data["X_train"])

    small = get_data("cluttered_digits", num_training=1000, num_test=200, num_dev=50,
                     subtract_mean=False)
    assert small["X_train"].shape == (1000, 3, 28, 28) and small["X_test"].shape == (200, 3, 28, 28)
    assert small["X_dev"].shape == (50, 3, 28, 28)
    np.testing.assert_array_equal(small["X_train"], data["X_train"][:1000])
    np.testing.assert_array_equal(small["X_val"], data["X_val"])  # does not move
    with pytest.raises(ValueError, match="num_training"):
        get_data("cluttered_digits", num_training=5001)
    with pytest.raises(ValueError, match="num_test"):
        get_data("cluttered_digits", num_test=1001)


def test_get_cluttered_digits_data_mean_and_layouts(cluttered_home):
    raw = get_cluttered_digits_data(subtract_mean=False, channels_first=False)
    mean_image = raw["X_train"].mean(axis=0)
    centred = get_cluttered_digits_data(channels_first=False)
    np.testing.assert_allclose(centred["X_train"].mean(axis=0), 0.0, atol=1e-9)
    for split in ("val", "test", "dev"):
        np.testing.assert_allclose(centred["X_" + split], raw["X_" + split] - mean_image)

    X_pool = load_cluttered_digits()[0]
    np.testing.assert_array_equal(raw["X_train"], X_pool[:5000])
    flat_last = get_cluttered_digits_data(subtract_mean=False, channels_first=False, flatten=True)
    flat_first = get_cluttered_digits_data(subtract_mean=False, flatten=True)
    assert flat_last["X_train"].shape == flat_first["X_train"].shape == (5000, 2352)
    # Pixel (row 1, column 2) of image 0: channels adjacent in (H, W, C) rows,
    # one plane of 28 * 28 apart in (C, H, W) rows.
    pixel = X_pool[0, 1, 2]
    start = (1 * 28 + 2) * 3
    np.testing.assert_array_equal(flat_last["X_train"][0, start:start + 3], pixel)
    planes = [c * 28 * 28 + 1 * 28 + 2 for c in range(3)]
    np.testing.assert_array_equal(flat_first["X_train"][0, planes], pixel)
    for data in (flat_last, flat_first, centred):
        for split in ("train", "val", "test", "dev"):
            assert data["X_" + split].dtype == np.float64
            assert data["y_" + split].dtype == np.int64


def test_get_data_unknown_name_lists_the_datasets():
    with pytest.raises(ValueError) as info:
        get_data("nope")
    message = str(info.value)
    assert "nope" in message
    for name in ("digits", "cluttered_digits", "cifar10"):
        assert repr(name) in message


def test_cluttered_digits_are_harder_than_digits(cluttered_home):
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    def linear_accuracy(data):
        scale = np.abs(data["X_train"]).max()
        clf = LogisticRegression(C=0.1, max_iter=300)
        clf.fit(data["X_train"] / scale, data["y_train"])
        return clf.score(data["X_test"] / scale, data["y_test"])

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # max_iter is enough here
        plain = linear_accuracy(get_data("digits", flatten=True))
        cluttered = linear_accuracy(
            get_data("cluttered_digits", num_training=3000, flatten=True))
    assert plain > 0.9
    assert cluttered < plain - 0.3, (plain, cluttered)


# ----------------------------------------------------------------------------
# CIFAR-10 in the official format
# ----------------------------------------------------------------------------


def _py2_str(s):
    """A Python 2 `str` (SHORT_BINSTRING / BINSTRING), as cPickle writes it."""
    s = s.encode("latin1") if isinstance(s, str) else s
    if len(s) < 256:
        return b"U" + bytes([len(s)]) + s
    return b"T" + struct.pack("<I", len(s)) + s


def _py2_int(i):
    return b"K" + bytes([i]) if 0 <= i < 256 else b"J" + struct.pack("<i", i)


def _py2_uint8_matrix(a):
    """A 2-D uint8 array pickled by numpy 1.x under Python 2 (protocol 2)."""
    n, d = a.shape
    dtype = (b"cnumpy\ndtype\n" + _py2_str("u1") + _py2_int(0) + _py2_int(1) + b"\x87R"
             + b"(" + _py2_int(3) + _py2_str("|") + b"NNN" + _py2_int(-1) + _py2_int(-1)
             + _py2_int(0) + b"tb")
    return (b"cnumpy.core.multiarray\n_reconstruct\n"
            + b"cnumpy\nndarray\n" + _py2_int(0) + b"\x85" + _py2_str("b") + b"\x87R"
            + b"(" + _py2_int(1) + _py2_int(n) + _py2_int(d) + b"\x86" + dtype
            + b"\x89" + _py2_str(a.tobytes()) + b"tb")


def _py2_batch_pickle(data, labels, batch_label):
    """A batch file byte for byte in the layout of the official python version."""
    body = b"\x80\x02}("
    body += _py2_str("batch_label") + _py2_str(batch_label)
    body += _py2_str("labels") + b"](" + b"".join(_py2_int(int(v)) for v in labels) + b"e"
    body += _py2_str("data") + _py2_uint8_matrix(data)
    body += _py2_str("filenames") + b"](" + b"".join(
        _py2_str(f"img_{i}.png") for i in range(len(labels))) + b"e"
    return body + b"u."


BATCH_SIZE = 2
NUM_TEST = 3


@pytest.fixture
def cifar_dir(tmp_path):
    """Five 2-image training batches and a 3-image test batch, official format."""
    rng = np.random.RandomState(0)
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    batches = {}
    for name in [f"data_batch_{b}" for b in range(1, 6)] + ["test_batch"]:
        n = NUM_TEST if name == "test_batch" else BATCH_SIZE
        data = rng.randint(0, 256, size=(n, 3072)).astype(np.uint8)
        labels = rng.randint(0, 10, size=n)
        batches[name] = (data, labels)
    # One marked pixel: row 1, column 2 of the very first image is (200, 100, 50).
    first = batches["data_batch_1"][0]
    first[0, 0 * 1024 + 1 * 32 + 2] = 200
    first[0, 1 * 1024 + 1 * 32 + 2] = 100
    first[0, 2 * 1024 + 1 * 32 + 2] = 50
    for name, (data, labels) in batches.items():
        (folder / name).write_bytes(_py2_batch_pickle(data, labels, name))
    return folder, batches


def _planes_to_hwc(data):
    """Independent decoding: pixel (r, c) of channel ch is data[ch*1024 + r*32 + c]."""
    n = data.shape[0]
    out = np.empty((n, 32, 32, 3))
    for ch in range(3):
        out[:, :, :, ch] = data[:, ch * 1024:(ch + 1) * 1024].reshape(n, 32, 32)
    return out


def test_fake_batch_is_a_python2_pickle(cifar_dir):
    folder, batches = cifar_dir
    with open(folder / "data_batch_1", "rb") as f:
        raw = pickle.load(f, encoding="bytes")  # as on the dataset's web page
    np.testing.assert_array_equal(raw[b"data"], batches["data_batch_1"][0])
    assert raw[b"labels"] == list(batches["data_batch_1"][1])


def test_load_CIFAR_batch_pixel_placement(cifar_dir):
    folder, batches = cifar_dir
    X, y = load_CIFAR_batch(folder / "data_batch_1")
    assert X.shape == (BATCH_SIZE, 32, 32, 3) and X.dtype == np.float64
    assert y.dtype == np.int64
    np.testing.assert_array_equal(X[0, 1, 2], [200.0, 100.0, 50.0])
    np.testing.assert_array_equal(X, _planes_to_hwc(batches["data_batch_1"][0]))
    np.testing.assert_array_equal(y, batches["data_batch_1"][1])


def test_load_CIFAR_batch_accepts_python3_bytes_keys(tmp_path):
    data = np.arange(3072, dtype=np.int64).astype(np.uint8)[None]
    with open(tmp_path / "b", "wb") as f:
        pickle.dump({b"data": data, b"labels": [4]}, f)
    X, y = load_CIFAR_batch(tmp_path / "b")
    np.testing.assert_array_equal(X, _planes_to_hwc(data))
    assert y.tolist() == [4]


def test_load_CIFAR_batch_rejects_other_pickles(tmp_path):
    with open(tmp_path / "b", "wb") as f:
        pickle.dump({"images": []}, f)
    with pytest.raises(ValueError, match="data"):
        load_CIFAR_batch(tmp_path / "b")


def test_load_CIFAR10_concatenates_in_order(cifar_dir):
    folder, batches = cifar_dir
    X_train, y_train, X_test, y_test = load_CIFAR10(folder)
    order = [f"data_batch_{b}" for b in range(1, 6)]
    np.testing.assert_array_equal(
        X_train, np.concatenate([_planes_to_hwc(batches[n][0]) for n in order]))
    np.testing.assert_array_equal(y_train, np.concatenate([batches[n][1] for n in order]))
    np.testing.assert_array_equal(X_test, _planes_to_hwc(batches["test_batch"][0]))
    np.testing.assert_array_equal(y_test, batches["test_batch"][1])


def test_get_CIFAR10_data_as_cs231n(cifar_dir):
    folder, batches = cifar_dir
    X_all, y_all, X_test_all, _ = load_CIFAR10(folder)
    data = get_CIFAR10_data(num_training=7, num_validation=2, num_test=2, cifar10_dir=folder)
    assert sorted(data) == ["X_test", "X_train", "X_val", "y_test", "y_train", "y_val"]
    assert data["X_train"].shape == (7, 3, 32, 32)
    assert data["X_val"].shape == (2, 3, 32, 32) and data["X_test"].shape == (2, 3, 32, 32)
    mean_image = X_all[:7].mean(axis=0)
    # Validation follows training: images 7 and 8.
    np.testing.assert_allclose(data["X_val"], (X_all[7:9] - mean_image).transpose(0, 3, 1, 2))
    np.testing.assert_array_equal(data["y_val"], y_all[7:9])
    np.testing.assert_allclose(data["X_test"], (X_test_all[:2] - mean_image).transpose(0, 3, 1, 2))

    raw = get_CIFAR10_data(num_training=7, num_validation=2, num_test=2,
                           subtract_mean=False, cifar10_dir=folder)
    assert raw["X_train"][0, 0, 1, 2] == 200.0 and raw["X_train"][0, 2, 1, 2] == 50.0
    with pytest.raises(ValueError, match="num_training"):
        get_CIFAR10_data(num_validation=1, cifar10_dir=folder)  # 49000 of 9


def test_get_data_cifar10_same_conventions(cifar_dir):
    folder, _ = cifar_dir
    data = get_data("cifar10", cifar10_dir=folder, num_validation=2, num_dev=3,
                    channels_first=False, flatten=True, subtract_mean=False)
    assert data["X_train"].shape == (8, 3072) and data["X_val"].shape == (2, 3072)
    assert data["X_test"].shape == (NUM_TEST, 3072) and data["X_dev"].shape == (3, 3072)
    assert data["class_names"][0] == "airplane" and len(data["class_names"]) == 10
    # Flattened from (H, W, C): pixel (1, 2) of image 0 starts at (1*32 + 2) * 3.
    np.testing.assert_array_equal(data["X_train"][0, 102:105], [200.0, 100.0, 50.0])


def test_missing_cifar_folder_says_where_and_how(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        get_data("cifar10", cifar10_dir=tmp_path / "nowhere")
    assert "nowhere" in str(info.value) and "download_CIFAR10" in str(info.value)


# ----------------------------------------------------------------------------
# Download, against a local server
# ----------------------------------------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def served_archive(cifar_dir, tmp_path, monkeypatch):
    """The tiny dataset as cifar-10-python.tar.gz on http://127.0.0.1."""
    # A proxy configured in the environment must not see local requests.
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    folder, batches = cifar_dir
    serve_dir = tmp_path / "serve"
    serve_dir.mkdir()
    archive = serve_dir / "cifar-10-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname="cifar-10-batches-py")
    md5 = hashlib.md5(archive.read_bytes()).hexdigest()

    handler = functools.partial(_QuietHandler, directory=str(serve_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/cifar-10-python.tar.gz"
        yield url, md5, batches
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_download_verifies_and_extracts(served_archive, tmp_path):
    url, md5, batches = served_archive
    root = tmp_path / "data"
    folder = download_CIFAR10(root, url=url, known_hash="md5:" + md5)
    assert folder == root / "cifar-10-batches-py"
    X_train, y_train, X_test, _ = load_CIFAR10(folder)
    np.testing.assert_array_equal(X_test, _planes_to_hwc(batches["test_batch"][0]))
    assert X_train.shape == (5 * BATCH_SIZE, 32, 32, 3)
    assert not (root / "cifar-10-python.tar.gz").exists()  # archive removed after extraction

    # Present already: returns without fetching (this URL would fail).
    assert download_CIFAR10(root, url="http://127.0.0.1:9/none.tar.gz") == folder


def test_download_wrong_hash_raises_and_keeps_nothing(served_archive, tmp_path):
    url, md5, _ = served_archive
    root = tmp_path / "data"
    with pytest.raises(ValueError, match="hash"):
        download_CIFAR10(root, url=url, known_hash="md5:" + "0" * 32)
    assert not (root / "cifar-10-batches-py").exists()
    assert not (root / "cifar-10-python.tar.gz").exists()


# ----------------------------------------------------------------------------
# Digits as 28x28 images, MNIST in the official format
# ----------------------------------------------------------------------------


def test_load_digits28_frames_every_digit_like_mnist():
    from skimage.transform import resize

    X_train, y_train, X_test, y_test = data_utils.load_digits28()
    X8_train, y8_train, X8_test, y8_test = load_digits_data()
    assert X_train.shape == (1437, 28, 28, 1) and X_test.shape == (360, 28, 28, 1)
    assert X_train.dtype == np.float64 and y_train.dtype == np.int64
    np.testing.assert_array_equal(y_train, y8_train)
    np.testing.assert_array_equal(y_test, y8_test)
    for X, X8 in ((X_train, X8_train), (X_test, X8_test)):
        assert X.min() == 0.0 and X.max() <= 255.0
        # A 4-pixel border of zeros around a 20x20 box, as MNIST frames its digits.
        box = np.zeros((28, 28), dtype=bool)
        box[4:24, 4:24] = True
        assert np.all(X[:, ~box] == 0)
        # The box is the 8x8 scan resized bilinearly (checked against scikit-image).
        for i in (0, 7, len(X) - 1):
            expected = resize(X8[i, :, :, 0], (20, 20), order=1, mode="edge", anti_aliasing=False,
                              preserve_range=True)
            np.testing.assert_allclose(X[i, 4:24, 4:24, 0], expected, atol=1e-9)


def test_get_data_digits28_splits_and_layouts():
    data = get_data("digits28")
    assert {k: len(v) for k, v in data.items()} == {
        "X_train": 1237, "y_train": 1237, "X_val": 200, "y_val": 200, "X_test": 360, "y_test": 360,
        "X_dev": 100, "y_dev": 100, "class_names": 10}
    assert data["X_train"].shape[1:] == (1, 28, 28)
    np.testing.assert_allclose(data["X_train"].mean(axis=0), 0.0, atol=1e-9)
    # The same digits, in the same order, as the 8x8 split.
    np.testing.assert_array_equal(data["y_train"], get_digits_data()["y_train"])

    whole = get_data("digits28", num_validation=0, subtract_mean=False)
    assert whole["X_train"].shape == (1437, 1, 28, 28) and whole["X_val"].shape == (0, 1, 28, 28)
    assert whole["X_train"].min() == 0.0 and whole["X_train"].max() == 255.0
    np.testing.assert_array_equal(whole["X_test"].reshape(-1, 28, 28), data_utils.load_digits28()[2][..., 0])


def _idx_bytes(array):
    """``array`` (uint8) in MNIST's IDX format: magic 0x0000080D, D big-endian sizes, the bytes."""
    array = np.asarray(array, dtype=np.uint8)
    return bytes([0, 0, 8, array.ndim]) + struct.pack(">" + "i" * array.ndim, *array.shape) + array.tobytes()


@pytest.fixture
def mnist_dir(tmp_path):
    """Four tiny files with the official names and format: 3 training and 2 test images."""
    import gzip

    rng = np.random.RandomState(0)
    folder = tmp_path / "mnist"
    folder.mkdir()
    arrays = {"train": (rng.randint(0, 256, size=(3, 28, 28)), np.array([5, 0, 4])),
              "t10k": (rng.randint(0, 256, size=(2, 28, 28)), np.array([7, 2]))}
    arrays["train"][0][0, 3, 5] = 200  # one marked pixel: row 3, column 5 of the first image
    for part, (X, y) in arrays.items():
        (folder / f"{part}-images-idx3-ubyte.gz").write_bytes(gzip.compress(_idx_bytes(X)))
        (folder / f"{part}-labels-idx1-ubyte.gz").write_bytes(gzip.compress(_idx_bytes(y)))
    return folder, arrays


def test_load_MNIST_reads_the_official_format(mnist_dir):
    folder, arrays = mnist_dir
    X_train, y_train, X_test, y_test = data_utils.load_MNIST(folder)
    assert X_train.shape == (3, 28, 28, 1) and X_test.shape == (2, 28, 28, 1)
    assert X_train.dtype == np.float64 and y_train.dtype == np.int64
    assert X_train[0, 3, 5, 0] == 200.0
    np.testing.assert_array_equal(X_train[..., 0], arrays["train"][0])
    np.testing.assert_array_equal(y_test, [7, 2])

    data = get_data("mnist", mnist_dir=folder, num_validation=1, num_dev=1, subtract_mean=False)
    assert data["X_train"].shape == (2, 1, 28, 28) and data["X_val"].shape == (1, 1, 28, 28)
    np.testing.assert_array_equal(data["y_val"], [4])  # validation is the end of the training files


def test_load_MNIST_idx_plain_and_damaged_files(tmp_path):
    labels = np.arange(10, dtype=np.uint8)
    plain = tmp_path / "labels-idx1-ubyte"
    plain.write_bytes(_idx_bytes(labels))  # not compressed
    np.testing.assert_array_equal(data_utils.load_MNIST_idx(plain), labels)

    wrong = tmp_path / "wrong"
    wrong.write_bytes(b"\x00\x00\x0d\x01" + _idx_bytes(labels)[4:])  # type code of float32
    with pytest.raises(ValueError, match="IDX"):
        data_utils.load_MNIST_idx(wrong)
    short = tmp_path / "short"
    short.write_bytes(_idx_bytes(labels)[:-1])
    with pytest.raises(ValueError, match="bytes of data"):
        data_utils.load_MNIST_idx(short)


def test_missing_mnist_says_where_and_how(tmp_path):
    with pytest.raises(FileNotFoundError, match="download_MNIST") as info:
        get_data("mnist", mnist_dir=tmp_path / "nowhere")
    assert "train-images-idx3-ubyte.gz" in str(info.value) and str(tmp_path / "nowhere") in str(info.value)


@pytest.fixture
def served_mnist(mnist_dir, tmp_path, monkeypatch):
    """The tiny MNIST files on http://127.0.0.1, with their md5 checksums."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    folder, arrays = mnist_dir
    hashes = {p.name: "md5:" + hashlib.md5(p.read_bytes()).hexdigest() for p in folder.iterdir()}
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", hashes, arrays
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_download_MNIST_verifies_every_file(served_mnist, tmp_path):
    url, hashes, arrays = served_mnist
    assert sorted(hashes) == sorted(data_utils.MNIST_FILES)
    folder = data_utils.download_MNIST(tmp_path / "data", url=url, known_hashes=hashes)
    assert folder == tmp_path / "data" / "mnist"
    X_train, y_train, _, _ = data_utils.load_MNIST(folder)
    np.testing.assert_array_equal(X_train[..., 0], arrays["train"][0])
    # Present already: nothing is fetched (this URL would fail).
    assert data_utils.download_MNIST(tmp_path / "data", url="http://127.0.0.1:9/", known_hashes=hashes) == folder


def test_download_MNIST_wrong_hash_raises_and_keeps_nothing(served_mnist, tmp_path):
    url, hashes, _ = served_mnist
    name = "t10k-labels-idx1-ubyte.gz"
    with pytest.raises(ValueError, match="hash"):
        data_utils.download_MNIST(tmp_path / "data", url=url, known_hashes={name: "md5:" + "0" * 32})
    assert not (tmp_path / "data" / "mnist" / name).exists()
