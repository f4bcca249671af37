"""Checks of the GAN notebook (``Generative_Adversarial_Networks.ipynb``).

The package checks call the functions of ``cs231n/gan_pytorch.py``.
``sample_noise`` is judged on statistics that any correct uniform sampler
meets (range, mean, standard deviation) and on how it uses its seed. The
networks are judged on their parameter counts and, with seeded weights copied
into their parameters, on their outputs for seeded inputs, in float64: the
k-th parameter of a given shape gets the same values in your network and in
the reference's, so the layers must come in the documented order but your
attribute names are free. The losses are judged on fixed logits (and scores),
their values and the gradients autograd gives through them, including logits
so large that a loss computed from probabilities overflows.

The notebook checks draw 500 images from each generator the notebook trained
(``G``, ``G_LS``, ``G_DC``) with noise of their own, the generator in eval
mode, and return them. The judge, outside your code, scores them with the
classifier of ``cs231n/sample_quality.py`` (trained on the real training
digits): the Inception Score, how many digits the samples cover, and the
Fréchet distance of their features to those of the 360 held-out real digits,
whose statistics ``expect`` computes.
"""

import numpy as np

from cs231n.checks import Verdict, close, equal, register, variable
from cs231n.checks.seeding import randn as _randn, torch_seed
from cs231n.checks.judges import as_array, fields

# A training cell of the notebook took 18 to 45 s on one core of a busy machine (the whole notebook
# 117 s), and a loaded grading machine may be slower still: more than the default 30 s per cell.
STEP_SECONDS = 180
NOISE_DIM = 96
NUM_SAMPLES = 500


def same(name):
    """Judge plain data (lists, strings, numbers) exactly equal to the expected data."""
    def judge(observed, expected):
        if observed == expected:
            return Verdict(1.0, f"{name}: {str(observed)[:120]}, as expected")
        return Verdict(0.0, f"{name}: got {str(observed)[:200]}, expected {str(expected)[:200]}")
    return judge


def same_hidden(name):
    """Like ``same``, without showing the expected data (hidden checks)."""
    def judge(observed, expected):
        if observed == expected:
            return Verdict(1.0, f"{name} as expected")
        return Verdict(0.0, f"{name}: got {str(observed)[:200]}, not as expected")
    return judge


def _module(obj, what):
    import torch

    if not isinstance(obj, torch.nn.Module):
        raise TypeError(f"{what} returned a {type(obj).__name__}, expected a torch.nn.Module (nn.Sequential)")
    return obj


# --------------------------------------------------------------- sample_noise

def _noise_stats(batch_size, dim, seed):
    import torch
    from cs231n.gan_pytorch import sample_noise

    with torch_seed(seed):
        z = sample_noise(batch_size, dim)
    if not isinstance(z, torch.Tensor):
        raise TypeError(f"sample_noise returned a {type(z).__name__}, expected a torch.Tensor")
    values = z.detach().double().numpy()
    return {"shape": list(z.shape), "dtype": str(z.dtype).replace("torch.", ""), "min": float(values.min()),
            "max": float(values.max()), "mean": float(values.mean()), "std": float(values.std())}


def judge_noise(observed, expected):
    """Shape and dtype as the reference's; entries in [-1, 1] reaching both ends (within 0.01);
    mean within 0.02 of 0 and standard deviation within 0.01 of 1 / sqrt(3) = 0.577, the
    uniform distribution's (at least 10^4 entries: many standard errors wide)."""
    if not isinstance(observed, dict):
        return Verdict(0.0, "the check returned malformed data")
    for fact in ("shape", "dtype"):
        if observed.get(fact) != expected[fact]:
            return Verdict(0.0, f"{fact} {observed.get(fact)}, expected {expected[fact]}")
    try:
        lo, hi, mean, std = (float(observed[k]) for k in ("min", "max", "mean", "std"))
    except (KeyError, TypeError, ValueError):
        return Verdict(0.0, "the check returned malformed data")
    facts = f"entries in [{lo:.3f}, {hi:.3f}], mean {mean:.4f}, std {std:.4f}"
    if not (-1 <= lo and hi <= 1):
        return Verdict(0.0, f"{facts}: entries must lie in [-1, 1]")
    if not (lo < -0.99 and hi > 0.99):
        return Verdict(0.0, f"{facts}: the entries should fill [-1, 1], not part of it")
    if not (abs(mean) < 0.02 and abs(std - 1 / np.sqrt(3)) < 0.01):
        return Verdict(0.0, f"{facts}: a uniform distribution on [-1, 1] has mean 0 and std 0.577")
    return Verdict(1.0, facts)


