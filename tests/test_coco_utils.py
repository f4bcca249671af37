import functools
import hashlib
import http.server
import json
import threading
import zipfile

import h5py
import numpy as np
import pytest

from cs231n import coco_utils, data_utils
from cs231n.coco_utils import (
    bleu_score,
    decode_captions,
    download_coco_captioning,
    load_coco_data,
    references_of,
    sample_coco_minibatch,
)

pytestmark = pytest.mark.usefixtures("no_network")

IDX_TO_WORD = ["<NULL>", "<START>", "<END>", "<UNK>", "a", "cat", "dog", "on", "the", "mat",
               "sits", "red"]
W = {w: i for i, w in enumerate(IDX_TO_WORD)}


def _encode(text, T=8):
    ids = [W[w] for w in ["<START>", *text.split(), "<END>"]]
    return ids + [W["<NULL>"]] * (T - len(ids))


def _write_coco(folder, rng, num_train_images=5, num_val_images=3, pca_dim=6, dim=10):
    """A tiny COCO captioning folder in CS231n's exact file layout."""
    folder.mkdir(parents=True, exist_ok=True)
    texts = ["a cat on the mat", "a red dog on the mat", "the dog sits on a mat",
             "a cat sits on a mat", "the red cat sits"]
    train_idx = np.array([0, 0, 1, 2, 3, 4, 4, 4, 1, 0], dtype=np.int32)
    val_idx = np.array([2, 0, 1, 2], dtype=np.int32)
    arrays = {
        # No (caption, image) pair twice, so a test can tell the rows apart.
        "train_captions": np.array([_encode(texts[j % 5]) for j in range(len(train_idx))],
                                   dtype=np.int32),
        "train_image_idxs": train_idx,
        "val_captions": np.array([_encode(texts[(i + 2) % 5]) for i in val_idx], dtype=np.int32),
        "val_image_idxs": val_idx,
    }
    with h5py.File(folder / "coco2014_captions.h5", "w") as f:
        for name, a in arrays.items():
            f.create_dataset(name, data=a)
    features = {}
    for split, n in (("train", num_train_images), ("val", num_val_images)):
        for suffix, d in (("_pca", pca_dim), ("", dim)):
            features[split + suffix] = rng.randn(n, d).astype(np.float32)
            with h5py.File(folder / f"{split}2014_vgg16_fc7{suffix}.h5", "w") as f:
                f.create_dataset("features", data=features[split + suffix])
        (folder / f"{split}2014_urls.txt").write_text(
            "".join(f"http://images.example/{split}/{i}.jpg\n" for i in range(n)))
    (folder / "coco2014_vocab.json").write_text(
        json.dumps({"idx_to_word": IDX_TO_WORD, "word_to_idx": W}))
    return arrays, features


@pytest.fixture
def coco(tmp_path, rng):
    folder = tmp_path / "coco_captioning"
    arrays, features = _write_coco(folder, rng)
    return folder, arrays, features


def test_load_coco_data_reads_every_file(coco):
    folder, arrays, features = coco
    data = load_coco_data(folder)
    assert set(data) == {"train_captions", "train_image_idxs", "val_captions", "val_image_idxs",
                         "train_features", "val_features", "train_urls", "val_urls",
                         "idx_to_word", "word_to_idx"}
    for name, a in arrays.items():
        np.testing.assert_array_equal(data[name], a)
    np.testing.assert_array_equal(data["train_features"], features["train_pca"])
    np.testing.assert_array_equal(data["val_features"], features["val_pca"])
    assert data["train_urls"].shape == (5,)
    assert data["val_urls"][2] == "http://images.example/val/2.jpg"
    assert data["idx_to_word"] == IDX_TO_WORD and data["word_to_idx"] == W

    full = load_coco_data(str(folder), pca_features=False)
    np.testing.assert_array_equal(full["train_features"], features["train"])
    assert full["val_features"].shape == (3, 10)


def test_load_coco_data_default_folder(coco, monkeypatch):
    folder, arrays, _ = coco
    monkeypatch.setattr(data_utils, "DATASETS_DIR", folder.parent)
    np.testing.assert_array_equal(load_coco_data()["val_captions"], arrays["val_captions"])


