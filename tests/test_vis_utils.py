import numpy as np

from cs231n.vis_utils import visualize_grid


def test_grid_shape_and_layout(rng):
    Xs = rng.rand(5, 8, 6, 3)  # 5 images -> a 3 x 3 grid
    grid = visualize_grid(Xs, ubound=255.0, padding=2)
    assert grid.shape == (3 * 8 + 2 * 2, 3 * 6 + 2 * 2, 3)
    # Each image is rescaled on its own to [0, 255].
    first = grid[:8, :6]
    np.testing.assert_allclose(first.min(), 0.0)
    np.testing.assert_allclose(first.max(), 255.0)
    np.testing.assert_allclose(first, 255 * (Xs[0] - Xs[0].min()) / np.ptp(Xs[0]))
    # Image 3 starts the second row of cells.
    np.testing.assert_allclose(grid[10:18, :6], 255 * (Xs[3] - Xs[3].min()) / np.ptp(Xs[3]))
    # Padding and the unused cells stay zero.
    assert not grid[8:10].any()
    assert not grid[20:, 16:].any()


def test_single_channel_and_constant_image():
    Xs = np.zeros((4, 8, 8, 1))
    Xs[1] = np.arange(64).reshape(8, 8, 1)
    grid = visualize_grid(Xs, ubound=1.0)
    assert grid.shape == (17, 17, 1)
    assert np.all(np.isfinite(grid))
    assert grid[:8, 9:].max() == 1.0