@register("test_sample_noise", "sample_noise(1000, 96): shape (1000, 96), float32, entries uniform in [-1, 1] "
          "(range, mean 0, standard deviation 1 / sqrt(3))", judge_noise, weight=2)
def sample_noise_stats(ns):
    return _noise_stats(1000, NOISE_DIM, 0)


def _noise_seeding(batch_size, dim, seed):
    from cs231n.gan_pytorch import sample_noise

    with torch_seed(0):
        a = sample_noise(batch_size, dim, seed=seed).detach().numpy()
        b = sample_noise(batch_size, dim, seed=seed).detach().numpy()
        c = sample_noise(batch_size, dim, seed=seed + 1).detach().numpy()
        d = sample_noise(batch_size, dim).detach().numpy()  # continues the global generator
    return {"same seed, same noise": bool(np.array_equal(a, b)),
            "another seed, other noise": not np.array_equal(a, c),
            "without a seed, new noise": not np.array_equal(b, d),
            "rows differ": bool(len(np.unique(a.round(6), axis=0)) == batch_size)}


@register("test_sample_noise", "sample_noise(5, 3, seed=7) twice gives the same noise, another seed or no seed "
          "other noise, and the rows differ (torch's global generator is used)", same("seeding"))
def sample_noise_seeding(ns):
    return _noise_seeding(5, 3, 7)


### BEGIN HIDDEN TESTS
@register("test_sample_noise", "sample_noise with other sizes (a single long vector)", judge_noise, hidden=True)
def sample_noise_stats_other(ns):
    return _noise_stats(1, 20000, 1)


@register("test_sample_noise", "sample_noise seeding with other sizes", same_hidden("seeding"), hidden=True)
def sample_noise_seeding_other(ns):
    return _noise_seeding(12, 40, 123)
### END HIDDEN TESTS


# --------------------------------------------------------------- networks

def _copy_seeded(model, seed):
    """Set every parameter of ``model`` (made float64) to seeded values; returns the model.

    The k-th parameter of each shape, in the order of ``model.parameters()``,
    gets Gaussian values drawn from a seed fixed by ``seed``, its shape and k,
    divided by sqrt(fan_in) for weights and by 2 for vectors (biases, batch
    normalization's scales and shifts): the same values in the reference's
    network, whatever the attribute names.
    """
    import torch

    model = model.double()
    seen = {}
    with torch.no_grad():
        for p in model.parameters():
            shape = tuple(p.shape)
            k = seen.get(shape, 0)
            seen[shape] = k + 1
            key = seed + 1000 * k + sum((i + 1) * 7919 * s for i, s in enumerate(shape)) % 100_000
            fan_in = int(np.prod(shape[1:])) if p.dim() > 1 else 4
            p.copy_(_randn(key, *shape) / np.sqrt(fan_in))
    return model


def _count(model):
    return int(sum(p.numel() for p in model.parameters()))


def _forward(model, x, train=False):
    """Outputs of a seeded copy of ``model`` on x (float64), as an array."""
    import torch

    model.train(train)
    with torch.no_grad():
        out = model(x)
    if not isinstance(out, torch.Tensor):
        raise TypeError(f"the network returned a {type(out).__name__}, expected a tensor")
    return out.detach().numpy()


def _uniform(seed, *shape):
    import torch

    g = torch.Generator().manual_seed(seed)
    return torch.rand(*shape, generator=g, dtype=torch.float64) * 2 - 1