def test_max_train_keeps_a_fixed_subset_of_captions(coco):
    folder, arrays, features = coco
    data = load_coco_data(folder, max_train=4)
    again = load_coco_data(folder, max_train=4)
    assert data["train_captions"].shape == (4, 8) and data["train_image_idxs"].shape == (4,)
    np.testing.assert_array_equal(data["train_captions"], again["train_captions"])
    # Captions stay with their images, none twice; features, urls, val whole.
    rows = [int(np.flatnonzero((arrays["train_captions"] == c).all(axis=1)
                               & (arrays["train_image_idxs"] == i))[0])
            for c, i in zip(data["train_captions"], data["train_image_idxs"])]
    assert len(set(rows)) == 4
    np.testing.assert_array_equal(data["train_features"], features["train_pca"])
    np.testing.assert_array_equal(data["val_captions"], arrays["val_captions"])
    assert load_coco_data(folder, max_train=10)["train_captions"].shape == (10, 8)
    for bad in (0, 11, -1, 1.5, True):
        with pytest.raises(ValueError, match="max_train"):
            load_coco_data(folder, max_train=bad)


@pytest.mark.parametrize("missing", ["coco2014_captions.h5", "val2014_vgg16_fc7_pca.h5",
                                     "coco2014_vocab.json", "train2014_urls.txt"])
def test_missing_files_say_how_to_get_them(coco, missing):
    folder, _, _ = coco
    (folder / missing).unlink()
    with pytest.raises(FileNotFoundError) as info:
        load_coco_data(folder)
    message = str(info.value)
    assert missing in message and str(folder) in message
    assert coco_utils.COCO_URL in message and "load_digit_captions" in message


def test_missing_full_features_only_matter_without_pca(coco):
    folder, _, _ = coco
    (folder / "train2014_vgg16_fc7.h5").unlink()
    load_coco_data(folder)  # the PCA files are all it needs
    with pytest.raises(FileNotFoundError, match="train2014_vgg16_fc7.h5"):
        load_coco_data(folder, pca_features=False)


def test_decode_captions():
    captions = np.array([
        _encode("a cat on the mat"),
        [W["<START>"], W["a"], W["<NULL>"], W["dog"], W["<END>"], W["cat"], 0, 0],
        [W["<START>"], W["a"], W["red"], W["cat"], W["sits"], W["on"], W["a"], W["mat"]],
    ])
    assert decode_captions(captions, IDX_TO_WORD) == [
        "<START> a cat on the mat <END>",
        "<START> a dog <END>",  # <NULL> skipped, nothing after <END>
        "<START> a red cat sits on a mat",  # no <END>: every word
    ]
    assert decode_captions(captions[0], IDX_TO_WORD) == "<START> a cat on the mat <END>"
    assert decode_captions(np.zeros((2, 3), dtype=int), IDX_TO_WORD) == ["", ""]
    with pytest.raises(ValueError, match="shape"):
        decode_captions(np.zeros((2, 3, 4), dtype=int), IDX_TO_WORD)


def test_sample_coco_minibatch(coco):
    folder, arrays, features = coco
    data = load_coco_data(folder)
    captions, feats, urls = sample_coco_minibatch(data, batch_size=6, split="train", seed=1)
    mask = np.random.RandomState(1).choice(10, 6)
    np.testing.assert_array_equal(captions, arrays["train_captions"][mask])
    idx = arrays["train_image_idxs"][mask]
    np.testing.assert_array_equal(feats, features["train_pca"][idx])
    np.testing.assert_array_equal(urls, data["train_urls"][idx])
    # Without a seed: numpy's global state, as in CS231n.
    np.random.seed(5)
    first = sample_coco_minibatch(data, batch_size=3, split="val")
    np.random.seed(5)
    np.testing.assert_array_equal(first[0], sample_coco_minibatch(data, 3, "val")[0])
    np.testing.assert_array_equal(
        first[0], arrays["val_captions"][np.random.RandomState(5).choice(4, 3)])
    with pytest.raises(KeyError, match="spatial_features"):
        sample_coco_minibatch(data, 2, features="spatial_features")


