"""Augmentations, images and the pair dataset of SimCLR (cs231n/simclr/data_utils.py)."""
import random

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision import transforms

from cs231n.simclr.data_utils import (CLUTTERED_MEAN, CLUTTERED_STD, PairDataset, compute_test_transform,
                                      compute_train_transform, get_image_data, transform_images)


@pytest.fixture(autouse=True)
def _one_thread_and_seeded():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    state = random.getstate()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        yield
    random.setstate(state)
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def data():
    return get_image_data("cluttered_digits")


def unnormalize(x):
    """A normalized view (3, H, W) back to pixels in [0, 1], (H, W, 3)."""
    mean, std = np.array(CLUTTERED_MEAN)[:, None, None], np.array(CLUTTERED_STD)[:, None, None]
    return (x.numpy() * std + mean).transpose(1, 2, 0)


def test_get_image_data_gives_uint8_images_of_the_cluttered_digits(data):
    assert data["X_train"].shape == (5000, 28, 28, 3) and data["X_train"].dtype == np.uint8
    assert data["X_val"].shape == (500, 28, 28, 3) and data["X_test"].shape == (1000, 28, 28, 3)
    assert data["y_train"].shape == (5000,) and set(np.unique(data["y_train"])) == set(range(10))


def test_the_normalization_constants_are_the_training_images_statistics(data):
    pixels = data["X_train"].reshape(-1, 3) / 255.0
    np.testing.assert_allclose(pixels.mean(axis=0), CLUTTERED_MEAN, atol=1e-4)
    np.testing.assert_allclose(pixels.std(axis=0), CLUTTERED_STD, atol=1e-4)


def test_the_test_transform_only_converts_and_normalizes(data):
    img = data["X_test"][0]
    out = compute_test_transform()(Image.fromarray(img))
    assert out.shape == (3, 28, 28) and out.dtype == torch.float32
    np.testing.assert_allclose(unnormalize(out), img / 255.0, atol=1e-6)
    x = transform_images(data["X_test"][:5])
    assert x.shape == (5, 3, 28, 28)
    torch.testing.assert_close(x[0], out)


def test_train_views_have_the_right_shape_and_differ(data):
    transform = compute_train_transform(seed=0)
    img = Image.fromarray(data["X_train"][0])
    a, b = transform(img), transform(img)
    assert a.shape == b.shape == (3, 28, 28) and a.dtype == torch.float32
    assert not torch.allclose(a, b)


def test_the_same_seed_gives_the_same_views_and_another_seed_other_views(data):
    img = Image.fromarray(data["X_train"][3])
    views = {}
    for seed in (5, 5, 6):
        transform = compute_train_transform(seed=seed)
        views.setdefault(seed, []).append(torch.stack([transform(img) for _ in range(4)]))
    torch.testing.assert_close(views[5][0], views[5][1], rtol=0, atol=0)
    assert not torch.allclose(views[5][0], views[6][0])


def test_the_transforms_and_their_order(data):
    """The composition is the one the notebook asks for, so a seed fixes the views."""
    names = [type(t).__name__ for t in compute_train_transform(0).transforms]
    assert names == ["RandomResizedCrop", "RandomHorizontalFlip", "RandomApply", "RandomGrayscale", "ToTensor",
                     "Normalize"]
    crop, flip, jitter, gray, _, norm = compute_train_transform(0).transforms
    assert crop.size == (28, 28) and crop.scale == (0.3, 1.0)
    assert flip.p == 0.5 and jitter.p == 0.8 and gray.p == 0.5
    assert isinstance(jitter.transforms[0], transforms.ColorJitter)
    assert tuple(norm.mean) == CLUTTERED_MEAN and tuple(norm.std) == CLUTTERED_STD


def test_grayscale_and_colour_jitter_happen_about_as_often_as_asked(data):
    """Over many views of one colourful image: a gray view has three equal channels."""
    img = Image.fromarray(data["X_train"][1])
    transform = compute_train_transform(seed=1)
    n, gray = 400, 0
    for _ in range(n):
        pixels = unnormalize(transform(img))
        gray += np.allclose(pixels[..., 0], pixels[..., 1], atol=1e-5) and np.allclose(pixels[..., 1],
                                                                                        pixels[..., 2], atol=1e-5)
    # p = 0.5; five standard deviations of a binomial share are 0.125
    assert abs(gray / n - 0.5) < 0.125


def test_pair_dataset_returns_two_different_views_and_the_label(data):
    ds = PairDataset(data["X_train"][:10], data["y_train"][:10], compute_train_transform(seed=2))
    assert len(ds) == 10
    x_i, x_j, target = ds[4]
    assert x_i.shape == x_j.shape == (3, 28, 28)
    assert not torch.allclose(x_i, x_j)
    assert target == data["y_train"][4] and isinstance(target, int)


def test_pair_dataset_views_are_the_transforms_first_and_second_calls(data):
    images, labels = data["X_train"][:3], data["y_train"][:3]
    ds = PairDataset(images, labels, compute_train_transform(seed=3))
    x_i, x_j, _ = ds[1]
    transform = compute_train_transform(seed=3)
    img = Image.fromarray(images[1])
    torch.testing.assert_close(x_i, transform(img), rtol=0, atol=0)
    torch.testing.assert_close(x_j, transform(img), rtol=0, atol=0)


def test_pair_dataset_batches_through_a_dataloader(data):
    ds = PairDataset(data["X_train"][:12], data["y_train"][:12], compute_train_transform(seed=4))
    loader = torch.utils.data.DataLoader(ds, batch_size=5, shuffle=False)
    x_i, x_j, y = next(iter(loader))
    assert x_i.shape == (5, 3, 28, 28) and x_j.shape == (5, 3, 28, 28)
    np.testing.assert_array_equal(y.numpy(), data["y_train"][:5])


def test_pair_dataset_refuses_images_it_cannot_transform(data):
    with pytest.raises(ValueError, match="uint8"):
        PairDataset(data["X_train"][:4].astype(np.float64), data["y_train"][:4], compute_train_transform())
    with pytest.raises(ValueError, match="labels"):
        PairDataset(data["X_train"][:4], data["y_train"][:3], compute_train_transform())
