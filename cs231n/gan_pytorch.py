"""Generative adversarial networks in PyTorch: the vanilla GAN, the least squares GAN and a DCGAN.

A generator G maps noise z (N, noise_dim), uniform in [-1, 1], to images
(N, 784) in [-1, 1] (the pixels of 28x28 images, tanh outputs); a
discriminator D maps images to one logit each, (N, 1), large for images it
takes for real. The two are trained in turns on opposite objectives by
``run_a_gan``. Real images come from a ``DataLoader`` of (N, 1, 28, 28)
tensors in [0, 1] (the digits of ``get_data("digits28")``, or MNIST), which
``preprocess_img`` maps to [-1, 1], the range of the generator's output.

The networks are sized for the 28x28 digits on one CPU core (an iteration of
the fully connected pair on batches of 64 takes 15 to 22 ms, one of the DCGAN
on batches of 32 30 to 55 ms, a third or less of the time CS231n's larger
networks take: ``benchmarks/bench_gan.py``), and run unchanged on MNIST, which
has the same format.
"""
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

NOISE_DIM = 96
dtype = torch.float32


# ------------------------------------------------------------------ provided helpers

def preprocess_img(x):
    """Pixels in [0, 1] -> [-1, 1], the range of the generator's tanh output."""
    return 2 * x - 1.0


def deprocess_img(x):
    """Pixels in [-1, 1] (generator output) -> [0, 1], for display and scoring."""
    return (x + 1.0) / 2.0


