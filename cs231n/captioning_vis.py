"""Figures for image captioning: images with their captions, attention maps."""

import math
import textwrap

import numpy as np


def _as_rgb_batch(images, name="images"):
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[3] not in (1, 3):
        raise ValueError(f"{name} must have shape (N, H, W, 3) or (N, H, W, 1), "
                         f"got {images.shape}")
    return images


def _as_caption_list(captions, n, name):
    """One list of strings per image from a str or a list of str per image."""
    if isinstance(captions, str) or len(captions) != n:
        raise ValueError(f"{name} must be a list with one entry per image ({n}), "
                         f"got {captions!r:.80}")
    return [[c] if isinstance(c, str) else list(c) for c in captions]


def show_captioned(images, captions, titles=None, ncols=4, width=28):
    """A grid of images, each with its caption(s) underneath.

    Parameters
    ----------
    images : array, shape (N, H, W, 3) or (N, H, W, 1)
        uint8 pixels in [0, 255] or floats in [0, 1].
    captions : list of N str, or list of N lists of str
        Text under each image; several captions (e.g. a generated one and
        the reference) are drawn one under the other.
    titles : list of N str or None
        Drawn above each image (e.g. ``"train 12"``).
    ncols : int
        Images per row.
    width : int
        Characters per line before the caption text wraps.

    Returns
    -------
    fig : matplotlib.figure.Figure
        One axes per image (N axes).
    """
    import matplotlib.pyplot as plt

    images = _as_rgb_batch(images)
    n = len(images)
    if n == 0:
        raise ValueError("images must hold at least one image")
    captions = _as_caption_list(captions, n, "captions")
    if titles is not None and (isinstance(titles, str) or len(titles) != n):
        raise ValueError(f"titles must be None or a list of {n} strings")
    if int(ncols) < 1:
        raise ValueError(f"ncols must be a positive int, got {ncols!r}")
    ncols = min(int(ncols), n)
    nrows = math.ceil(n / ncols)
    lines = [sum(len(textwrap.wrap(c, width)) or 1 for c in caps) for caps in captions]
    # Height per row: the image plus room for the longest caption of the row.
    text_height = 0.17 * max(lines)
    fig = plt.figure(figsize=(2.4 * ncols, (2.3 + text_height) * nrows))
    for i in range(n):
        ax = fig.add_subplot(nrows, ncols, i + 1)
        img = images[i]
        ax.imshow(img[..., 0] if img.shape[2] == 1 else img,
                  cmap="gray" if img.shape[2] == 1 else None, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
        if titles is not None:
            ax.set_title(titles[i], fontsize=9)
        text = "\n".join("\n".join(textwrap.wrap(c, width)) for c in captions[i])
        ax.set_xlabel(text, fontsize=8, linespacing=1.2)
    fig.tight_layout()
    return fig


def show_attention(image, words, weights, ncols=6, smooth=False):
    """Where an attention model looked while it wrote each word.

    Parameters
    ----------
    image : array, shape (H, W, 3) or (H, W, 1)
        uint8 pixels in [0, 255] or floats in [0, 1].
    words : list of T str
        The generated words (e.g. until ``<END>``).
    weights : array, shape (T, G, G) or (T', G, G) with T' >= T
        Attention weights over the G x G grid of image regions for each
        word; each map is stretched over the whole image.
    ncols : int
        Panels per row.
    smooth : bool
        Bilinear upsampling of the maps instead of blocks (nearest).

    Returns
    -------
    fig : matplotlib.figure.Figure
        T + 1 axes: the image, then one panel per word with its map over
        the image and the word as title.
    """
    import matplotlib.pyplot as plt

    image = np.asarray(image)
    if image.ndim != 3 or image.shape[2] not in (1, 3):
        raise ValueError(f"image must have shape (H, W, 3) or (H, W, 1), got {image.shape}")
    if isinstance(words, str):
        raise ValueError("words must be a list of strings, not one string")
    words = list(words)
    weights = np.asarray(weights, dtype=np.float64)
    if weights.ndim != 3 or weights.shape[1] != weights.shape[2]:
        raise ValueError(f"weights must have shape (T, G, G), got {weights.shape}")
    if weights.shape[0] < len(words):
        raise ValueError(f"{len(words)} words but attention weights for only "
                         f"{weights.shape[0]} steps")
    if int(ncols) < 1:
        raise ValueError(f"ncols must be a positive int, got {ncols!r}")
    H, W = image.shape[:2]
    shown = image[..., 0] if image.shape[2] == 1 else image
    cmap = "gray" if image.shape[2] == 1 else None
    n = len(words) + 1
    ncols = min(int(ncols), n)
    nrows = math.ceil(n / ncols)
    fig = plt.figure(figsize=(1.9 * ncols, 2.1 * nrows))
    ax = fig.add_subplot(nrows, ncols, 1)
    ax.imshow(shown, cmap=cmap, interpolation="nearest")
    ax.set_title("image", fontsize=9)
    ax.axis("off")
    # One colour scale for every panel, so brighter means more attention.
    vmax = max(float(weights[:len(words)].max()), 1e-12) if words else 1.0
    for t, word in enumerate(words):
        ax = fig.add_subplot(nrows, ncols, t + 2)
        ax.imshow(shown, cmap=cmap, interpolation="nearest")
        # extent maps the G x G map onto the image's pixel grid.
        ax.imshow(weights[t], cmap="magma", alpha=0.6, vmin=0.0, vmax=vmax,
                  interpolation="bilinear" if smooth else "nearest",
                  extent=(-0.5, W - 0.5, H - 0.5, -0.5))
        ax.set_title(word, fontsize=9)
        ax.axis("off")
    fig.tight_layout()
    return fig
