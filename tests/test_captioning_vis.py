import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from cs231n.captioning_vis import show_attention, show_captioned  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _images(rng, n=5, side=48):
    return rng.randint(0, 256, size=(n, side, side, 3)).astype(np.uint8)


def test_show_captioned_one_axes_per_image(rng):
    images = _images(rng)
    captions = [f"a red seven at top left and a blue two at center {i}" for i in range(5)]
    fig = show_captioned(images, captions, titles=[f"val {i}" for i in range(5)], ncols=2)
    assert len(fig.axes) == 5
    ax = fig.axes[3]
    np.testing.assert_array_equal(ax.images[0].get_array(), images[3])
    # Long captions wrap; the title is drawn.
    assert "\n" in ax.get_xlabel() and ax.get_xlabel().replace("\n", " ") == captions[3]
    assert ax.get_title() == "val 3"
    # Two columns, three rows.
    assert len({round(a.get_position().x0, 3) for a in fig.axes}) == 2
    assert len({round(a.get_position().y0, 3) for a in fig.axes}) == 3


def test_show_captioned_several_captions_and_grey_images(rng):
    images = rng.rand(2, 8, 8, 1)
    fig = show_captioned(images, [["generated: a cat", "truth: a dog"], "only one"])
    assert len(fig.axes) == 2
    assert fig.axes[0].get_xlabel() == "generated: a cat\ntruth: a dog"
    assert fig.axes[0].images[0].get_array().shape == (8, 8)


@pytest.mark.parametrize("images, captions, kwargs", [
    (np.zeros((2, 8, 8)), ["a", "b"], {}),          # no channel axis
    (np.zeros((2, 8, 8, 2)), ["a", "b"], {}),       # two channels
    (np.zeros((2, 8, 8, 3)), ["a"], {}),            # one caption short
    (np.zeros((2, 8, 8, 3)), "a b", {}),            # a string, not a list
    (np.zeros((2, 8, 8, 3)), ["a", "b"], {"titles": ["x"]}),
    (np.zeros((2, 8, 8, 3)), ["a", "b"], {"ncols": 0}),
    (np.zeros((0, 8, 8, 3)), [], {}),
])
def test_show_captioned_bad_input(images, captions, kwargs):
    with pytest.raises(ValueError):
        show_captioned(images, captions, **kwargs)


def test_show_attention_one_panel_per_word(rng):
    image = _images(rng, 1)[0]
    words = ["a", "red", "seven", "at", "top", "left", "<END>"]
    weights = rng.dirichlet(np.ones(9), size=10).reshape(10, 3, 3)  # more steps than words
    fig = show_attention(image, words, weights, ncols=4)
    assert len(fig.axes) == len(words) + 1
    assert fig.axes[0].get_title() == "image"
    assert [ax.get_title() for ax in fig.axes[1:]] == words
    # Each panel: the image, then the word's map stretched over it.
    overlay = fig.axes[3].images[1]
    np.testing.assert_allclose(overlay.get_array(), weights[2])
    assert overlay.get_extent() == [-0.5, 47.5, 47.5, -0.5]
    # One colour scale across the panels.
    assert {ax.images[1].get_clim() for ax in fig.axes[1:]} == {(0.0, weights[:7].max())}


def test_show_attention_smooth_and_grey(rng):
    fig = show_attention(rng.rand(16, 16, 1), ["one"], np.full((1, 4, 4), 1 / 16), smooth=True)
    assert len(fig.axes) == 2
    assert fig.axes[1].images[1].get_interpolation() == "bilinear"


@pytest.mark.parametrize("image, words, weights", [
    (np.zeros((4, 16, 16, 3)), ["a"], np.zeros((1, 3, 3))),   # a batch, not one image
    (np.zeros((16, 16, 3)), ["a", "b"], np.zeros((1, 3, 3))),  # fewer maps than words
    (np.zeros((16, 16, 3)), ["a"], np.zeros((1, 9))),          # maps not G x G
    (np.zeros((16, 16, 3)), ["a"], np.zeros((1, 3, 2))),
    (np.zeros((16, 16, 3)), "a", np.zeros((1, 3, 3))),        # a string, not a list
])
def test_show_attention_bad_input(image, words, weights):
    with pytest.raises(ValueError):
        show_attention(image, words, weights)
