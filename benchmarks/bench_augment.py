"""Throughput of SimCLR's augmentation on the cluttered digits, against plain conversion.

Run: ``python benchmarks/bench_augment.py [--images 2000] [--repeats 3]``.
Prints images per second, on one thread, of

- the baseline measured in the same run: ``compute_test_transform`` (PIL image
  to tensor, then normalization), the least any transform does;
- each step of ``compute_train_transform`` added in turn (crop, flip, colour
  jitter with its probability, grayscale: the whole transform), so the cost
  of every step shows;
- a ``PairDataset`` (two views per image: what one epoch of pretraining pays
  for its augmentation).

One epoch of SimCLR makes two views of each of the 5000 training images; the
last line converts the pair rate into seconds of augmentation per epoch.
"""
import argparse
import random

from timing import best_of  # noqa: I001  (sets the BLAS threads before numpy loads)

import torch
from PIL import Image
from torchvision import transforms

from cs231n.simclr.data_utils import (CLUTTERED_MEAN, CLUTTERED_STD, PairDataset, compute_test_transform,
                                      compute_train_transform, get_image_data)


def prefix_transforms():
    """The training transform cut after each of its first random steps (same arguments), plus the
    tensor steps; after the last one (grayscale) it is the whole transform."""
    steps = compute_train_transform(0).transforms
    tail = [transforms.ToTensor(), transforms.Normalize(CLUTTERED_MEAN, CLUTTERED_STD)]
    names = ["+ crop", "+ flip", "+ colour jitter (p = 0.8)"]
    return [(name, transforms.Compose(list(steps[:i + 1]) + tail)) for i, name in enumerate(names)]


def rate(transform, images, repeats):
    """Images per second of ``transform`` over PIL ``images`` (best of ``repeats``)."""
    def run():
        for img in images:
            transform(img)
    seconds, _ = best_of(run, repeats)
    return len(images) / seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    torch.set_num_threads(1)
    random.seed(0)
    torch.manual_seed(0)
    data = get_image_data("cluttered_digits")
    arrays = data["X_train"][:args.images]
    images = [Image.fromarray(a) for a in arrays]
    print(f"{len(images)} cluttered digits (28x28 RGB), one thread, best of {args.repeats}")

    baseline = rate(compute_test_transform(), images, args.repeats)
    rows = [("test transform (baseline)", baseline)]
    rows += [(name, rate(t, images, args.repeats)) for name, t in prefix_transforms()]
    train_rate = rate(compute_train_transform(0), images, args.repeats)
    rows.append(("+ grayscale: compute_train_transform", train_rate))

    pairs = PairDataset(arrays, data["y_train"][:args.images], compute_train_transform(0))
    seconds, _ = best_of(lambda: [pairs[i] for i in range(len(pairs))], args.repeats)
    pair_rate = len(pairs) / seconds
    rows.append(("PairDataset (two views per item)", pair_rate))

    print(f"{'transform':<40}{'images/s':>12}{'vs baseline':>14}")
    for name, r in rows:
        print(f"{name:<40}{r:>12.0f}{r / baseline:>13.2f}x")
    print(f"augmentation of one pretraining epoch (5000 pairs): {5000 / pair_rate:.1f} s")


if __name__ == "__main__":
    main()
