import functools
import hashlib
import http.server
import pickle
import struct
import tarfile
import threading

import numpy as np
import pytest
from sklearn.datasets import load_digits

from cs231n.data_utils import (
    download_CIFAR10,
    get_CIFAR10_data,
    get_data,
    get_digits_data,
    load_CIFAR10,
    load_CIFAR_batch,
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
        get_data("mnist")


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