def rel_error(x, y):
    """Largest relative error between two arrays (or tensors), as in the other notebooks."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def count_params(model):
    """Number of parameters (scalars) of a model: the sum of the sizes of its parameter tensors."""
    return int(sum(p.numel() for p in model.parameters()))


class Flatten(nn.Module):
    """(N, C, H, W) (or any (N, ...)) -> (N, C * H * W): each example as a row."""

    def forward(self, x):
        N = x.shape[0]
        return x.reshape(N, -1)


class Unflatten(nn.Module):
    """(N, C * H * W) -> (N, C, H, W). ``N = -1`` (the default) accepts any batch size."""

    def __init__(self, N=-1, C=128, H=7, W=7):
        super().__init__()
        self.N, self.C, self.H, self.W = N, C, H, W

    def forward(self, x):
        return x.reshape(self.N, self.C, self.H, self.W)


def initialize_weights(m):
    """Xavier-uniform weights and zero biases for linear and (transposed) convolution layers.

    Use as ``model.apply(initialize_weights)``: ``apply`` calls it on every
    submodule. Other layers (batch normalization) keep their own defaults.
    """
    if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.xavier_uniform_(m.weight.data)
        if m.bias is not None:
            nn.init.zeros_(m.bias.data)


def bce_loss(input, target):
    """Binary cross-entropy of logits, averaged over the batch.

    ``mean_i [-t_i log(sigmoid(s_i)) - (1 - t_i) log(1 - sigmoid(s_i))]``,
    computed from the logits ``s`` directly (``log(sigmoid(s)) = -softplus(-s)``),
    so that it neither overflows nor loses precision for large ``|s|``.

    Parameters
    ----------
    input : torch.Tensor, shape (N,) or (N, 1)
        Logits (any real numbers), not probabilities.
    target : torch.Tensor, same number of entries
        Labels in [0, 1].

    Returns
    -------
    loss : torch.Tensor, shape ()
    """
    return F.binary_cross_entropy_with_logits(input.reshape(-1), target.reshape(-1).to(input.dtype))


# ------------------------------------------------------------------ noise

def sample_noise(batch_size, dim, seed=None):
    """Noise for the generator: independent entries, uniform in [-1, 1].

    Draws from torch's global random generator; ``seed`` (if given) seeds it
    first, as ``torch.manual_seed(seed)`` does.

    Parameters
    ----------
    batch_size : int
        Number of noise vectors N.
    dim : int
        Dimension of each vector.

    Returns
    -------
    noise : torch.Tensor of float32, shape (batch_size, dim)
    """
    if seed is not None:
        torch.manual_seed(seed)
    noise = None
    # TODO: Draw a (batch_size, dim) tensor uniform in [-1, 1]. torch.rand draws
    # from [0, 1): stretch and shift it. Use torch's global generator (no new one).
    ### BEGIN SOLUTION assignment3
    noise = 2 * torch.rand(batch_size, dim) - 1
    ### END SOLUTION
    return noise


# ------------------------------------------------------------------ the fully connected pair

def discriminator(seed=None):
    """The discriminator of the vanilla GAN, a fully connected network.

    Flatten - linear 784 -> 256 - LeakyReLU (slope 0.01) - linear 256 -> 256 -
    LeakyReLU (slope 0.01) - linear 256 -> 1.

    Parameters
    ----------
    seed : int or None
        If given, ``torch.manual_seed(seed)`` before the layers are created.

    Returns
    -------
    model : torch.nn.Sequential
        Maps images (N, 1, 28, 28) or (N, 784) to logits (N, 1); 267,009
        parameters.
    """
    if seed is not None:
        torch.manual_seed(seed)
    model = None
    # TODO: Build the network above with nn.Sequential: Flatten() (given above),
    # nn.Linear and nn.LeakyReLU(0.01). PyTorch's default initialisation is fine.
    ### BEGIN SOLUTION assignment3
    model = nn.Sequential(
        Flatten(),
        nn.Linear(784, 256),
        nn.LeakyReLU(0.01),
        nn.Linear(256, 256),
        nn.LeakyReLU(0.01),
        nn.Linear(256, 1),
    )
    ### END SOLUTION
    return model


def generator(noise_dim=NOISE_DIM, seed=None):
    """The generator of the vanilla GAN, a fully connected network.

    linear noise_dim -> 256 - ReLU - linear 256 -> 256 - ReLU - linear 256 ->
    784 - tanh.

    Parameters
    ----------
    noise_dim : int
        Dimension of the noise vectors.
    seed : int or None
        If given, ``torch.manual_seed(seed)`` before the layers are created.

    Returns
    -------
    model : torch.nn.Sequential
        Maps noise (N, noise_dim) to images (N, 784) in [-1, 1]; 292,112
        parameters for noise_dim = 96.
    """
    if seed is not None:
        torch.manual_seed(seed)
    model = None
    # TODO: Build the network above with nn.Sequential, nn.Linear, nn.ReLU and nn.Tanh.
    ### BEGIN SOLUTION assignment3
    model = nn.Sequential(
        nn.Linear(noise_dim, 256),
        nn.ReLU(),
        nn.Linear(256, 256),
        nn.ReLU(),
        nn.Linear(256, 784),
        nn.Tanh(),
    )
    ### END SOLUTION
    return model


# ------------------------------------------------------------------ losses

def discriminator_loss(logits_real, logits_fake):
    """The discriminator's loss of the GAN: binary cross-entropy, real images labelled 1.

    ``bce(s_real, 1) + bce(s_fake, 0)``, each term a mean over its batch,
    i.e. ``-mean_i log D(x_i) - mean_i log(1 - D(G(z_i)))`` with ``D`` the
    sigmoid of the logit.

    Parameters
    ----------
    logits_real : torch.Tensor, shape (N,) or (N, 1)
        Logits of the discriminator on real images.
    logits_fake : torch.Tensor, shape (N,) or (N, 1)
        Logits of the discriminator on generated images.

    Returns
    -------
    loss : torch.Tensor, shape ()
    """
    loss = None
    # TODO: Use bce_loss (above) with targets of ones for the real logits and of
    # zeros for the fake ones (torch.ones_like, torch.zeros_like), and add the two.
    ### BEGIN SOLUTION assignment3
    real_term = bce_loss(logits_real, torch.ones_like(logits_real))
    fake_term = bce_loss(logits_fake, torch.zeros_like(logits_fake))
    loss = real_term + fake_term
    ### END SOLUTION
    return loss


def generator_loss(logits_fake):
    """The generator's non-saturating loss: ``-mean_i log D(G(z_i))``.

    The generator maximises the log-probability that the discriminator
    takes its samples for real, ``bce(s_fake, 1)``, rather than minimising
    ``log(1 - D(G(z)))``, whose gradient vanishes when the discriminator
    rejects the samples confidently (early in training).

    Parameters
    ----------
    logits_fake : torch.Tensor, shape (N,) or (N, 1)
        Logits of the discriminator on generated images.

    Returns
    -------
    loss : torch.Tensor, shape ()
    """
    loss = None
    # TODO: bce_loss of the fake logits with targets of ones.
    ### BEGIN SOLUTION assignment3
    loss = bce_loss(logits_fake, torch.ones_like(logits_fake))
    ### END SOLUTION
    return loss


def get_optimizer(model):
    """Adam for one of the networks: learning rate 1e-3, beta1 = 0.5, beta2 = 0.999.

    A beta1 of 0.5 instead of Adam's default 0.9 keeps less momentum: the
    objective of each network moves as the other one learns (Radford et al.,
    2016).

    Parameters
    ----------
    model : torch.nn.Module

    Returns
    -------
    optimizer : torch.optim.Adam
        On ``model.parameters()``.
    """
    optimizer = None
    # TODO: torch.optim.Adam on model.parameters() with the learning rate and betas above.
    ### BEGIN SOLUTION assignment3
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, betas=(0.5, 0.999))
    ### END SOLUTION
    return optimizer


def ls_discriminator_loss(scores_real, scores_fake):
    """The discriminator's loss of the least squares GAN (Mao et al., 2017).

    ``1/2 mean_i (D(x_i) - 1)^2 + 1/2 mean_i D(G(z_i))^2``, with ``D`` the
    raw score (no sigmoid): real images are pulled to 1, fakes to 0.

    Parameters
    ----------
    scores_real : torch.Tensor, shape (N,) or (N, 1)
        Scores of the discriminator on real images.
    scores_fake : torch.Tensor, shape (N,) or (N, 1)
        Scores of the discriminator on generated images.

    Returns
    -------
    loss : torch.Tensor, shape ()
    """
    loss = None
    # TODO: The formula above, with torch operations (.mean(), ** 2).
    ### BEGIN SOLUTION assignment3
    loss = 0.5 * ((scores_real - 1) ** 2).mean() + 0.5 * (scores_fake ** 2).mean()
    ### END SOLUTION
    return loss


def ls_generator_loss(scores_fake):
    """The generator's loss of the least squares GAN: ``1/2 mean_i (D(G(z_i)) - 1)^2``.

    Parameters
    ----------
    scores_fake : torch.Tensor, shape (N,) or (N, 1)
        Scores of the discriminator on generated images.

    Returns
    -------
    loss : torch.Tensor, shape ()
    """
    loss = None
    # TODO: The formula above.
    ### BEGIN SOLUTION assignment3
    loss = 0.5 * ((scores_fake - 1) ** 2).mean()
    ### END SOLUTION
    return loss


# ------------------------------------------------------------------ DCGAN

def build_dc_classifier(batch_size=-1):
    """The discriminator of the DCGAN, a small convolutional network.

    Unflatten to (N, 1, 28, 28) - conv 4x4, 16 filters, stride 2, padding 1
    (-> 14x14) - LeakyReLU (slope 0.01) - conv 4x4, 32 filters, stride 2,
    padding 1 (-> 7x7) - LeakyReLU (slope 0.01) - Flatten - linear
    32 * 7 * 7 -> 1.

    Strided convolutions downsample instead of max pooling, as in the
    DCGAN of Radford et al. (2016): the network learns its own downsampling.

    Parameters
    ----------
    batch_size : int
        The N of ``Unflatten``; -1 (the default) accepts any batch size.

    Returns
    -------
    model : torch.nn.Sequential
        Maps images (N, 784) or (N, 1, 28, 28) to logits (N, 1); 10,065
        parameters.
    """
    model = None
    # TODO: Build the network above with nn.Sequential: Unflatten(batch_size, 1, 28, 28),
    # nn.Conv2d, nn.LeakyReLU(0.01), Flatten() and nn.Linear.
    ### BEGIN SOLUTION assignment3
    model = nn.Sequential(
        Unflatten(batch_size, 1, 28, 28),
        nn.Conv2d(1, 16, kernel_size=4, stride=2, padding=1),
        nn.LeakyReLU(0.01),
        nn.Conv2d(16, 32, kernel_size=4, stride=2, padding=1),
        nn.LeakyReLU(0.01),
        Flatten(),
        nn.Linear(32 * 7 * 7, 1),
    )
    ### END SOLUTION
    return model


def build_dc_generator(noise_dim=NOISE_DIM):
    """The generator of the DCGAN: fully connected layers, then transposed convolutions.

    linear noise_dim -> 256 - ReLU - BatchNorm1d - linear 256 -> 7 * 7 * 32 -
    ReLU - BatchNorm1d - Unflatten to (N, 32, 7, 7) - transposed conv 4x4,
    16 filters, stride 2, padding 1 (-> 14x14) - ReLU - BatchNorm2d -
    transposed conv 4x4, 1 filter, stride 2, padding 1 (-> 28x28) - tanh -
    Flatten.

    A transposed convolution with kernel 4, stride 2 and padding 1 doubles
    the height and width: H_out = (H - 1) * 2 - 2 * 1 + 4 = 2 H.

    Parameters
    ----------
    noise_dim : int
        Dimension of the noise vectors.

    Returns
    -------
    model : torch.nn.Sequential
        Maps noise (N, noise_dim) to images (N, 784) in [-1, 1]; 439,953
        parameters for noise_dim = 96.
    """
    model = None
    # TODO: Build the network above with nn.Sequential: nn.Linear, nn.ReLU, nn.BatchNorm1d,
    # Unflatten(-1, 32, 7, 7), nn.ConvTranspose2d, nn.BatchNorm2d, nn.Tanh and Flatten().
    ### BEGIN SOLUTION assignment3
    model = nn.Sequential(
        nn.Linear(noise_dim, 256),
        nn.ReLU(),
        nn.BatchNorm1d(256),
        nn.Linear(256, 7 * 7 * 32),
        nn.ReLU(),
        nn.BatchNorm1d(7 * 7 * 32),
        Unflatten(-1, 32, 7, 7),
        nn.ConvTranspose2d(32, 16, kernel_size=4, stride=2, padding=1),
        nn.ReLU(),
        nn.BatchNorm2d(16),
        nn.ConvTranspose2d(16, 1, kernel_size=4, stride=2, padding=1),
        nn.Tanh(),
        Flatten(),
    )
    ### END SOLUTION
    return model


# ------------------------------------------------------------------ training

def run_a_gan(D, G, D_solver, G_solver, discriminator_loss, generator_loss, loader_train, show_every=250,
              batch_size=128, noise_size=NOISE_DIM, num_epochs=10, num_show=16, verbose=True):
    """Train a GAN: one discriminator step, then one generator step, per minibatch.

    Each iteration:

    1. the discriminator sees a batch of real images (scaled to [-1, 1]) and
       a batch of generated ones, detached from the generator, and takes a
       step on ``discriminator_loss(logits_real, logits_fake)``;
    2. the generator makes a new batch and takes a step on
       ``generator_loss(logits_fake)``, its gradient flowing back through
       the discriminator (whose parameters only its own solver updates).

    Every ``show_every`` iterations (and after the last one) it prints the
    two losses and keeps generated images of one fixed noise batch, so that
    the snapshots show the same noise vectors as training goes on. Batches
    smaller than ``batch_size`` (the last of an epoch) are skipped.

    Parameters
    ----------
    D, G : torch.nn.Module
        Discriminator (images (N, 1, 28, 28) -> logits (N, 1)) and generator
        (noise (N, noise_size) -> images (N, 784) in [-1, 1]).
    D_solver, G_solver : torch.optim.Optimizer
        Optimizers of D's and of G's parameters.
    discriminator_loss, generator_loss : callable
        ``discriminator_loss(logits_real, logits_fake)`` and
        ``generator_loss(logits_fake)``, each a scalar tensor.
    loader_train : torch.utils.data.DataLoader
        Batches ``(x, y)`` of real images x (N, 1, 28, 28) in [0, 1].
    show_every : int
        Iterations between snapshots and printed losses.
    batch_size : int
        Size of the real and of the generated batches.
    noise_size : int
        Dimension of the generator's noise.
    num_epochs : int
        Passes over ``loader_train``.
    num_show : int
        Images per snapshot.
    verbose : bool
        Print the losses at every snapshot.

    Returns
    -------
    history : dict
        ``images``: list of snapshots, each an ndarray (num_show, 784) in
        [0, 1]; ``iterations``: the iteration of each snapshot;
        ``d_loss``, ``g_loss``: lists of float, one per iteration;
        ``seconds``: training time (float).
    """
    history = {"images": [], "iterations": [], "d_loss": [], "g_loss": [], "seconds": 0.0}
    fixed_noise = sample_noise(num_show, noise_size).type(dtype)
    start = time.perf_counter()
    iter_count = 0

    def snapshot():
        with torch.no_grad():
            images = deprocess_img(G(fixed_noise)).reshape(num_show, -1)
        history["images"].append(images.numpy().clip(0, 1))
        history["iterations"].append(iter_count)
        if verbose:
            print(f"Iter: {iter_count:5d}, D: {history['d_loss'][-1]:.4g}, G: {history['g_loss'][-1]:.4g}"
                  f"  ({time.perf_counter() - start:.1f} s)")

    for epoch in range(num_epochs):
        D.train()
        G.train()
        for x, _ in loader_train:
            if len(x) != batch_size:
                continue
            D_solver.zero_grad()
            real_data = preprocess_img(x.type(dtype))
            logits_real = D(real_data)
            g_fake_seed = sample_noise(batch_size, noise_size).type(dtype)
            fake_images = G(g_fake_seed).detach()
            logits_fake = D(fake_images.view(batch_size, 1, 28, 28))
            d_total_error = discriminator_loss(logits_real, logits_fake)
            d_total_error.backward()
            D_solver.step()

            G_solver.zero_grad()
            g_fake_seed = sample_noise(batch_size, noise_size).type(dtype)
            fake_images = G(g_fake_seed)
            gen_logits_fake = D(fake_images.view(batch_size, 1, 28, 28))
            g_error = generator_loss(gen_logits_fake)
            g_error.backward()
            G_solver.step()

            history["d_loss"].append(d_total_error.item())
            history["g_loss"].append(g_error.item())
            iter_count += 1
            if iter_count % show_every == 0:
                snapshot()
    if iter_count % show_every != 0 and iter_count > 0:
        snapshot()
    history["seconds"] = time.perf_counter() - start
    return history


def generate(G, num_samples, noise_dim=NOISE_DIM, seed=0, batch_size=500):
    """Images from a trained generator, for looking at and for scoring.

    The noise comes from a ``torch.Generator`` of its own seeded with
    ``seed`` (torch's global random state is left alone), and the generator
    runs in eval mode (batch normalization with its running averages), with
    no gradients, and is put back in the mode it was in.

    Parameters
    ----------
    G : torch.nn.Module
        Maps noise (N, noise_dim) to images with N * 784 entries in [-1, 1].
    num_samples : int
    noise_dim : int
    seed : int

    Returns
    -------
    images : ndarray of float32, shape (num_samples, 784)
        Values in [0, 1].
    """
    gen = torch.Generator().manual_seed(seed)
    noise = torch.empty(num_samples, noise_dim).uniform_(-1, 1, generator=gen)
    was_training = G.training
    G.eval()
    try:
        with torch.no_grad():
            images = [deprocess_img(G(noise[i:i + batch_size])).reshape(-1, 784)
                      for i in range(0, num_samples, batch_size)]
    finally:
        G.train(was_training)
    return torch.cat(images).numpy()


def tile_images(images, cols=None, padding=1):
    """Images (N, 784), (N, 28, 28) or (N, 1, 28, 28) tiled into one grey picture.

    Parameters
    ----------
    images : array, values in [0, 1]
    cols : int or None
        Images per row; None makes the grid as square as possible.
    padding : int
        Pixels of background (value 1, white) between neighbouring images.

    Returns
    -------
    grid : ndarray of float, shape (rows * (S + padding) - padding, cols * (S + padding) - padding)
        ``S`` is the side of one image (28); cells beyond N stay white.
    """
    images = np.asarray(images, dtype=np.float64).reshape(len(images), -1)
    side = int(round(np.sqrt(images.shape[1])))
    cols = cols or int(np.ceil(np.sqrt(len(images))))
    rows = int(np.ceil(len(images) / cols))
    step = side + padding
    grid = np.ones((rows * step - padding, cols * step - padding))
    for i, img in enumerate(images):
        r, c = divmod(i, cols)
        grid[r * step:r * step + side, c * step:c * step + side] = img.reshape(side, side)
    return grid


def show_images(images, title=None, cols=None, ax=None):
    """Plot images (N, 784) or (N, 28, 28) with values in [0, 1] as one grid (black = 0)."""
    import matplotlib.pyplot as plt

    grid = tile_images(images, cols)
    if ax is None:
        _, ax = plt.subplots(figsize=(grid.shape[1] / 40, grid.shape[0] / 40))
    ax.imshow(grid, cmap="gray", vmin=0, vmax=1)
    ax.axis("off")
    if title:
        ax.set_title(title)
    return ax


def plot_history(history, title="", smooth=20):
    """The snapshots of ``run_a_gan`` side by side, and the two losses below them.

    Parameters
    ----------
    history : dict
        As returned by ``run_a_gan``.
    title : str
    smooth : int
        The losses are also drawn as moving averages over this many iterations.
    """
    import matplotlib.pyplot as plt

    snaps = list(zip(history["iterations"], history["images"]))
    fig = plt.figure(figsize=(2.1 * max(len(snaps), 4), 5.2))
    grid = fig.add_gridspec(2, max(len(snaps), 1), height_ratios=[1, 1.1])
    for i, (it, images) in enumerate(snaps):
        show_images(images, f"iteration {it}", cols=4, ax=fig.add_subplot(grid[0, i]))
    ax = fig.add_subplot(grid[1, :])
    for key, colour in (("d_loss", "C0"), ("g_loss", "C1")):
        values = np.asarray(history[key])
        ax.plot(values, color=colour, alpha=0.25, lw=0.8)
        if len(values) >= smooth:
            kernel = np.ones(smooth) / smooth
            ax.plot(np.arange(smooth - 1, len(values)), np.convolve(values, kernel, mode="valid"), color=colour,
                    label=f"{'discriminator' if key == 'd_loss' else 'generator'} loss ({smooth}-iteration mean)")
    ax.set_xlabel("iteration")
    ax.set_ylabel("loss")
    ax.legend(loc="upper right")
    fig.suptitle(title)
    fig.tight_layout()
    return fig