def _discriminator_case(build, seed, N):
    with torch_seed(seed):
        D = _module(build(), "the constructor")
    count = _count(D)
    D = _copy_seeded(D, seed)
    x = _uniform(seed + 1, N, 1, 28, 28)
    return {"count": count, "images": _forward(D, x), "rows": _forward(D, x.reshape(N, 784))}


def _generator_case(build, seed, N, noise_dim, train=False):
    with torch_seed(seed):
        G = _module(build(noise_dim), "the constructor")
    count = _count(G)
    G = _copy_seeded(G, seed)
    out = _forward(G, 3 * _uniform(seed + 1, N, noise_dim), train)
    return {"count": count, "images": out}


NET_JUDGE = fields(count=equal("the number of parameters"), images=close(1e-7, "rel", "outputs on images (N, 1, 28, 28)"),
                   rows=close(1e-7, "rel", "outputs on rows (N, 784)"))
GEN_JUDGE = fields(count=equal("the number of parameters"), images=close(1e-7, "rel", "generated images"))


@register("test_discriminator", "discriminator(): 267,009 parameters; with seeded weights, its logits (4, 1) "
          "for 4 images given as (4, 1, 28, 28) and as (4, 784)", NET_JUDGE, weight=2)
def discriminator_fixed(ns):
    from cs231n.gan_pytorch import discriminator
    return _discriminator_case(discriminator, 0, 4)


### BEGIN HIDDEN TESTS
@register("test_discriminator", "discriminator() with other seeded weights and 9 images", NET_JUDGE, hidden=True)
def discriminator_other(ns):
    from cs231n.gan_pytorch import discriminator
    return _discriminator_case(discriminator, 10, 9)
### END HIDDEN TESTS


@register("test_generator", "generator(96): 292,112 parameters; with seeded weights, its images (5, 784) for "
          "5 noise vectors (values in [-1, 1]: tanh)", GEN_JUDGE, weight=2)
def generator_fixed(ns):
    from cs231n.gan_pytorch import generator
    return _generator_case(generator, 0, 5, NOISE_DIM)


### BEGIN HIDDEN TESTS
@register("test_generator", "generator(noise_dim=20) with other seeded weights", GEN_JUDGE, hidden=True)
def generator_other(ns):
    from cs231n.gan_pytorch import generator
    return _generator_case(generator, 20, 3, 20)
### END HIDDEN TESTS


# --------------------------------------------------------------- losses

def _loss_case(fn, arrays):
    """Value of ``fn(*tensors)`` and the gradient of each input, float64."""
    import torch

    tensors = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    loss = fn(*tensors)
    if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
        raise TypeError(f"the loss should be a tensor with one entry, got "
                        f"{type(loss).__name__}{' of shape ' + str(tuple(loss.shape)) if hasattr(loss, 'shape') else ''}")
    loss.reshape(()).backward()
    out = {"loss": float(loss.detach())}
    for i, t in enumerate(tensors):
        if t.grad is None:
            raise ValueError("no gradient reached the logits: compute the loss with torch operations "
                             "(no .item(), .numpy() or detach)")
        out[f"grad{i}"] = t.grad.numpy()
    return out


def _logits(seed, shape, scale=3.0):
    return scale * np.random.RandomState(seed).randn(*shape)


def _loss_judge(n):
    return fields(loss=close(1e-7, "rel", "the loss"),
                  **{f"grad{i}": close(1e-6, "rel", f"the gradient of input {i + 1}") for i in range(n)})


@register("test_discriminator_loss", "discriminator_loss on fixed logits (real and fake, shape (6, 1)): the "
          "loss and its gradients", _loss_judge(2), weight=2)
def discriminator_loss_fixed(ns):
    from cs231n.gan_pytorch import discriminator_loss
    return _loss_case(discriminator_loss, [_logits(0, (6, 1)), _logits(1, (6, 1))])


