import math

import numpy as np
import pytest
import torch
import torch.nn as nn

from cs231n import gan_pytorch as gp

torch.set_num_threads(1)


def _log_sigmoid(s):
    """log(1 / (1 + exp(-s))), stable for any s (NumPy, independent of torch)."""
    return -np.logaddexp(0.0, -s)


# ------------------------------------------------------------------ helpers

def test_preprocess_and_deprocess_are_inverse_affine_maps():
    x = torch.linspace(0, 1, 11)
    np.testing.assert_allclose(gp.preprocess_img(x).numpy(), np.linspace(-1, 1, 11), atol=1e-7)
    np.testing.assert_allclose(gp.deprocess_img(gp.preprocess_img(x)).numpy(), x.numpy(), atol=1e-7)


def test_flatten_and_unflatten():
    x = torch.arange(2 * 3 * 4 * 5.0).reshape(2, 3, 4, 5)
    flat = gp.Flatten()(x)
    assert flat.shape == (2, 60)
    assert torch.equal(gp.Unflatten(-1, 3, 4, 5)(flat), x)
    assert gp.Flatten()(torch.zeros(1, 7)).shape == (1, 7)  # a batch of one keeps its dimension


def test_count_params_and_initialize_weights():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(30, 20), nn.ReLU(), nn.ConvTranspose2d(4, 2, 3), nn.BatchNorm1d(5))
    assert gp.count_params(model) == 30 * 20 + 20 + 4 * 2 * 9 + 2 + 2 * 5
    model.apply(gp.initialize_weights)
    linear, convt, bn = model[0], model[2], model[3]
    assert torch.all(linear.bias == 0) and torch.all(convt.bias == 0)
    bound = math.sqrt(6 / (30 + 20))  # Xavier uniform: U(-b, b), b = sqrt(6 / (fan_in + fan_out))
    assert linear.weight.abs().max() <= bound and linear.weight.abs().max() > 0.9 * bound
    assert torch.all(bn.weight == 1) and torch.all(bn.bias == 0)  # left alone


def test_bce_loss_matches_the_formula_and_is_stable():
    s = np.array([-80.0, -3.0, -0.5, 0.0, 0.7, 4.0, 80.0])
    t = np.array([1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 0.0])
    expected = np.mean(-t * _log_sigmoid(s) - (1 - t) * _log_sigmoid(-s))
    got = gp.bce_loss(torch.tensor(s), torch.tensor(t))
    assert got.shape == () and np.isfinite(got.item())
    np.testing.assert_allclose(got.item(), expected, rtol=1e-12)
    # (N, 1) logits as the discriminators return them
    np.testing.assert_allclose(gp.bce_loss(torch.tensor(s)[:, None], torch.tensor(t)).item(), expected, rtol=1e-12)


# ------------------------------------------------------------------ noise

def test_sample_noise_shape_range_and_statistics():
    torch.manual_seed(0)
    z = gp.sample_noise(2000, 96)
    assert z.shape == (2000, 96) and z.dtype == torch.float32
    assert z.min() >= -1 and z.max() <= 1 and z.min() < -0.999 and z.max() > 0.999
    assert abs(z.mean().item()) < 0.01
    assert abs(z.std().item() - 1 / math.sqrt(3)) < 0.005


def test_sample_noise_seed():
    a, b = gp.sample_noise(3, 4, seed=5), gp.sample_noise(3, 4, seed=5)
    assert torch.equal(a, b)
    assert not torch.equal(a, gp.sample_noise(3, 4, seed=6))
    assert not torch.equal(gp.sample_noise(3, 4), gp.sample_noise(3, 4))


# ------------------------------------------------------------------ networks

@pytest.mark.parametrize("build, count", [(gp.discriminator, 267_009), (gp.build_dc_classifier, 10_065)])
def test_discriminators_map_images_to_one_logit(build, count):
    D = build()
    assert gp.count_params(D) == count
    x = torch.rand(5, 1, 28, 28)
    out = D(x)
    assert out.shape == (5, 1)
    torch.testing.assert_close(D(x.reshape(5, 784)), out)


def test_discriminator_layers():
    D = gp.discriminator(seed=0)
    linears = [m for m in D if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(784, 256), (256, 256), (256, 1)]
    slopes = [m.negative_slope for m in D if isinstance(m, nn.LeakyReLU)]
    assert slopes == [0.01, 0.01]
    # seed: the same weights twice
    assert all(torch.equal(p, q) for p, q in zip(D.parameters(), gp.discriminator(seed=0).parameters()))


