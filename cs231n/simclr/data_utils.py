"""Images, augmentations and the pair dataset of SimCLR.

SimCLR learns from unlabeled images by comparing two random *views* of each:
``compute_train_transform`` builds the random augmentation that makes a view,
``PairDataset`` yields two views of every image. ``compute_test_transform``
only converts and normalizes, for evaluation.

The transforms take PIL images (``PIL.Image.fromarray`` of a uint8 (H, W, 3)
array) and return float32 tensors (3, H, W).
"""
import random

import numpy as np
import torch
from PIL import Image
from torch.utils.data import Dataset
from torchvision import transforms

from cs231n.data_utils import get_data

#: Per-channel mean and standard deviation of the cluttered digits' training
#: images (pixels scaled to [0, 1]), for ``transforms.Normalize``.
CLUTTERED_MEAN = (0.2724, 0.2749, 0.2746)
CLUTTERED_STD = (0.1820, 0.1829, 0.1825)


def get_image_data(dataset="cluttered_digits", **kwargs):
    """A dataset of ``cs231n.data_utils.get_data`` as uint8 images.

    Parameters
    ----------
    dataset : str
        As for ``get_data``; ``"cluttered_digits"`` (the default) is the one
        the constants and the pretrained encoder of this package are for.
    **kwargs
        Passed to ``get_data`` (``num_training``, ``num_validation``, ...).

    Returns
    -------
    data : dict
        ``X_train, X_val, X_test`` (and ``X_dev``) as uint8 arrays of shape
        (N, H, W, 3), unnormalized; ``y_*`` int64 labels (N,);
        ``class_names``.
    """
    kwargs.update(subtract_mean=False, channels_first=False, flatten=False)
    data = get_data(dataset, **kwargs)
    for key in list(data):
        if key.startswith("X_"):
            data[key] = np.clip(np.rint(data[key]), 0, 255).astype(np.uint8)
    return data


def compute_train_transform(seed=123456):
    """The random augmentation that makes one view of an image.

    Seeds Python's and torch's random generators first (as CS231n's
    version does), so that the views a transform makes from a given point
    on are the same on every run.

    Parameters
    ----------
    seed : int

    Returns
    -------
    train_transform : transforms.Compose
        Maps a PIL image (H, W) with 3 channels to a float32 tensor
        (3, 28, 28), normalized with CLUTTERED_MEAN and CLUTTERED_STD.
    """
    random.seed(seed)
    torch.random.manual_seed(seed)

    # Colour jitter: brightness, contrast and saturation factors drawn from
    # [0.2, 1.8], the hue turned by anything up to half the colour circle
    # either way. The colours of the cluttered digits are random and say
    # nothing about the digit: the views must not let them identify an image.
    color_jitter = transforms.ColorJitter(0.8, 0.8, 0.8, 0.5)

    train_transform = None
    # TODO: Compose, in this order:
    # 1. transforms.RandomResizedCrop of 28 pixels with scale=(0.3, 1.0);
    # 2. transforms.RandomHorizontalFlip with probability 0.5;
    # 3. color_jitter, applied with probability 0.8 (transforms.RandomApply);
    # 4. transforms.RandomGrayscale with probability 0.5;
    # 5. transforms.ToTensor();
    # 6. transforms.Normalize with CLUTTERED_MEAN and CLUTTERED_STD.
    # Every random transform draws from torch's generator, so the order and
    # the arguments decide which views a seed gives.
    ### BEGIN SOLUTION assignment3
    train_transform = transforms.Compose([
        transforms.RandomResizedCrop(28, scale=(0.3, 1.0)),
        transforms.RandomHorizontalFlip(p=0.5),
        transforms.RandomApply([color_jitter], p=0.8),
        transforms.RandomGrayscale(p=0.5),
        transforms.ToTensor(),
        transforms.Normalize(CLUTTERED_MEAN, CLUTTERED_STD),
    ])
    ### END SOLUTION
    return train_transform


def compute_test_transform():
    """The evaluation transform: no randomness, only tensor conversion and normalization.

    Returns
    -------
    test_transform : transforms.Compose
        Maps a PIL image to a float32 tensor (3, H, W).
    """
    return transforms.Compose([
        transforms.ToTensor(),
        transforms.Normalize(CLUTTERED_MEAN, CLUTTERED_STD),
    ])


def transform_images(images, transform=None):
    """Apply a transform to every image of an array.

    Parameters
    ----------
    images : ndarray of uint8, shape (N, H, W, 3)
    transform : callable or None
        Maps a PIL image to a tensor (3, H, W); ``compute_test_transform()``
        if None.

    Returns
    -------
    x : torch.Tensor of float32, shape (N, 3, H, W)
    """
    transform = transform or compute_test_transform()
    return torch.stack([transform(Image.fromarray(img)) for img in images])


class PairDataset(Dataset):
    """Images with two random views each, for SimCLR (CS231n's ``CIFAR10Pair``).

    Parameters
    ----------
    images : ndarray of uint8, shape (N, H, W, 3)
    labels : ndarray of int, shape (N,)
        Used only to evaluate; SimCLR never trains on them.
    transform : callable
        Maps a PIL image to a tensor (3, H, W), e.g.
        ``compute_train_transform()``.
    """

    def __init__(self, images, labels, transform):
        images = np.asarray(images)
        if images.ndim != 4 or images.shape[-1] != 3 or images.dtype != np.uint8:
            raise ValueError(f"images must be a uint8 array (N, H, W, 3), got {images.dtype} {images.shape}")
        if len(labels) != len(images):
            raise ValueError(f"{len(images)} images but {len(labels)} labels")
        self.data, self.targets, self.transform = images, np.asarray(labels), transform

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        """
        Returns
        -------
        x_i : torch.Tensor, shape (3, H, W)
            A first random view of image ``index``.
        x_j : torch.Tensor, shape (3, H, W)
            A second view, drawn independently of the first.
        target : int
            The label of the image.
        """
        img, target = Image.fromarray(self.data[index]), int(self.targets[index])
        x_i, x_j = None, None
        # TODO: Make two views of img, each by its own call of
        # self.transform: x_i first, then x_j.
        ### BEGIN SOLUTION assignment3
        x_i = self.transform(img)
        x_j = self.transform(img)
        ### END SOLUTION
        return x_i, x_j, target