@register("test_discriminator_loss", "generator_loss on fixed logits (shape (6, 1)): the loss and its gradient",
          _loss_judge(1), weight=2)
def generator_loss_fixed(ns):
    from cs231n.gan_pytorch import generator_loss
    return _loss_case(generator_loss, [_logits(2, (6, 1))])


@register("test_discriminator_loss", "both losses where the discriminator cannot tell real from fake "
          "(all logits 0): 2 log 2 = 1.386 and log 2 = 0.693",
          fields(d=close(1e-7, "rel", "discriminator_loss"), g=close(1e-7, "rel", "generator_loss")))
def losses_at_equilibrium(ns):
    from cs231n.gan_pytorch import discriminator_loss, generator_loss
    zeros = np.zeros((8, 1))
    return {"d": _loss_case(discriminator_loss, [zeros, zeros])["loss"],
            "g": _loss_case(generator_loss, [zeros])["loss"]}


### BEGIN HIDDEN TESTS
@register("test_discriminator_loss", "both losses on other logits, of shape (N,), some as large as +-60 "
          "(a loss computed from probabilities overflows there)",
          fields(d=_loss_judge(2), g=_loss_judge(1)), hidden=True)
def losses_large_logits(ns):
    from cs231n.gan_pytorch import discriminator_loss, generator_loss
    real, fake = _logits(10, (7,), 20.0), _logits(11, (7,), 20.0)
    real[0], fake[0], real[1], fake[1] = 60.0, -60.0, -60.0, 60.0
    return {"d": _loss_case(discriminator_loss, [real, fake]), "g": _loss_case(generator_loss, [fake])}
### END HIDDEN TESTS


@register("test_ls_loss", "ls_discriminator_loss and ls_generator_loss on fixed scores (shape (6, 1)): the "
          "losses and their gradients", fields(d=_loss_judge(2), g=_loss_judge(1)), weight=2)
def ls_losses_fixed(ns):
    from cs231n.gan_pytorch import ls_discriminator_loss, ls_generator_loss
    real, fake = _logits(20, (6, 1), 1.0), _logits(21, (6, 1), 1.0)
    return {"d": _loss_case(ls_discriminator_loss, [real, fake]), "g": _loss_case(ls_generator_loss, [fake])}


### BEGIN HIDDEN TESTS
@register("test_ls_loss", "the least squares losses on other scores, of shape (N,)",
          fields(d=_loss_judge(2), g=_loss_judge(1)), hidden=True)
def ls_losses_other(ns):
    from cs231n.gan_pytorch import ls_discriminator_loss, ls_generator_loss
    real, fake = _logits(30, (11,), 2.0), _logits(31, (11,), 2.0)
    return {"d": _loss_case(ls_discriminator_loss, [real, fake]), "g": _loss_case(ls_generator_loss, [fake])}
### END HIDDEN TESTS


# --------------------------------------------------------------- optimizer

def _optimizer_facts(model):
    import torch
    from cs231n.gan_pytorch import get_optimizer

    opt = get_optimizer(model)
    if not isinstance(opt, torch.optim.Optimizer):
        raise TypeError(f"get_optimizer returned a {type(opt).__name__}, expected a torch.optim optimizer")
    ids = [id(p) for group in opt.param_groups for p in group["params"]]
    group = opt.param_groups[0]
    return {"type": type(opt).__name__,
            "lr": [float(g["lr"]) for g in opt.param_groups],
            "betas": [[float(b) for b in g.get("betas", (None, None))] for g in opt.param_groups],
            "weight_decay": [float(g.get("weight_decay", 0.0)) for g in opt.param_groups],
            "every parameter once": sorted(ids) == sorted(id(p) for p in model.parameters()),
            "amsgrad": bool(group.get("amsgrad", False))}


@register("test_get_optimizer", "get_optimizer(model) for a small network: torch.optim.Adam over all its "
          "parameters, learning rate 0.001, betas (0.5, 0.999), no weight decay", same("the optimizer"))
def optimizer_facts(ns):
    import torch.nn as nn
    with torch_seed(0):
        model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 1))
    return _optimizer_facts(model)