@pytest.mark.parametrize("build, count", [(gp.generator, 292_112), (gp.build_dc_generator, 439_953)])
def test_generators_map_noise_to_images_in_range(build, count):
    torch.manual_seed(0)
    G = build(gp.NOISE_DIM)
    assert gp.count_params(G) == count
    out = G(10 * gp.sample_noise(8, gp.NOISE_DIM))
    assert out.shape == (8, 784)
    assert out.min() >= -1 and out.max() <= 1 and out.abs().max() > 0.5  # tanh, and not stuck at 0
    assert gp.count_params(build(10)) == count - (gp.NOISE_DIM - 10) * 256


def test_generator_seed_and_noise_dim():
    a, b = gp.generator(20, seed=3), gp.generator(20, seed=3)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert a(torch.zeros(2, 20)).shape == (2, 784)


def test_dc_generator_upsamples_7_14_28():
    G = gp.build_dc_generator()
    convs = [m for m in G if isinstance(m, nn.ConvTranspose2d)]
    x = torch.zeros(2, 32, 7, 7)
    x = convs[0](x)
    assert x.shape == (2, 16, 14, 14)
    assert convs[1](x).shape == (2, 1, 28, 28)


def test_dc_classifier_downsamples_28_14_7():
    D = gp.build_dc_classifier(batch_size=3)
    convs = [m for m in D if isinstance(m, nn.Conv2d)]
    x = convs[0](torch.zeros(3, 1, 28, 28))
    assert x.shape == (3, 16, 14, 14)
    assert convs[1](x).shape == (3, 32, 7, 7)


# ------------------------------------------------------------------ losses

def _logits(seed, n, scale=3.0):
    return scale * np.random.RandomState(seed).randn(n)


def test_discriminator_and_generator_loss_match_the_formulas():
    real, fake = _logits(0, 9), _logits(1, 9)
    d = gp.discriminator_loss(torch.tensor(real)[:, None], torch.tensor(fake)[:, None])
    g = gp.generator_loss(torch.tensor(fake)[:, None])
    # -E log D(x) - E log(1 - D(G(z))), with D = sigmoid and 1 - sigmoid(s) = sigmoid(-s)
    np.testing.assert_allclose(d.item(), -_log_sigmoid(real).mean() - _log_sigmoid(-fake).mean(), rtol=1e-12)
    # non-saturating: -E log D(G(z))
    np.testing.assert_allclose(g.item(), -_log_sigmoid(fake).mean(), rtol=1e-12)


def test_losses_at_the_discriminators_equilibrium():
    zeros = torch.zeros(4, 1)
    np.testing.assert_allclose(gp.discriminator_loss(zeros, zeros).item(), 2 * math.log(2), rtol=1e-6)
    np.testing.assert_allclose(gp.generator_loss(zeros).item(), math.log(2), rtol=1e-6)


def test_losses_are_finite_for_confident_logits():
    big = torch.tensor([[90.0], [-90.0]], dtype=torch.float64)
    d = gp.discriminator_loss(big, -big)
    g = gp.generator_loss(big)
    assert np.isfinite(d.item()) and np.isfinite(g.item())
    np.testing.assert_allclose(d.item(), 90.0, rtol=1e-9)  # one confident mistake per term: (90 + 0) / 2 * 2
    np.testing.assert_allclose(g.item(), 45.0, rtol=1e-9)


def test_loss_gradients_by_gradcheck():
    real = torch.tensor(_logits(2, 5), requires_grad=True)
    fake = torch.tensor(_logits(3, 5), requires_grad=True)
    for fn, inputs in ((gp.discriminator_loss, (real, fake)), (gp.generator_loss, (fake,)),
                       (gp.ls_discriminator_loss, (real, fake)), (gp.ls_generator_loss, (fake,))):
        assert torch.autograd.gradcheck(fn, inputs)


def test_generator_gradient_does_not_vanish_when_the_discriminator_wins():
    # The reason for the non-saturating loss: at D(G(z)) = sigmoid(-10), log(1 - D) is flat in the logit.
    s = torch.tensor([-10.0], dtype=torch.float64, requires_grad=True)
    gp.generator_loss(s).backward()
    assert abs(s.grad.item()) > 0.99  # d/ds -log sigmoid(s) = sigmoid(s) - 1 = -1 + 4.5e-5
    t = torch.tensor([-10.0], dtype=torch.float64, requires_grad=True)
    torch.log(1 - torch.sigmoid(t)).sum().backward()  # the saturating alternative, for contrast
    assert abs(t.grad.item()) < 1e-4


