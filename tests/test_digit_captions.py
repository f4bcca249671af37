import os
import warnings

import numpy as np
import pytest

from cs231n import data_utils, digit_captions
from cs231n.coco_utils import decode_captions, references_of, sample_coco_minibatch
from cs231n.digit_captions import (
    COLOURS,
    DIGIT_WORDS,
    HELD_OUT_PAIRS,
    caption_words,
    load_digit_captions,
    vocabulary,
)

pytestmark = pytest.mark.usefixtures("no_network")

_PARAMS = digit_captions._PARAMS
_BUILD = digit_captions._build


_SMALL = dict(_PARAMS, num_train=60, num_val=20)


@pytest.fixture(scope="module")
def built():
    """One full build, shared by the tests that only read it."""
    return _BUILD()


@pytest.fixture(scope="module")
def data(tmp_path_factory, built):
    """The dict of ``load_digit_captions`` around the shared build."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(data_utils, "DATASETS_DIR", tmp_path_factory.mktemp("datasets"))
        patch.setattr(digit_captions, "_build", lambda params=_PARAMS: built)
        digit_captions._arrays.cache_clear()
        yield load_digit_captions()
    digit_captions._arrays.cache_clear()


@pytest.fixture(scope="module")
def small_built():
    """A small build for the tests of the cache, which write it many times."""
    return _BUILD(_SMALL)


@pytest.fixture
def cache_home(tmp_path, monkeypatch):
    """An empty DATASETS_DIR, small parameters, no arrays kept in memory."""
    monkeypatch.setattr(data_utils, "DATASETS_DIR", tmp_path / "datasets")
    monkeypatch.setattr(digit_captions, "_PARAMS", _SMALL)
    digit_captions._arrays.cache_clear()
    yield tmp_path / "datasets" / "digit_captions" / "digit_captions.npz"
    digit_captions._arrays.cache_clear()


@pytest.fixture
def counted_builds(small_built, monkeypatch):
    """Replace the generator by the shared small build and count the calls."""
    calls = []

    def build(params=_PARAMS):
        assert params == _SMALL
        calls.append(params)
        return small_built

    monkeypatch.setattr(digit_captions, "_build", build)
    return calls


def _load_fresh(**kwargs):
    digit_captions._arrays.cache_clear()
    return load_digit_captions(**kwargs)


def test_keys_shapes_and_dtypes(data):
    V = len(data["idx_to_word"])
    for split, n in (("train", _PARAMS["num_train"]), ("val", _PARAMS["num_val"])):
        assert data[f"{split}_captions"].shape == (n, 22)
        assert data[f"{split}_captions"].dtype == np.int32
        assert data[f"{split}_image_idxs"].dtype == np.int32
        np.testing.assert_array_equal(data[f"{split}_image_idxs"], np.arange(n))
        assert data[f"{split}_features"].shape == (n, 512)
        assert data[f"{split}_features"].dtype == np.float32
        assert data[f"{split}_spatial_features"].shape == (n, 32, 3, 3)
        assert data[f"{split}_spatial_features"].dtype == np.float32
        assert data[f"{split}_images"].shape == (n, 48, 48, 3)
        assert data[f"{split}_images"].dtype == np.uint8
        for name in ("digits", "colours", "sources"):
            assert data[f"{split}_{name}"].shape == (n, 3, 3)
        captions = data[f"{split}_captions"]
        assert captions.min() >= 0 and captions.max() < V
        assert np.all(np.isfinite(data[f"{split}_features"]))
    assert (10000, 500) == (_PARAMS["num_train"], _PARAMS["num_val"])
    np.testing.assert_array_equal(data["held_out_pairs"], HELD_OUT_PAIRS)
    assert data["colour_names"] == list(COLOURS) and data["digit_names"] == list(DIGIT_WORDS)


def test_vocabulary_indices(data):
    idx_to_word, word_to_idx = data["idx_to_word"], data["word_to_idx"]
    assert idx_to_word[:4] == ["<NULL>", "<START>", "<END>", "<UNK>"]
    assert len(set(idx_to_word)) == len(idx_to_word) == 29
    assert all(word_to_idx[w] == i for i, w in enumerate(idx_to_word))
    assert set(COLOURS) | set(DIGIT_WORDS) <= set(idx_to_word)
    assert (idx_to_word, word_to_idx) == vocabulary()
    # Every word of the vocabulary is used, <UNK> and <NULL> aside.
    used = np.unique(data["train_captions"])
    assert set(used) == set(range(len(idx_to_word))) - {word_to_idx["<UNK>"]}


def test_captions_follow_the_layout_in_reading_order(data):
    words = data["idx_to_word"]
    start, end, null = (data["word_to_idx"][w] for w in ("<START>", "<END>", "<NULL>"))
    for split in ("train", "val"):
        captions = data[f"{split}_captions"]
        assert np.all(captions[:, 0] == start)
        for i in range(len(captions)):
            row = captions[i]
            stop = int(np.flatnonzero(row == end)[0])
            assert np.all(row[stop + 1:] == null) and np.all(row[1:stop] > end)
            digits, colours = data[f"{split}_digits"][i], data[f"{split}_colours"][i]
            # Independent of the module's caption code: rebuild from the layout.
            expected = []
            for r in range(3):
                for c in range(3):
                    if digits[r, c] < 0:
                        assert colours[r, c] == -1
                        continue
                    where = "center" if (r, c) == (1, 1) else \
                        f"{('top', 'middle', 'bottom')[r]} {('left', 'middle', 'right')[c]}"
                    expected.append(f"a {COLOURS[colours[r, c]]} {DIGIT_WORDS[digits[r, c]]} at "
                                    f"{where}")
            assert 2 <= len(expected) <= 3
            text = decode_captions(row, words)
            assert text == "<START> " + " and ".join(expected) + " <END>"


def test_caption_words_of_a_hand_made_layout():
    digits = -np.ones((3, 3), dtype=int)
    colours = -np.ones((3, 3), dtype=int)
    digits[2, 2], colours[2, 2] = 2, COLOURS.index("blue")
    digits[0, 0], colours[0, 0] = 7, COLOURS.index("red")
    digits[1, 1], colours[1, 1] = 0, COLOURS.index("white")
    assert " ".join(caption_words(digits, colours)) == (
        "a red seven at top left and a white zero at center and a blue two at bottom right")


def test_held_out_pairs_never_in_train_and_in_every_val_image(data):
    held = np.zeros((len(COLOURS), 10), dtype=bool)
    held[HELD_OUT_PAIRS[:, 0], HELD_OUT_PAIRS[:, 1]] = True
    assert held.sum() == 10 and set(HELD_OUT_PAIRS[:, 1]) == set(range(10))
    for split in ("train", "val"):
        digits, colours = data[f"{split}_digits"], data[f"{split}_colours"]
        occupied = digits >= 0
        is_held = occupied & held[np.maximum(colours, 0), np.maximum(digits, 0)]
        if split == "train":
            assert not is_held.any()
            # ...while every colour and every digit still occurs in training.
            assert set(colours[occupied]) == set(range(len(COLOURS)))
            assert set(digits[occupied]) == set(range(10))
        else:
            assert is_held.any(axis=(1, 2)).all()
    # The captions say so too: no training caption names a held-out pair.
    train_text = decode_captions(data["train_captions"], data["idx_to_word"])
    for c, d in HELD_OUT_PAIRS:
        phrase = f"a {COLOURS[c]} {DIGIT_WORDS[d]} "
        assert not any(phrase in t for t in train_text), phrase


def test_sources_never_cross_splits_and_match_the_labels(data):
    X_train8, y_train8, X_test8, y_test8 = data_utils.load_digits_data()
    for split, labels in (("train", y_train8), ("val", y_test8)):
        digits, sources = data[f"{split}_digits"], data[f"{split}_sources"]
        np.testing.assert_array_equal(sources < 0, digits < 0)
        np.testing.assert_array_equal(labels[sources[sources >= 0]], digits[digits >= 0])
    # Train draws on the digits train split, val on its test split: the
    # scans themselves never repeat across splits.
    train_scans = {X_train8[s].tobytes() for s in np.unique(data["train_sources"]) if s >= 0}
    val_scans = {X_test8[s].tobytes() for s in np.unique(data["val_sources"]) if s >= 0}
    assert len(train_scans) > 1000 and len(val_scans) > 300
    assert not train_scans & val_scans


def test_images_show_digits_in_the_right_cells_and_colours(data):
    images = data["train_images"][:400].astype(np.float64)
    digits, colours = data["train_digits"][:400], data["train_colours"][:400]
    cells = images.reshape(-1, 3, 16, 3, 16, 3).transpose(0, 1, 3, 2, 4, 5)
    peak = cells.max(axis=(3, 4, 5))  # brightest channel value in each cell
    occupied = digits >= 0
    assert peak[occupied].min() > peak[~occupied].max()
    # The brightest pixel of an occupied cell has the palette colour.
    flat = cells.reshape(*cells.shape[:3], -1, 3)
    brightest = flat[np.arange(400)[:, None, None], np.arange(3)[None, :, None],
                     np.arange(3)[None, None, :], flat.max(axis=4).argmax(axis=3)]
    nearest = np.linalg.norm(brightest[..., None, :] - digit_captions.PALETTE, axis=-1).argmin(-1)
    np.testing.assert_array_equal(nearest[occupied], colours[occupied])


def test_features_are_linearly_decodable(data):
    from sklearn.linear_model import LogisticRegression

    def cells(split, n):
        S = data[f"{split}_spatial_features"][:n]
        X = S.transpose(0, 2, 3, 1).reshape(-1, S.shape[1])
        return X, data[f"{split}_digits"][:n].ravel(), data[f"{split}_colours"][:n].ravel()

    X, d, c = cells("train", 2000)
    Xv, dv, cv = cells("val", 500)
    occ, occ_v = d >= 0, dv >= 0
    digit = LogisticRegression(C=0.1, max_iter=2000).fit(X[occ], d[occ])
    colour = LogisticRegression(C=0.1, max_iter=2000).fit(X[occ], c[occ])
    filled = LogisticRegression(C=0.1, max_iter=2000).fit(X, occ)
    # Measured with this half of the training images: digit 0.94, colour
    # 1.00, empty or not 1.00 (always "empty" scores 0.72).
    assert digit.score(Xv[occ_v], dv[occ_v]) > 0.88
    assert colour.score(Xv[occ_v], cv[occ_v]) > 0.98
    assert filled.score(Xv, occ_v) > 0.98

    # The flat features hold the spatial grid exactly: a linear map recovers it.
    F = data["train_features"][:1000].astype(np.float64)
    flat = data["train_spatial_features"][:1000].reshape(1000, -1).astype(np.float64)
    W, *_ = np.linalg.lstsq(F, flat, rcond=None)
    np.testing.assert_allclose(data["val_features"] @ W,
                               data["val_spatial_features"].reshape(500, -1), atol=1e-3)
    # Whitened: the PCA coefficients of the training cells have unit variance.
    S = data["train_spatial_features"].transpose(0, 2, 3, 1).reshape(-1, 32)
    np.testing.assert_allclose(S.std(axis=0), 1.0, atol=0.01)
    np.testing.assert_allclose(S.mean(axis=0), 0.0, atol=0.01)


def test_max_train_keeps_a_fixed_subset(data, monkeypatch):
    monkeypatch.setattr(digit_captions, "_arrays", lambda: data)  # no reload
    small = load_digit_captions(max_train=50)
    again = load_digit_captions(max_train=50)
    assert small["train_captions"].shape == (50, 22)
    np.testing.assert_array_equal(small["train_captions"], again["train_captions"])
    idx = small["train_image_idxs"]
    assert len(np.unique(idx)) == 50  # no caption twice
    np.testing.assert_array_equal(small["train_captions"], data["train_captions"][idx])
    # Images and validation stay whole.
    assert small["train_features"].shape == (10000, 512)
    np.testing.assert_array_equal(small["val_captions"], data["val_captions"])
    for bad in (0, 10001, 2.5, "50"):
        with pytest.raises(ValueError, match="max_train"):
            load_digit_captions(max_train=bad)


def test_minibatches_and_references(data):
    captions, feats, images = sample_coco_minibatch(data, batch_size=7, split="val", seed=3)
    again = sample_coco_minibatch(data, batch_size=7, split="val", seed=3)
    assert captions.shape == (7, 22) and feats.shape == (7, 512) and images.shape == (7, 48, 48, 3)
    np.testing.assert_array_equal(captions, again[0])
    _, spatial, _ = sample_coco_minibatch(data, 7, "val", seed=3, features="spatial_features")
    assert spatial.shape == (7, 32, 3, 3)
    # The features and images belong to the captions' images.
    rows = [np.flatnonzero((data["val_captions"] == c).all(axis=1))[0] for c in captions]
    np.testing.assert_array_equal(images, data["val_images"][rows])
    np.testing.assert_array_equal(spatial, data["val_spatial_features"][rows])
    refs = references_of(data, "val")
    assert len(refs) == 500 and all(len(r) == 1 for r in refs)
    assert refs[0][0].startswith("a ") and "<" not in refs[0][0]


def test_deterministic_and_cached(cache_home, small_built, counted_builds):
    first = _load_fresh()
    assert cache_home.is_file() and len(counted_builds) == 1
    second = _load_fresh()
    assert len(counted_builds) == 1  # read from the cache this time
    for name in digit_captions._ARRAYS:
        np.testing.assert_array_equal(first[name], second[name])
    # Callers get copies.
    second["train_images"][:] = 0
    np.testing.assert_array_equal(load_digit_captions()["train_images"],
                                  small_built["train_images"])


def test_build_is_deterministic(small_built):
    small = _SMALL
    a, b = small_built, _BUILD(small)
    for name in digit_captions._ARRAYS:
        np.testing.assert_array_equal(a[name], b[name])
    # The seed matters.
    c = _BUILD(dict(small, seed=small["seed"] + 1))
    assert not np.array_equal(a["train_images"], c["train_images"])


@pytest.mark.parametrize("damage", ["stale", "corrupt", "truncated"])
def test_bad_cache_is_rebuilt(cache_home, small_built, counted_builds, damage):
    _load_fresh()
    assert len(counted_builds) == 1
    if damage == "stale":
        with np.load(cache_home) as f:
            arrays = {k: f[k] for k in f.files}
        arrays["fingerprint"] = np.array("old")
        np.savez(cache_home, **arrays)
    elif damage == "corrupt":
        cache_home.write_bytes(b"not an npz file")
    else:
        cache_home.write_bytes(cache_home.read_bytes()[:1000])
    data = _load_fresh()
    assert len(counted_builds) == 2
    np.testing.assert_array_equal(data["val_captions"], small_built["val_captions"])
    _load_fresh()
    assert len(counted_builds) == 2  # the rebuilt cache is good


def test_fingerprint_follows_the_parameters():
    base = data_utils._clutter_fingerprint(_PARAMS)
    for name in ("version", "seed", "num_train", "pca_dims", "digit_side"):
        assert data_utils._clutter_fingerprint(dict(_PARAMS, **{name: _PARAMS[name] + 1})) != base


def test_unwritable_folder_keeps_arrays_in_memory(cache_home, tmp_path, monkeypatch,
                                                  small_built, counted_builds, capfd):
    # Unwritable even for root, who ignores the permission bits.
    (tmp_path / "file").write_text("")
    monkeypatch.setattr(data_utils, "DATASETS_DIR", tmp_path / "file" / "datasets")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            data = _load_fresh()
        np.testing.assert_array_equal(data["train_captions"], small_built["train_captions"])
        load_digit_captions()
        assert len(counted_builds) == 1
        assert capfd.readouterr() == ("", "")
    finally:
        digit_captions._arrays.cache_clear()


def test_failed_replace_leaves_no_temporary_file(cache_home, monkeypatch, counted_builds):
    def replace(src, dst):
        raise OSError(30, "Read-only file system", str(dst))

    monkeypatch.setattr(os, "replace", replace)
    _load_fresh()
    assert list(cache_home.parent.iterdir()) == []