# --------------------------------------------------------------- DCGAN

@register("test_dc_classifier", "build_dc_classifier(): 10,065 parameters; with seeded weights, its logits (4, 1) "
          "for 4 images given as (4, 1, 28, 28) and as (4, 784)", NET_JUDGE, weight=2)
def dc_classifier_fixed(ns):
    from cs231n.gan_pytorch import build_dc_classifier
    return _discriminator_case(build_dc_classifier, 0, 4)


### BEGIN HIDDEN TESTS
@register("test_dc_classifier", "build_dc_classifier(batch_size=6) with other seeded weights", NET_JUDGE,
          hidden=True)
def dc_classifier_other(ns):
    from cs231n.gan_pytorch import build_dc_classifier
    return _discriminator_case(lambda: build_dc_classifier(6), 30, 6)
### END HIDDEN TESTS


@register("test_dc_generator", "build_dc_generator(96): 439,953 parameters; with seeded weights (batch "
          "normalization's scales and shifts included), its images (6, 784) for 6 noise vectors in training mode "
          "(batch statistics)", GEN_JUDGE, weight=2)
def dc_generator_fixed(ns):
    from cs231n.gan_pytorch import build_dc_generator
    return _generator_case(build_dc_generator, 0, 6, NOISE_DIM, train=True)


@register("test_dc_generator", "build_dc_generator(96) with seeded weights, in eval mode (batch normalization "
          "with its running statistics): images (3, 784)", GEN_JUDGE)
def dc_generator_eval(ns):
    from cs231n.gan_pytorch import build_dc_generator
    return _generator_case(build_dc_generator, 1, 3, NOISE_DIM, train=False)


### BEGIN HIDDEN TESTS
@register("test_dc_generator", "build_dc_generator(noise_dim=10) with other seeded weights, training mode",
          GEN_JUDGE, hidden=True)
def dc_generator_other(ns):
    from cs231n.gan_pytorch import build_dc_generator
    return _generator_case(build_dc_generator, 40, 5, 10, train=True)
### END HIDDEN TESTS


# --------------------------------------------------------------- the trained generators

def _samples(ns, name, seed, num=NUM_SAMPLES):
    """``num`` images of the notebook's generator ``name``, in eval mode, from noise of the check's own."""
    import torch

    G = _module(variable(ns, name), name)
    noise_dim = ns.get("NOISE_DIM", NOISE_DIM)
    gen = torch.Generator().manual_seed(seed)
    noise = torch.rand(num, noise_dim, generator=gen) * 2 - 1
    was_training = G.training
    G.eval()
    try:
        with torch.no_grad():
            images = G(noise)
    finally:
        G.train(was_training)
    if not isinstance(images, torch.Tensor) or images.numel() != num * 784:
        raise ValueError(f"{name} should map noise ({num}, {noise_dim}) to images ({num}, 784), got "
                         f"{tuple(images.shape) if isinstance(images, torch.Tensor) else type(images).__name__}")
    return ((images.detach().double().reshape(num, 784) + 1) / 2).numpy().astype(np.float32)


def _held_out_stats():
    from cs231n.sample_quality import held_out_stats
    return held_out_stats()


def judge_quality(min_is, min_coverage, max_fid, reference):
    """Judge generated images (values in [0, 1]) by the scores of ``cs231n.sample_quality``:
    Inception Score >= min_is, at least min_coverage digits with >= 3 % of the samples each, and a
    Fréchet distance to the held-out real digits (``expected``: their feature statistics) <= max_fid."""
    def judge(observed, expected):
        from cs231n.sample_quality import score_samples

        arr = as_array(observed, np.zeros((NUM_SAMPLES, 784)), "the samples")
        if isinstance(arr, Verdict):
            return arr
        if arr.min() < -1e-4 or arr.max() > 1 + 1e-4:
            return Verdict(0.0, f"the samples lie in [{arr.min():.3g}, {arr.max():.3g}]: the generator's "
                                "outputs must lie in [-1, 1] (tanh)")
        s = score_samples(arr, {"mu": np.asarray(expected["mu"]), "sigma": np.asarray(expected["sigma"])})
        ok = (s["inception_score"] >= min_is, s["coverage"] >= min_coverage, s["frechet_distance"] <= max_fid)
        message = (f"Inception Score {s['inception_score']:.2f} (need >= {min_is:g}), "
                   f"{s['coverage']} of 10 digits covered (need >= {min_coverage}), "
                   f"Fréchet distance {s['frechet_distance']:.0f} (need <= {max_fid:g}); "
                   f"reference {reference}")
        return Verdict(1.0 if all(ok) else 0.0, message)
    return judge


