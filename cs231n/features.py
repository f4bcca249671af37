"""Hand-designed image features: HOG and colour (or intensity) histograms.

Images are in the ``(H, W, C)`` layout with values in [0, 255], as returned by
``load_digits_data`` and ``load_CIFAR10`` (before mean subtraction).
"""

import matplotlib.colors
import numpy as np
from skimage.feature import hog
from tqdm.auto import tqdm


def extract_features(imgs, feature_fns, verbose=False):
    """Apply each feature function to each image and concatenate the results.

    Parameters
    ----------
    imgs : ndarray, shape (N, H, W, C)
        Images.
    feature_fns : list of callable
        Each maps one image, squeezed to (H, W) if C == 1 or (H, W, C)
        otherwise, to a 1-D feature vector of fixed length F_k.
    verbose : bool
        Show a progress bar.

    Returns
    -------
    features : ndarray, shape (N, F)
        ``F = sum_k F_k``; row i holds the features of image i in the order of
        ``feature_fns``.
    """
    imgs = np.asarray(imgs)
    if imgs.ndim != 4:
        raise ValueError(f"imgs must have shape (N, H, W, C), got {imgs.shape}")
    num_images = imgs.shape[0]
    if num_images == 0 or not feature_fns:
        return np.zeros((num_images, 0))

    # Grey images reach the feature functions as (H, W), as in CS231n.
    if imgs.shape[-1] == 1:
        imgs = imgs[..., 0]

    # The first image fixes the length of each function's output.
    first = [np.asarray(fn(imgs[0])) for fn in feature_fns]
    for fn, feats in zip(feature_fns, first):
        if feats.ndim != 1:
            raise ValueError(
                f"feature function {getattr(fn, '__name__', fn)!r} must return a "
                f"1-D array, got shape {feats.shape}"
            )
    dims = [f.size for f in first]
    bounds = np.cumsum([0] + dims)

    features = np.zeros((num_images, bounds[-1]))
    features[0] = np.concatenate(first)
    for i in tqdm(range(1, num_images), disable=not verbose, desc="features"):
        for fn, start, stop in zip(feature_fns, bounds[:-1], bounds[1:]):
            features[i, start:stop] = fn(imgs[i])
    return features


def _as_hwc(im):
    """View an (H, W) or (H, W, C) image as (H, W, C)."""
    im = np.asarray(im, dtype=np.float64)
    if im.ndim == 2:
        return im[:, :, None]
    if im.ndim == 3:
        return im
    raise ValueError(f"im must have shape (H, W) or (H, W, C), got {im.shape}")


def hog_feature(im, orientations=9, pixels_per_cell=None, cells_per_block=(2, 2)):
    """Histogram of oriented gradients (Dalal and Triggs, 2005) of one image.

    A thin wrapper of ``skimage.feature.hog`` with defaults that suit small
    images: by default the image is cut into a 4 x 4 grid of cells (2 x 2
    pixels for 8x8 digits, 8 x 8 pixels for 32x32 CIFAR-10), each cell's
    gradient orientations are binned, and each 2 x 2 block of cells is
    L2-Hys normalised, which makes the feature insensitive to contrast.

    Parameters
    ----------
    im : ndarray, shape (H, W), (H, W, 1) or (H, W, 3)
        Image. For colour images the gradient of the strongest channel is
        used at each pixel.
    orientations : int
        Number of orientation bins over [0, 180) degrees.
    pixels_per_cell : (int, int) or None
        Cell size; ``None`` means ``(H // 4, W // 4)``.
    cells_per_block : (int, int)
        Cells per normalisation block.

    Returns
    -------
    feat : ndarray, shape (F,)
        With a (bh, bw) block and an (nh, nw) cell grid,
        ``F = (nh - bh + 1) * (nw - bw + 1) * bh * bw * orientations``; 324 for
        the defaults.
    """
    im = _as_hwc(im)
    H, W, C = im.shape
    if pixels_per_cell is None:
        pixels_per_cell = (max(H // 4, 1), max(W // 4, 1))
    if C == 1:
        return hog(im[:, :, 0], orientations=orientations,
                   pixels_per_cell=pixels_per_cell, cells_per_block=cells_per_block)
    return hog(im, orientations=orientations, pixels_per_cell=pixels_per_cell,
               cells_per_block=cells_per_block, channel_axis=-1)


def color_histogram_hsv(im, nbin=10, xmin=0, xmax=255, normalized=True):
    """Histogram of hue for a colour image, of intensity for a grey one.

    Hue says which colour dominates regardless of brightness; a grey image
    has no hue, so its pixel values are binned instead.

    Parameters
    ----------
    im : ndarray, shape (H, W, 3) (RGB), or (H, W) / (H, W, 1) (grey)
        Image with values in [xmin, xmax].
    nbin : int
        Number of equal-width bins over [xmin, xmax].
    xmin, xmax : float
        Range of the pixel values. Values outside are clipped into it so
        that every pixel is counted.
    normalized : bool
        Divide by the number of pixels, so the histogram sums to 1.

    Returns
    -------
    hist : ndarray, shape (nbin,)
    """
    im = _as_hwc(im)
    if xmax <= xmin:
        raise ValueError(f"xmax must be greater than xmin, got xmin={xmin}, xmax={xmax}")
    scaled = (np.clip(im, xmin, xmax) - xmin) / (xmax - xmin)  # in [0, 1]
    if im.shape[2] == 3:
        values = matplotlib.colors.rgb_to_hsv(scaled)[:, :, 0]  # hue in [0, 1]
    elif im.shape[2] == 1:
        values = scaled[:, :, 0]
    else:
        raise ValueError(f"im must have 1 or 3 channels, got {im.shape[2]}")
    hist, _ = np.histogram(values, bins=nbin, range=(0.0, 1.0))
    hist = hist.astype(np.float64)
    if normalized:
        hist /= values.size
    return hist
