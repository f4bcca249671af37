"""Captioning data in the CS231n COCO format: loading, minibatches, decoding, BLEU.

A captioning dataset is a dict. For ``split`` in ``train`` and ``val``:

``{split}_captions``
    int (Nc, T): word indices, ``<START>`` first, ``<END>`` after the last
    word, then ``<NULL>`` padding.
``{split}_image_idxs``
    int (Nc,): the image each caption describes (several captions may share
    an image).
``{split}_features``
    float (Ni, D): one feature vector per image.
``{split}_urls`` or ``{split}_images``
    The images themselves: COCO gives their URLs (Ni,), the offline digit
    captions (``cs231n.digit_captions``) the pixels (Ni, S, S, 3) uint8.

and ``idx_to_word`` (list of V words), ``word_to_idx`` (dict word -> index).

COCO (Lin et al., 2014, "Microsoft COCO: Common Objects in Context") comes
as CS231n preprocessed it: captions of at most 17 tokens over a vocabulary
of 1004 words, images described by the fc7 activations of VGG-16 (4096
numbers, or 512 after PCA).
"""

import json
from pathlib import Path

import numpy as np

from cs231n import data_utils

SPECIAL_TOKENS = ("<NULL>", "<START>", "<END>")
COCO_FOLDER = "coco_captioning"
COCO_URL = "http://cs231n.stanford.edu/coco_captioning.zip"
# Seed of the subset that ``max_train`` keeps, so every run sees the same one.
_SUBSET_SEED = 0


def _coco_files(base_dir, pca_features):
    suffix = "_pca" if pca_features else ""
    return {
        "captions": base_dir / "coco2014_captions.h5",
        "train_features": base_dir / f"train2014_vgg16_fc7{suffix}.h5",
        "val_features": base_dir / f"val2014_vgg16_fc7{suffix}.h5",
        "vocab": base_dir / "coco2014_vocab.json",
        "train_urls": base_dir / "train2014_urls.txt",
        "val_urls": base_dir / "val2014_urls.txt",
    }