# Measured with the notebook's own training cells over seeds 0 to 4 (500 samples, two noise draws
# each): the vanilla GAN scored IS 4.7 to 6.8, 9 or 10 digits, distance 107 to 261; the least squares
# GAN IS 5.4 to 6.9, 9 or 10 digits, 121 to 235; the DCGAN IS 4.8 to 5.9, 8 to 10 digits, 163 to 267.
# 500 real training digits score IS 9.2, 10 digits, distance 10 to 14 (the held-out ones 9.0, 10, 0);
# untrained generators (3 seeds, both kinds) IS 1.0, 1 or 2 digits, distance about 3000; the vanilla
# GAN while collapsed (iteration 308, seeds 0 to 2) IS 1.0, 1 or 2 digits, 1290 to 1390; uniform noise
# IS 2.2, 4 digits, 2418; real 1s and 7s only, IS 2.1, 2 digits, 783. The thresholds sit between.
QUALITY = {"is": 4.0, "coverage": 7, "fid": 400}
REFERENCE = {"G": "IS 6.3, 9 digits, distance 162", "G_LS": "IS 6.3, 10 digits, distance 189",
             "G_DC": "IS 5.6, 10 digits, distance 163"}


def _quality(name):
    return judge_quality(QUALITY["is"], QUALITY["coverage"], QUALITY["fid"], REFERENCE[name])


@register("test_vanilla_gan", "500 samples of the vanilla GAN's generator G: Inception Score >= 4, >= 7 digits "
          "with >= 3 % of the samples, Fréchet distance to held-out digits <= 400", _quality("G"),
          notebook=True, expect=_held_out_stats, weight=2)
def vanilla_gan_samples(ns):
    return _samples(ns, "G", 0)


@register("test_ls_gan", "500 samples of the least squares GAN's generator G_LS: Inception Score >= 4, >= 7 "
          "digits with >= 3 % of the samples, Fréchet distance to held-out digits <= 400", _quality("G_LS"),
          notebook=True, expect=_held_out_stats, weight=2)
def ls_gan_samples(ns):
    return _samples(ns, "G_LS", 0)


@register("test_dc_gan", "500 samples of the DCGAN's generator G_DC: Inception Score >= 4, >= 7 digits with "
          ">= 3 % of the samples, Fréchet distance to held-out digits <= 400", _quality("G_DC"),
          notebook=True, expect=_held_out_stats, weight=2)
def dc_gan_samples(ns):
    return _samples(ns, "G_DC", 0)


### BEGIN HIDDEN TESTS
@register("test_vanilla_gan", "500 other samples of G (other noise)", _quality("G"), notebook=True,
          expect=_held_out_stats, hidden=True)
def vanilla_gan_samples_other(ns):
    return _samples(ns, "G", 1)


@register("test_ls_gan", "500 other samples of G_LS (other noise)", _quality("G_LS"), notebook=True,
          expect=_held_out_stats, hidden=True)
def ls_gan_samples_other(ns):
    return _samples(ns, "G_LS", 1)


@register("test_dc_gan", "500 other samples of G_DC (other noise)", _quality("G_DC"), notebook=True,
          expect=_held_out_stats, hidden=True)
def dc_gan_samples_other(ns):
    return _samples(ns, "G_DC", 1)
### END HIDDEN TESTS
