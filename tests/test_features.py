import numpy as np
import pytest

from cs231n.features import color_histogram_hsv, extract_features, hog_feature


def test_hog_shapes_for_digits_and_cifar(rng):
    # 4 x 4 cells, 3 x 3 blocks of 2 x 2 cells, 9 orientations: 324.
    assert hog_feature(rng.rand(8, 8) * 255).shape == (324,)
    assert hog_feature(rng.rand(8, 8, 1) * 255).shape == (324,)
    assert hog_feature(rng.rand(32, 32, 3) * 255).shape == (324,)
    coarse = hog_feature(rng.rand(8, 8), pixels_per_cell=(4, 4), cells_per_block=(1, 1))
    assert coarse.shape == (36,)


def test_hog_sees_orientation_not_contrast():
    vertical = np.zeros((8, 8))
    vertical[:, 4:] = 255.0
    horizontal = vertical.T.copy()
    hv, hh = hog_feature(vertical), hog_feature(horizontal)
    assert np.linalg.norm(hv - hh) > 0.5
    # Block normalisation: halving the contrast changes nothing.
    np.testing.assert_allclose(hog_feature(vertical / 2), hv, atol=1e-6)
    assert not hog_feature(np.full((8, 8), 7.0)).any()


@pytest.mark.parametrize("shape", [(8, 8), (8, 8, 1), (6, 5, 3)])
def test_histogram_sums_to_one(rng, shape):
    hist = color_histogram_hsv(rng.rand(*shape) * 255, nbin=7)
    assert hist.shape == (7,)
    assert hist.sum() == pytest.approx(1.0)


def test_histogram_hue_of_pure_colours():
    red = np.zeros((4, 4, 3))
    red[..., 0] = 255
    green = np.zeros((4, 4, 3))
    green[..., 1] = 255
    # Hue is 0 for red and 1/3 for green; with 10 bins over [0, 1], bins 0 and 3.
    assert color_histogram_hsv(red).argmax() == 0
    assert color_histogram_hsv(green)[3] == 1.0
    assert color_histogram_hsv(green, normalized=False)[3] == 16


def test_histogram_grey_uses_intensity():
    im = np.zeros((2, 2))
    im[0, 0] = 255.0
    hist = color_histogram_hsv(im, nbin=5, normalized=False)
    np.testing.assert_array_equal(hist, [3, 0, 0, 0, 1])


def test_extract_features_concatenates(rng):
    imgs = rng.rand(6, 8, 8, 1) * 255
    feats = extract_features(imgs, [hog_feature, lambda im: color_histogram_hsv(im, nbin=4)])
    assert feats.shape == (6, 324 + 4)
    np.testing.assert_allclose(feats[5, :324], hog_feature(imgs[5]))
    np.testing.assert_allclose(feats[:, 324:].sum(axis=1), 1.0)


def test_extract_features_rejects_channels_first(rng):
    with pytest.raises(ValueError, match="imgs"):
        extract_features(rng.rand(6, 8, 8), [hog_feature])