def test_ls_losses_match_the_formulas():
    real, fake = _logits(4, 7, 1.0), _logits(5, 7, 1.0)
    d = gp.ls_discriminator_loss(torch.tensor(real)[:, None], torch.tensor(fake)[:, None])
    g = gp.ls_generator_loss(torch.tensor(fake)[:, None])
    np.testing.assert_allclose(d.item(), 0.5 * np.mean((real - 1) ** 2) + 0.5 * np.mean(fake ** 2), rtol=1e-12)
    np.testing.assert_allclose(g.item(), 0.5 * np.mean((fake - 1) ** 2), rtol=1e-12)
    assert d.shape == () and g.shape == ()


def test_get_optimizer_is_adam_with_the_gan_settings():
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 1))
    opt = gp.get_optimizer(model)
    assert isinstance(opt, torch.optim.Adam)
    (group,) = opt.param_groups
    assert group["lr"] == 1e-3 and tuple(group["betas"]) == (0.5, 0.999) and group["weight_decay"] == 0
    assert {id(p) for p in group["params"]} == {id(p) for p in model.parameters()}


# ------------------------------------------------------------------ training

def _tiny_loader(n=40, batch_size=8):
    from torch.utils.data import DataLoader, TensorDataset

    g = torch.Generator().manual_seed(0)
    X = torch.rand(n, 1, 28, 28, generator=g)
    return DataLoader(TensorDataset(X, torch.zeros(n, dtype=torch.long)), batch_size=batch_size, shuffle=True,
                      generator=torch.Generator().manual_seed(1))


def _train_tiny(seed, capsys=None):
    torch.manual_seed(seed)
    D, G = gp.discriminator(), gp.generator()
    before = [p.detach().clone() for p in list(D.parameters()) + list(G.parameters())]
    history = gp.run_a_gan(D, G, gp.get_optimizer(D), gp.get_optimizer(G), gp.discriminator_loss,
                           gp.generator_loss, _tiny_loader(42, 8), show_every=4, batch_size=8, num_epochs=2,
                           num_show=9)
    after = list(D.parameters()) + list(G.parameters())
    return history, before, after


def test_run_a_gan_trains_both_networks_and_keeps_snapshots(capsys):
    history, before, after = _train_tiny(0)
    # 42 images in batches of 8: 5 full batches per epoch (the last, of 2, is skipped), 2 epochs
    assert len(history["d_loss"]) == len(history["g_loss"]) == 10
    assert history["iterations"] == [4, 8, 10]
    assert all(im.shape == (9, 784) and im.min() >= 0 and im.max() <= 1 for im in history["images"])
    assert np.all(np.isfinite(history["d_loss"])) and history["seconds"] > 0
    assert all(not torch.equal(b, a) for b, a in zip(before, after))  # every parameter moved
    assert capsys.readouterr().out.count("Iter:") == 3


def test_run_a_gan_is_deterministic():
    first, _, _ = _train_tiny(3)
    second, _, _ = _train_tiny(3)
    assert first["d_loss"] == second["d_loss"] and first["g_loss"] == second["g_loss"]
    np.testing.assert_array_equal(first["images"][-1], second["images"][-1])


def test_generate_uses_its_own_noise_and_eval_mode():
    torch.manual_seed(0)
    G = gp.build_dc_generator()
    G.train()
    state = torch.random.get_rng_state()
    a = gp.generate(G, 7, seed=2, batch_size=3)
    assert torch.equal(state, torch.random.get_rng_state())  # global generator untouched
    assert a.shape == (7, 784) and a.dtype == np.float32 and a.min() >= 0 and a.max() <= 1
    assert G.training  # mode restored
    # eval mode: the images do not depend on how they are batched (up to rounding)
    np.testing.assert_allclose(a, gp.generate(G, 7, seed=2), atol=1e-6)
    assert not np.array_equal(a, gp.generate(G, 7, seed=3))


def test_tile_images_places_each_image_in_its_cell():
    images = np.stack([np.full(784, v) for v in (0.0, 0.25, 0.5, 0.75, 1.0)])
    grid = gp.tile_images(images, cols=3, padding=1)
    assert grid.shape == (2 * 29 - 1, 3 * 29 - 1)
    assert grid[0, 0] == 0.0 and grid[0, 29] == 0.25 and grid[29, 0] == 0.75 and grid[29 + 27, 29 + 27] == 1.0
    assert np.all(grid[28, :] == 1) and np.all(grid[29:, 58:] == 1)  # padding, and the empty sixth cell
    assert gp.tile_images(images).shape == (2 * 29 - 1, 3 * 29 - 1)  # as square as possible: 3 columns


def test_plot_history_draws_snapshots_and_losses(capsys):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    history, _, _ = _train_tiny(0)
    fig = gp.plot_history(history, "tiny", smooth=3)
    assert len(fig.axes) == len(history["images"]) + 1
    assert len(fig.axes[-1].lines) == 4  # raw and smoothed, for each loss
    plt.close(fig)