def test_sample_coco_minibatch_images_and_spatial_features(rng):
    data = {
        "train_captions": np.arange(12).reshape(4, 3),
        "train_image_idxs": np.array([1, 0, 1, 2]),
        "train_features": rng.randn(3, 5),
        "train_spatial_features": rng.randn(3, 5, 2, 2),
        "train_images": rng.randint(0, 256, size=(3, 4, 4, 3)).astype(np.uint8),
    }
    captions, feats, images = sample_coco_minibatch(data, 8, seed=0,
                                                    features="spatial_features")
    idx = data["train_image_idxs"][np.random.RandomState(0).choice(4, 8)]
    assert feats.shape == (8, 5, 2, 2)
    np.testing.assert_array_equal(feats, data["train_spatial_features"][idx])
    np.testing.assert_array_equal(images, data["train_images"][idx])


def test_bleu_perfect_disjoint_and_partial():
    refs = [["a cat on the mat"], ["the dog sits on the red mat"]]
    assert bleu_score(refs, ["a cat on the mat", "the dog sits on the red mat"]) == 1.0
    assert bleu_score(refs, ["dog dog dog dog dog", "cat cat cat cat"]) < 1e-3
    assert bleu_score(refs, ["zebra giraffe lion tiger", "x y z w v"]) < 1e-3
    # NLTK counts a hypothesis of fewer than 4 words as one unmatched 4-gram:
    # even a perfect one keeps the score below 1 (captions are longer). With
    # smoothing method1 the 0 matches count as 0.1: the score is 0.1 ** (1/4).
    assert bleu_score([["a red dog"]], ["a red dog"]) == pytest.approx(0.1 ** 0.25)
    partial = bleu_score(refs, ["a cat on a mat", "the dog sits on the mat"])
    assert 0.2 < partial < 0.9
    # Corpus BLEU with equal weights for 1- to 4-grams, from the definition:
    # counts clipped by the reference, pooled over the corpus.
    hyp = ["a cat on a mat".split(), "the dog sits on the mat".split()]
    ref = [r[0].split() for r in refs]

    def ngrams(words, n):
        return [tuple(words[i:i + n]) for i in range(len(words) - n + 1)]

    log_p = 0.0
    for n in range(1, 5):
        match = total = 0
        for h, r in zip(hyp, ref):
            for g in set(ngrams(h, n)):
                match += min(ngrams(h, n).count(g), ngrams(r, n).count(g))
            total += len(ngrams(h, n))
        log_p += 0.25 * np.log(match / total)
    c, r = sum(map(len, hyp)), sum(map(len, ref))
    brevity = min(1.0, np.exp(1 - r / c))
    assert partial == pytest.approx(brevity * np.exp(log_p), rel=1e-9)


def test_bleu_special_tokens_are_ignored():
    refs = [["<START> a red dog sits <END>"], ["the cat sits on a mat"]]
    hyps = ["a red dog sits <END> <NULL> <NULL>", "<START> the cat sits on a mat"]
    assert bleu_score(refs, hyps) == 1.0
    hyps = ["<START> a red dog <END>", "<START> the cat sits on the mat <END> <NULL>"]
    assert bleu_score(refs, hyps) == bleu_score([["a red dog sits"], ["the cat sits on a mat"]],
                                                ["a red dog", "the cat sits on the mat"]) < 1


def test_bleu_uses_every_reference():
    refs = [["a dog sits on the mat", "the cat sits on the mat"]]
    # Matches the second reference exactly.
    assert bleu_score(refs, ["the cat sits on the mat"]) == 1.0
    one = bleu_score([refs[0][:1]], ["the cat sits on the mat"])
    assert one < 1.0
    # n-grams from different references both count.
    mixed = bleu_score(refs, ["a dog sits on the mat and the cat sits on the mat"])
    assert mixed > bleu_score([refs[0][:1]], ["a dog sits on the mat and the cat sits on the mat"])


