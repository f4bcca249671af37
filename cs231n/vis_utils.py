"""Tiling images (or learned weights) into one picture for plotting."""

import math

import numpy as np


def visualize_grid(Xs, ubound=255.0, padding=1):
    """Tile a batch of images into a square grid, each rescaled to [0, ubound].

    Each image is min-max rescaled on its own, so weights of any scale (such
    as the columns of a linear classifier's W reshaped to images) become
    visible.

    Parameters
    ----------
    Xs : ndarray, shape (N, H, W, C)
        Images, C = 1 or 3.
    ubound : float
        Value the largest entry of each image is mapped to.
    padding : int
        Pixels of zeros between neighbouring images.

    Returns
    -------
    grid : ndarray, shape (G*H + (G-1)*padding, G*W + (G-1)*padding, C)
        With ``G = ceil(sqrt(N))``; cells beyond N stay zero. For plotting,
        ``plt.imshow(grid.astype('uint8'))`` (C = 3) or ``grid[..., 0]``
        with a grey colormap (C = 1).
    """
    Xs = np.asarray(Xs)
    if Xs.ndim != 4:
        raise ValueError(f"Xs must have shape (N, H, W, C), got {Xs.shape}")
    N, H, W, C = Xs.shape
    grid_size = int(math.ceil(math.sqrt(N)))
    grid_height = H * grid_size + padding * (grid_size - 1)
    grid_width = W * grid_size + padding * (grid_size - 1)
    grid = np.zeros((grid_height, grid_width, C))
    for idx in range(N):
        row, col = divmod(idx, grid_size)
        y0 = row * (H + padding)
        x0 = col * (W + padding)
        img = Xs[idx]
        low, high = np.min(img), np.max(img)
        # A constant image has no range to stretch; leave it at zero.
        if high > low:
            grid[y0 : y0 + H, x0 : x0 + W] = ubound * (img - low) / (high - low)
    return grid
