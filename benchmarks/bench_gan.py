"""Time the GANs of Assignment 3 per training iteration, on one CPU thread.

Run: ``python benchmarks/bench_gan.py``. For the vanilla and least squares
GANs (batches of 64) and the DCGAN (batches of 32) of ``cs231n/gan_pytorch.py``,
prints the best time of one ``run_a_gan`` iteration (a discriminator step and
a generator step) and the training time this projects for the number of
iterations the notebook runs. The baseline, measured in the same run, is the
same iteration with the networks of CS231n's notebook (a generator with 1024
units per layer; a DCGAN with 5x5 convolutions, max pooling and a 1024-unit
layer in the discriminator, and a 1024 -> 7 * 7 * 128 generator), which the
course shrank to fit its CPU budget. Also times training the scoring
classifier of ``cs231n/sample_quality.py`` from scratch.

The whole notebook end to end: ``python benchmarks/bench_notebooks.py
assignment3 Generative_Adversarial_Networks``.
"""
import time

from timing import best_of  # noqa: I001  (sets the BLAS threads before numpy loads)

import torch
import torch.nn as nn

from cs231n import gan_pytorch as gp
from cs231n import sample_quality as sq

# Iterations the notebook trains for: epochs x full batches of the 1437 training digits.
NOTEBOOK_ITERATIONS = {"vanilla": 80 * 22, "least squares": 80 * 22, "DCGAN": 14 * 44}


def cs231n_generator(noise_dim=gp.NOISE_DIM):
    return nn.Sequential(nn.Linear(noise_dim, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(),
                         nn.Linear(1024, 784), nn.Tanh())


def cs231n_dc_classifier():
    return nn.Sequential(gp.Unflatten(-1, 1, 28, 28), nn.Conv2d(1, 32, 5), nn.LeakyReLU(0.01), nn.MaxPool2d(2),
                         nn.Conv2d(32, 64, 5), nn.LeakyReLU(0.01), nn.MaxPool2d(2), gp.Flatten(),
                         nn.Linear(4 * 4 * 64, 4 * 4 * 64), nn.LeakyReLU(0.01), nn.Linear(4 * 4 * 64, 1))


def cs231n_dc_generator(noise_dim=gp.NOISE_DIM):
    return nn.Sequential(nn.Linear(noise_dim, 1024), nn.ReLU(), nn.BatchNorm1d(1024), nn.Linear(1024, 7 * 7 * 128),
                         nn.ReLU(), nn.BatchNorm1d(7 * 7 * 128), gp.Unflatten(-1, 128, 7, 7),
                         nn.ConvTranspose2d(128, 64, 4, stride=2, padding=1), nn.ReLU(), nn.BatchNorm2d(64),
                         nn.ConvTranspose2d(64, 1, 4, stride=2, padding=1), nn.Tanh(), gp.Flatten())


def digits_loader(batch_size):
    """The notebook's loader: the 1437 training digits in [0, 1], shuffled with a seeded generator."""
    from torch.utils.data import DataLoader, TensorDataset
    from cs231n.data_utils import get_data

    data = get_data("digits28", num_validation=0, subtract_mean=False)
    X = torch.tensor(data["X_train"] / 255.0, dtype=torch.float32)
    return DataLoader(TensorDataset(X, torch.tensor(data["y_train"])), batch_size=batch_size, shuffle=True,
                      generator=torch.Generator().manual_seed(0))


def seconds_per_iteration(D, G, losses, batch_size, epochs=3, repeats=2):
    """Best time of one run_a_gan iteration on the digits, over ``repeats`` runs of ``epochs`` epochs."""
    loader = digits_loader(batch_size)
    D_solver, G_solver = gp.get_optimizer(D), gp.get_optimizer(G)
    iterations = epochs * (1437 // batch_size)

    def run():
        gp.run_a_gan(D, G, D_solver, G_solver, *losses, loader, show_every=10 ** 9, batch_size=batch_size,
                     num_epochs=epochs, verbose=False)

    return best_of(run, repeats)[0] / iterations


def main():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    bce = (gp.discriminator_loss, gp.generator_loss)
    ls = (gp.ls_discriminator_loss, gp.ls_generator_loss)
    cases = [
        ("vanilla", 64, bce, lambda: (gp.discriminator(), gp.generator()),
         lambda: (gp.discriminator(), cs231n_generator())),
        ("least squares", 64, ls, lambda: (gp.discriminator(), gp.generator()),
         lambda: (gp.discriminator(), cs231n_generator())),
        ("DCGAN", 32, bce, lambda: (gp.build_dc_classifier(), gp.build_dc_generator()),
         lambda: (cs231n_dc_classifier(), cs231n_dc_generator())),
    ]
    print("one thread; best of 2 runs of 3 epochs of the digits")
    print(f"{'GAN':<15}{'batch':>6}{'ms/iter':>9}{'CS231n sizes':>14}{'speed-up':>10}{'iterations':>12}"
          f"{'training s':>12}")
    total = 0.0
    for name, batch, losses, ours, theirs in cases:
        t_ours = seconds_per_iteration(*ours(), losses, batch)
        t_theirs = seconds_per_iteration(*theirs(), losses, batch)
        n = NOTEBOOK_ITERATIONS[name]
        total += n * t_ours
        print(f"{name:<15}{batch:>6}{1000 * t_ours:>9.1f}{1000 * t_theirs:>14.1f}{t_theirs / t_ours:>9.1f}x"
              f"{n:>12}{n * t_ours:>12.1f}")
    print(f"{'three GANs':<15}{'':>6}{'':>9}{'':>14}{'':>10}{'':>12}{total:>12.1f}")

    start = time.perf_counter()
    _, accuracy = sq.train_classifier()
    print(f"\nscoring classifier trained from scratch in {time.perf_counter() - start:.1f} s "
          f"(accuracy {accuracy:.3f} on the held-out digits)")


if __name__ == "__main__":
    main()