def test_bleu_rejects_bad_input():
    with pytest.raises(ValueError, match="same length"):
        bleu_score([["a"]], ["a", "b"])
    with pytest.raises(ValueError, match="same length"):
        bleu_score([["a"]], "a")
    with pytest.raises(ValueError, match=r"references\[1\]"):
        bleu_score([["a cat"], []], ["a cat", "a dog"])
    with pytest.raises(ValueError, match=r"references\[0\]"):
        bleu_score(["a cat"], ["a cat"])
    with pytest.raises(ValueError, match="at least one"):
        bleu_score([], [])


def test_references_of_groups_captions_by_image(coco):
    folder, arrays, _ = coco
    data = load_coco_data(folder)
    refs = references_of(data, "train")
    assert len(refs) == 5
    texts = [" ".join(w for w in decode_captions(c, IDX_TO_WORD).split() if w[0] != "<")
             for c in arrays["train_captions"]]
    for image in range(5):
        expected = [t for t, i in zip(texts, arrays["train_image_idxs"]) if i == image]
        assert refs[image] == expected
    assert [len(r) for r in refs] == [3, 2, 1, 1, 3]
    # An image without a caption gets an empty list.
    small = load_coco_data(folder, max_train=2)
    refs_small = references_of(small, "train")
    assert len(refs_small) == 5 and sum(map(len, refs_small)) == 2
    assert sum(len(r) == 0 for r in refs_small) >= 3
    # References of a model's own decoded captions score 1.
    val_refs = references_of(data, "val")
    assert bleu_score(val_refs, [r[0] for r in val_refs]) == 1.0


# ----------------------------------------------------------------------------
# Download, against a local server
# ----------------------------------------------------------------------------

class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def served_zip(coco, tmp_path, monkeypatch):
    """The tiny COCO folder as coco_captioning.zip on http://127.0.0.1, and its SHA-256."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    folder, arrays, _ = coco
    serve_dir = tmp_path / "serve"
    serve_dir.mkdir()
    archive = serve_dir / "coco_captioning.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for path in sorted(folder.iterdir()):
            z.write(path, f"coco_captioning/{path.name}")
    sha = hashlib.sha256(archive.read_bytes()).hexdigest()
    handler = functools.partial(_QuietHandler, directory=str(serve_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/coco_captioning.zip", sha, arrays
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_download_verifies_extracts_and_records_the_checksum(served_zip, tmp_path):
    url, sha, arrays = served_zip
    root = tmp_path / "data"
    folder = download_coco_captioning(root, url=url, known_hash="sha256:" + sha)
    assert folder == root / "coco_captioning"
    np.testing.assert_array_equal(load_coco_data(folder)["train_captions"], arrays["train_captions"])
    assert not (root / "coco_captioning.zip").exists()
    assert (folder / "SHA256").read_text().split()[0] == sha
    # Present already: returns without fetching (this URL would fail).
    assert download_coco_captioning(root, url="http://127.0.0.1:9/none.zip") == folder


def test_download_without_a_known_hash_still_records_it(served_zip, tmp_path):
    url, sha, _ = served_zip
    folder = download_coco_captioning(tmp_path / "data", url=url)
    assert (folder / "SHA256").read_text().split()[0] == sha


def test_download_wrong_hash_raises_and_keeps_nothing(served_zip, tmp_path):
    url, _, _ = served_zip
    root = tmp_path / "data"
    with pytest.raises(ValueError, match="hash"):
        download_coco_captioning(root, url=url, known_hash="sha256:" + "0" * 64)
    assert not (root / "coco_captioning").exists()
    assert not (root / "coco_captioning.zip").exists()


def test_download_of_an_archive_without_the_files_keeps_nothing(served_zip, tmp_path):
    url, _, _ = served_zip
    serve_dir = tmp_path / "serve"
    with zipfile.ZipFile(serve_dir / "coco_captioning.zip", "w") as z:
        z.writestr("coco_captioning/coco2014_vocab.json", "{}")
    root = tmp_path / "data"
    with pytest.raises(FileNotFoundError, match="coco2014_captions.h5"):
        download_coco_captioning(root, url=url)
    assert not (root / "coco_captioning.zip").exists()