def download_coco_captioning(root=None, url=COCO_URL, known_hash=None):
    """Download, verify and extract CS231n's preprocessed COCO captions.

    Does nothing if ``root/coco_captioning`` already holds every file that
    ``load_coco_data`` reads. Otherwise ``coco_captioning.zip`` (about 1 GB)
    is fetched with ``pooch.retrieve``, checked against ``known_hash`` when
    one is given (a mismatch raises ``ValueError`` and keeps nothing), tested
    member by member (CRC-32 of every file in the archive), extracted into
    ``root`` and deleted. The archive's SHA-256 is written to
    ``coco_captioning/SHA256`` either way: pass it as
    ``known_hash="sha256:..."`` on other machines to require the same bytes.

    Parameters
    ----------
    root : str or Path or None
        Folder to extract into; ``None``: ``DATASETS_DIR``.
    url : str
        Where to fetch ``coco_captioning.zip`` from.
    known_hash : str or None
        ``"sha256:..."`` or ``"md5:..."`` checksum of the archive.

    Returns
    -------
    folder : Path
        ``root / "coco_captioning"``, ready for ``load_coco_data``.
    """
    import hashlib
    import os
    import zipfile

    import pooch

    root = Path(data_utils.DATASETS_DIR) if root is None else Path(root)
    folder = root / COCO_FOLDER
    wanted = [p.name for p in _coco_files(folder, True).values()]
    if all((folder / name).is_file() for name in wanted):
        return folder
    root.mkdir(parents=True, exist_ok=True)
    archive = Path(pooch.retrieve(url, known_hash=known_hash, fname="coco_captioning.zip",
                                  path=root, progressbar=False))
    try:
        digest = hashlib.sha256()
        with open(archive, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        with zipfile.ZipFile(archive) as z:
            bad = z.testzip()
            if bad is not None:
                raise ValueError(f"the archive from {url} is corrupt: {bad} fails its CRC check")
            absent = [name for name in wanted if f"{COCO_FOLDER}/{name}" not in z.namelist()]
            if absent:
                raise FileNotFoundError(f"the archive from {url} has no {COCO_FOLDER}/ "
                                        f"{', '.join(absent)}")
            # ZipFile.extractall drops absolute paths and '..' from member names.
            z.extractall(root, [n for n in z.namelist() if n.startswith(COCO_FOLDER + "/")])
    finally:
        os.remove(archive)
    (folder / "SHA256").write_text(f"{digest.hexdigest()}  coco_captioning.zip\n")
    return folder


def load_coco_data(base_dir=None, max_train=None, pca_features=True):
    """Read CS231n's preprocessed COCO captions.

    Parameters
    ----------
    base_dir : str or Path or None
        Folder holding ``coco2014_captions.h5`` (datasets ``train_captions``,
        ``train_image_idxs``, ``val_captions``, ``val_image_idxs``),
        ``train2014_vgg16_fc7[_pca].h5`` and ``val2014_vgg16_fc7[_pca].h5``
        (dataset ``features``), ``coco2014_vocab.json`` (``idx_to_word``,
        ``word_to_idx``) and ``train2014_urls.txt`` / ``val2014_urls.txt``
        (one URL a line). ``None``: ``DATASETS_DIR/coco_captioning``.
    max_train : int or None
        Keep only this many training captions, a fixed random subset (the
        features and URLs are kept whole).
    pca_features : bool
        Read the 512-dimensional PCA features (``*_pca.h5``) rather than the
        4096-dimensional fc7 activations.

    Returns
    -------
    data : dict
        ``train_captions`` (Nc, 17) int, ``train_image_idxs`` (Nc,) int,
        ``train_features`` (Ni, 512 or 4096) float, ``train_urls`` (Ni,)
        str, the same for ``val``, ``idx_to_word``, ``word_to_idx``.

    Raises
    ------
    FileNotFoundError
        If a file is missing; the message says how to get them.
    """
    import h5py

    base_dir = Path(data_utils.DATASETS_DIR) / COCO_FOLDER if base_dir is None else Path(base_dir)
    files = _coco_files(base_dir, pca_features)
    missing = [p.name for p in files.values() if not p.is_file()]
    if missing:
        raise FileNotFoundError(
            f"COCO captions not found: {', '.join(missing)} missing in {base_dir.resolve()}. "
            f"download_coco_captioning() fetches and unzips {COCO_URL} (about 1 GB) "
            f"into that folder; or pass base_dir=<a folder that holds them>. Without the download, "
            f"cs231n.digit_captions.load_digit_captions() gives a dataset in the same "
            f"format that needs no network."
        )
    data = {}
    with h5py.File(files["captions"], "r") as f:
        for key, value in f.items():
            data[key] = np.asarray(value)
    for split in ("train", "val"):
        with h5py.File(files[f"{split}_features"], "r") as f:
            data[f"{split}_features"] = np.asarray(f["features"])
        with open(files[f"{split}_urls"], "r") as f:
            data[f"{split}_urls"] = np.asarray([line.strip() for line in f])
    with open(files["vocab"], "r") as f:
        vocab = json.load(f)
    data["idx_to_word"] = list(vocab["idx_to_word"])
    data["word_to_idx"] = {w: int(i) for w, i in vocab["word_to_idx"].items()}
    return subsample_captions(data, max_train)


def subsample_captions(data, max_train):
    """Keep a fixed random subset of ``max_train`` training captions.

    Parameters
    ----------
    data : dict
        A captioning dataset (see the module docstring); changed in place.
    max_train : int or None
        Captions to keep (without repetition, in their original order);
        ``None`` keeps all.

    Returns
    -------
    data : dict
        The same dict, ``train_captions`` and ``train_image_idxs`` cut to
        (max_train, T) and (max_train,).
    """
    if max_train is None:
        return data
    num_train = data["train_captions"].shape[0]
    if isinstance(max_train, bool) or not isinstance(max_train, (int, np.integer)) \
            or not 0 < max_train <= num_train:
        raise ValueError(
            f"max_train must be None or an int in 1..{num_train} (the training "
            f"captions available), got {max_train!r}"
        )
    rng = np.random.RandomState(_SUBSET_SEED)
    keep = np.sort(rng.choice(num_train, int(max_train), replace=False))
    data["train_captions"] = data["train_captions"][keep]
    data["train_image_idxs"] = data["train_image_idxs"][keep]
    return data


def decode_captions(captions, idx_to_word):
    """Turn word indices back into text.

    ``<NULL>`` is skipped; a caption ends after its first ``<END>``.
    ``<START>`` and ``<END>`` stay in the text, as in CS231n.

    Parameters
    ----------
    captions : array of int, shape (N, T) or (T,)
    idx_to_word : list of str, length V

    Returns
    -------
    decoded : list of N str, or one str for a (T,) input
    """
    captions = np.asarray(captions)
    if captions.ndim not in (1, 2):
        raise ValueError(f"captions must have shape (N, T) or (T,), got {captions.shape}")
    rows = captions[None] if captions.ndim == 1 else captions
    decoded = []
    for row in rows:
        words = []
        for idx in row:
            word = idx_to_word[int(idx)]
            if word != "<NULL>":
                words.append(word)
            if word == "<END>":
                break
        decoded.append(" ".join(words))
    return decoded[0] if captions.ndim == 1 else decoded


def sample_coco_minibatch(data, batch_size=100, split="train", seed=None, features="features"):
    """A random minibatch of captions (with repetition) and their images.

    Parameters
    ----------
    data : dict
        A captioning dataset (see the module docstring).
    batch_size : int
    split : {"train", "val"}
    seed : int or None
        ``None`` draws from numpy's global random state (as CS231n does);
        an int draws from its own ``RandomState(seed)``.
    features : str
        Which image features to return: ``"features"`` (N, D) or
        ``"spatial_features"`` (N, D, G, G) where the dataset has them.

    Returns
    -------
    captions : array of int, shape (batch_size, T)
    image_features : array of float, shape (batch_size, D) or (batch_size, D, G, G)
    images : array, shape (batch_size,) of URLs, or (batch_size, S, S, 3) pixels
    """
    key = f"{split}_{features}"
    if key not in data:
        have = sorted(k[len(split) + 1:] for k in data
                      if k.startswith(split + "_") and "features" in k)
        raise KeyError(f"the dataset has no {key!r}; features available for {split}: {have}")
    split_size = data[f"{split}_captions"].shape[0]
    draw = np.random if seed is None else np.random.RandomState(seed)
    mask = draw.choice(split_size, batch_size)
    captions = data[f"{split}_captions"][mask]
    image_idxs = data[f"{split}_image_idxs"][mask]
    image_features = data[key][image_idxs]
    images_key = f"{split}_urls" if f"{split}_urls" in data else f"{split}_images"
    return captions, image_features, data[images_key][image_idxs]


def _tokens(text):
    return [w for w in text.split() if w not in SPECIAL_TOKENS]


def bleu_score(references, hypotheses):
    """Corpus BLEU-4 (Papineni et al., 2002) of generated captions.

    Modified n-gram precisions for n = 1..4 are pooled over the whole
    corpus, combined by a geometric mean with equal weights and multiplied
    by the brevity penalty; NLTK's ``corpus_bleu`` computes it, with
    smoothing "method1" (Chen and Cherry, 2014: a count of 0 matching
    n-grams counts as 0.1) so that a corpus without any matching 4-gram
    scores near 0 rather than raising a warning.

    Parameters
    ----------
    references : list of N lists of str
        For each sample, its reference captions (at least one).
    hypotheses : list of N str
        The generated caption of each sample.

    Words are separated by whitespace; ``<START>``, ``<END>`` and ``<NULL>``
    are removed from both sides.

    Returns
    -------
    bleu : float
        In [0, 1]; 1 when every hypothesis equals one of its references
        and has at least 4 words (NLTK counts a shorter hypothesis as one
        unmatched 4-gram).
    """
    from nltk.translate.bleu_score import SmoothingFunction, corpus_bleu

    if isinstance(hypotheses, str) or len(references) != len(hypotheses):
        raise ValueError(
            "references and hypotheses must be lists of the same length (one entry "
            f"per sample), got {len(references)} references and "
            f"{'a string' if isinstance(hypotheses, str) else len(hypotheses)} hypotheses"
        )
    if len(hypotheses) == 0:
        raise ValueError("bleu_score needs at least one sample")
    refs = []
    for i, ref in enumerate(references):
        if isinstance(ref, str) or len(ref) == 0:
            raise ValueError(
                f"references[{i}] must be a non-empty list of reference strings, got {ref!r}"
            )
        refs.append([_tokens(r) for r in ref])
    hyps = [_tokens(h) for h in hypotheses]
    return float(corpus_bleu(refs, hyps, weights=(0.25, 0.25, 0.25, 0.25),
                             smoothing_function=SmoothingFunction().method1))


def references_of(data, split):
    """The reference captions of every image of a split, as text.

    Parameters
    ----------
    data : dict
        A captioning dataset (see the module docstring).
    split : {"train", "val"}

    Returns
    -------
    references : list of Ni lists of str
        For image i, the decoded captions whose ``image_idxs`` is i, without
        ``<START>``, ``<END>`` and ``<NULL>``, in the order of the captions
        array; an image without a caption gets an empty list.
    """
    image_idxs = np.asarray(data[f"{split}_image_idxs"])
    if f"{split}_features" in data:
        num_images = len(data[f"{split}_features"])
    else:
        num_images = int(image_idxs.max()) + 1 if image_idxs.size else 0
    texts = decode_captions(data[f"{split}_captions"], data["idx_to_word"])
    references = [[] for _ in range(num_images)]
    for idx, text in zip(image_idxs, texts):
        references[int(idx)].append(" ".join(_tokens(text)))
    return references
