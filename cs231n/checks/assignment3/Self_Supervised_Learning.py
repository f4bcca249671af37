"""Checks of the self-supervised learning notebook (``Self_Supervised_Learning.ipynb``).

The package checks call your code of ``cs231n/simclr/`` on inputs they build
from fixed seeds and compare what it returns with the reference's:

- the augmentation (``compute_train_transform``) and the pair dataset on real
  images of the cluttered digits: a transform draws its randomness from
  torch's generator, which ``compute_train_transform(seed)`` seeds, so the
  same seed must give exactly the reference's views (this needs the
  transforms, their arguments and their order as the notebook lists them);
- the similarities and both versions of the loss on float64 vectors that are
  *not* of unit length, for several temperatures, and the gradient of the
  vectorized loss;
- one epoch of ``train`` on a small float64 model and fixed batches of views:
  the mean loss it returns and the weights after its optimizer steps.

Probes that use torch's global generator fork it and put it back after.

The notebook check reads the three classifiers the notebook trained on the
same few labeled images (``labeled_idx``): the linear probes on the
pretrained SimCLR encoder (``simclr_probe``) and on a randomly initialized
one (``random_probe``), and the supervised network (``supervised_model``);
it predicts the test images with each, and the judge scores the predictions
with the test labels, which only it holds.
"""
from functools import lru_cache

import numpy as np

from cs231n.checks import Verdict, close, equal, register, variable
from cs231n.checks.seeding import randn as _randn, torch_seed
from cs231n.checks.judges import as_array, fields

# The few-labels experiment cell trains a network end to end and fits two probes: about 15 s on one
# free core, up to three times that on a loaded grading machine.
STEP_SECONDS = 90

TAUS = (0.1, 0.5, 1.0, 2.0)


def _pairs(seed, N, D):
    """Two (N, D) float64 batches, rows of different lengths, positives correlated with each other."""
    scale = 0.5 + 2 * _randn(seed + 2, N, 1).abs()
    left = _randn(seed, N, D) * scale
    right = 0.7 * left + _randn(seed + 1, N, D)
    return left, right


@lru_cache(maxsize=1)
def _images():
    """The test images of the cluttered digits as uint8 (N, 28, 28, 3), and their labels."""
    from cs231n.data_utils import get_data

    data = get_data("cluttered_digits", subtract_mean=False, channels_first=False, num_dev=0)
    return np.clip(np.rint(data["X_test"]), 0, 255).astype(np.uint8), np.asarray(data["y_test"])


def _as_numpy(t, name):
    import torch

    if not isinstance(t, torch.Tensor):
        raise TypeError(f"{name} should be a torch.Tensor, got {type(t).__name__}")
    return t.detach().double().numpy()


# --------------------------------------------------------------- augmentation

def _views(seed, indices, repeats):
    from PIL import Image

    from cs231n.simclr.data_utils import compute_train_transform

    images, _ = _images()
    with torch_seed(12345):  # whatever the transform does not seed itself stays fixed too
        transform = compute_train_transform(seed)
        views = [_as_numpy(transform(Image.fromarray(images[i])), f"the view of image {i}")
                 for _ in range(repeats) for i in indices]
    return np.stack(views)


VIEWS_JUDGE = close(1e-5, "max", "the views")


@register("test_train_transform", "compute_train_transform(seed=0) applied twice to each of 4 test images: "
          "the 8 views (3, 28, 28), exactly the reference's", VIEWS_JUDGE, weight=2)
def train_transform_seed0(ns):
    return _views(0, [0, 1, 2, 3], 2)


### BEGIN HIDDEN TESTS
@register("test_train_transform", "compute_train_transform with another seed, on 12 views of 6 other images",
          VIEWS_JUDGE, hidden=True)
def train_transform_other(ns):
    return _views(2024, [10, 20, 30, 40, 50, 60], 2)
### END HIDDEN TESTS


def _pair_items(seed, indices, count):
    from cs231n.simclr.data_utils import PairDataset, compute_train_transform

    images, labels = _images()
    with torch_seed(12345):
        dataset = PairDataset(images[:count], labels[:count], compute_train_transform(seed))
        out = {"len": len(dataset), "x_i": [], "x_j": [], "target": []}
        for i in indices:
            x_i, x_j, target = dataset[i]
            out["x_i"].append(_as_numpy(x_i, "x_i"))
            out["x_j"].append(_as_numpy(x_j, "x_j"))
            out["target"].append(int(target))
    return {k: np.asarray(v) for k, v in out.items()}


PAIR_JUDGE = fields(len=equal("len(dataset)"), x_i=close(1e-5, "max", "x_i"), x_j=close(1e-5, "max", "x_j"),
                    target=equal("the targets"))


@register("test_pair_dataset", "PairDataset of 8 test images with compute_train_transform(seed=1): items 0, 5 "
          "and 5 again, (x_i, x_j, target) exactly the reference's", PAIR_JUDGE)
def pair_dataset_seed1(ns):
    return _pair_items(1, [0, 5, 5], 8)


### BEGIN HIDDEN TESTS
@register("test_pair_dataset", "PairDataset of 20 other images with another seed, items in another order",
          PAIR_JUDGE, hidden=True)
def pair_dataset_other(ns):
    return _pair_items(77, [19, 3, 11, 3], 20)
### END HIDDEN TESTS


# --------------------------------------------------------------- similarities and losses

def _sim_values(seed, D, count):
    from cs231n.simclr.contrastive_loss import sim

    left, right = _pairs(seed, count, D)
    return np.array([float(sim(left[k], right[k])) for k in range(count)]
                    + [float(sim(left[0], left[0])), float(sim(left[0], -2.5 * left[0]))])


@register("test_sim", "sim(z_i, z_j) on 5 pairs of float64 vectors of length 6 (not of unit norm), a vector "
          "with itself and with -2.5 times itself", close(1e-10, "rel", "sim"))
def sim_fixed(ns):
    return _sim_values(0, 6, 5)


### BEGIN HIDDEN TESTS
@register("test_sim", "sim on other vectors, of length 17", close(1e-10, "rel", "sim"), hidden=True)
def sim_other(ns):
    return _sim_values(40, 17, 4)
### END HIDDEN TESTS


def _losses(fn_name, seed, N, D, taus=TAUS):
    from cs231n.simclr import contrastive_loss

    fn = getattr(contrastive_loss, fn_name)
    left, right = _pairs(seed, N, D)
    return np.array([float(fn(left, right, tau)) for tau in taus])


LOSS_JUDGE = close(1e-9, "rel", "the losses")


@register("test_simclr_loss_naive", "simclr_loss_naive on float64 batches of N = 4 pairs of vectors of length 6 "
          "(not of unit norm), for tau = 0.1, 0.5, 1 and 2", LOSS_JUDGE)
def loss_naive_fixed(ns):
    return _losses("simclr_loss_naive", 100, 4, 6)


### BEGIN HIDDEN TESTS
@register("test_simclr_loss_naive", "simclr_loss_naive on other batches (N = 7, D = 3; N = 1) and temperatures",
          LOSS_JUDGE, hidden=True)
def loss_naive_other(ns):
    return np.concatenate([_losses("simclr_loss_naive", 110, 7, 3, (0.05, 0.3, 5.0)),
                           _losses("simclr_loss_naive", 120, 2, 5, (0.7,))])
### END HIDDEN TESTS


@register("test_similarity_matrix", "sim_positive_pairs on N = 5 pairs of float64 vectors of length 8: "
          "shape (5, 1), the reference's values", close(1e-10, "rel", "pos_pairs"))
def positive_pairs_fixed(ns):
    from cs231n.simclr.contrastive_loss import sim_positive_pairs

    left, right = _pairs(200, 5, 8)
    return _as_numpy(sim_positive_pairs(left, right), "pos_pairs")


@register("test_similarity_matrix", "compute_sim_matrix on 10 float64 vectors of length 8: the (10, 10) "
          "matrix of cosine similarities", close(1e-10, "rel", "sim_matrix"))
def sim_matrix_fixed(ns):
    import torch

    from cs231n.simclr.contrastive_loss import compute_sim_matrix

    left, right = _pairs(200, 5, 8)
    return _as_numpy(compute_sim_matrix(torch.cat([left, right])), "sim_matrix")


### BEGIN HIDDEN TESTS
@register("test_similarity_matrix", "sim_positive_pairs and compute_sim_matrix on other sizes (N = 9, D = 4)",
          fields(pos_pairs=close(1e-10, "rel", "pos_pairs"), sim_matrix=close(1e-10, "rel", "sim_matrix")),
          hidden=True)
def similarity_matrix_other(ns):
    import torch

    from cs231n.simclr.contrastive_loss import compute_sim_matrix, sim_positive_pairs

    left, right = _pairs(210, 9, 4)
    return {"pos_pairs": _as_numpy(sim_positive_pairs(left, right), "pos_pairs"),
            "sim_matrix": _as_numpy(compute_sim_matrix(torch.cat([right, left])), "sim_matrix")}
### END HIDDEN TESTS


def _vectorized(seed, N, D, taus):
    import torch

    from cs231n.simclr.contrastive_loss import simclr_loss_vectorized

    out = {"loss": [], "d_left": [], "d_right": []}
    for tau in taus:
        left, right = (t.clone().requires_grad_() for t in _pairs(seed, N, D))
        loss = simclr_loss_vectorized(left, right, tau, "cpu")
        if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
            raise TypeError("simclr_loss_vectorized should return a torch tensor holding one number")
        loss.backward()
        for name, t in (("d_left", left), ("d_right", right)):
            if t.grad is None:
                raise ValueError("no gradient reached out_left or out_right: use torch operations only")
            out[name].append(t.grad.numpy())
        out["loss"].append(float(loss.detach()))
    return {k: np.asarray(v) for k, v in out.items()}


VECTORIZED_JUDGE = fields(loss=close(1e-9, "rel", "the losses"),
                          d_left=close(1e-7, "rel", "the gradient of out_left"),
                          d_right=close(1e-7, "rel", "the gradient of out_right"))


@register("test_simclr_loss_vectorized", "simclr_loss_vectorized on the batches of the naive test (N = 4, D = 6), "
          "tau = 0.1, 0.5, 1 and 2: the losses (the same as the naive version's) and their gradients with "
          "respect to out_left and out_right", VECTORIZED_JUDGE, weight=2)
def loss_vectorized_fixed(ns):
    return _vectorized(100, 4, 6, TAUS)


### BEGIN HIDDEN TESTS
@register("test_simclr_loss_vectorized", "simclr_loss_vectorized on larger batches (N = 32, D = 16) and other "
          "temperatures", VECTORIZED_JUDGE, hidden=True)
def loss_vectorized_other(ns):
    return _vectorized(130, 32, 16, (0.07, 0.5, 3.0))
### END HIDDEN TESTS


# --------------------------------------------------------------- one epoch of training

def _train_epoch(seed, batches, batch_size, temperature, optimizer_name):
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    from cs231n.simclr.model import Model
    from cs231n.simclr.utils import train

    n = batches * batch_size
    with torch_seed(seed):
        model = Model(feature_dim=16).double()
    x_i, x_j = _randn(seed + 1, n, 3, 28, 28), _randn(seed + 2, n, 3, 28, 28)
    loader = DataLoader(TensorDataset(x_i, x_j, torch.zeros(n, dtype=torch.long)), batch_size=batch_size)
    if optimizer_name == "sgd":
        optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    else:
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    with torch_seed(seed + 3):
        loss = train(model, loader, optimizer, 1, 1, batch_size, temperature, "cpu")
    return {"loss": float(loss), "g_weight": model.g[-1].weight.detach().numpy().copy(),
            "f_weight": model.f[0].weight.detach().numpy().copy()}


TRAIN_JUDGE = fields(loss=close(1e-7, "rel", "the mean loss train returns"),
                     g_weight=close(1e-6, "rel", "the last weights of the head g after the epoch"),
                     f_weight=close(1e-6, "rel", "the first weights of the encoder f after the epoch"))


@register("test_train", "train for one epoch of 3 batches of 8 pairs of views (random float64 images), "
          "Model(feature_dim=16) in float64, SGD with learning rate 0.5, tau = 0.5: the mean loss and the "
          "weights of the first and last layers after the epoch", TRAIN_JUDGE, weight=2)
def train_sgd(ns):
    return _train_epoch(300, 3, 8, 0.5, "sgd")


### BEGIN HIDDEN TESTS
@register("test_train", "train for one epoch of 2 batches of 12 pairs with Adam and tau = 0.2", TRAIN_JUDGE,
          hidden=True)
def train_adam(ns):
    return _train_epoch(310, 2, 12, 0.2, "adam")
### END HIDDEN TESTS


# --------------------------------------------------------------- the few-labels experiment

PER_CLASS = 10     # labeled training images per class in the experiment: 100 of 5000, 2 %
# Test accuracies of the reference over five draws of the labeled images (seeds 0 to 4), lowest / mean:
# SimCLR probe 0.588 / 0.610, random encoder's probe 0.145 / 0.152 (highest 0.167), supervised network
# 0.230 / 0.253 (highest 0.288); the SimCLR probe's lead 0.421 to 0.498 over the random probe and 0.300 to
# 0.384 over the supervised network. The thresholds sit well below the worst draw.
MIN_SIMCLR = 0.5
MIN_MARGIN_RANDOM = 0.3
MIN_MARGIN_SUPERVISED = 0.2
MODELS = ("simclr_probe", "random_probe", "supervised_model")


def _normalized(images):
    """uint8 images (N, H, W, 3) as the notebook feeds them to its models: float32 (N, 3, H, W), normalized."""
    import torch

    from cs231n.simclr.data_utils import CLUTTERED_MEAN, CLUTTERED_STD

    x = torch.tensor(images, dtype=torch.float32).permute(0, 3, 1, 2) / 255
    mean, std = (torch.tensor(v, dtype=torch.float32).view(1, 3, 1, 1) for v in (CLUTTERED_MEAN, CLUTTERED_STD))
    return (x - mean) / std


def _test_inputs():
    return _normalized(_images()[0])


def _predict(model, x):
    import torch

    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"expected a torch.nn.Module, got {type(model).__name__}")
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            scores = torch.cat([model(x[i:i + 500]) for i in range(0, len(x), 500)])
    finally:
        model.train(was_training)
    return scores.argmax(dim=1).numpy()


def _experiment_expect():
    _, labels = _images()
    return {"labels": labels, "num_labeled": 10 * PER_CLASS}


def judge_experiment(observed, expected):
    """Test accuracies: the SimCLR probe at least MIN_SIMCLR and ahead of the random encoder's probe
    (and of the supervised network, when there is one) by the measured margins; every model trained
    on the same 100 labeled images."""
    if not isinstance(observed, dict):
        return Verdict(0.0, "the check returned malformed data")
    labeled = as_array(observed.get("labeled_idx"), np.zeros(expected["num_labeled"]), "labeled_idx")
    if isinstance(labeled, Verdict):
        return labeled
    if len(np.unique(labeled)) != expected["num_labeled"] or labeled.min() < 0 or labeled.max() >= 5000:
        return Verdict(0.0, f"labeled_idx should hold {expected['num_labeled']} different training images")
    names = [name for name in MODELS if name in observed or name != "supervised_model"]
    acc = {}
    for name in names:
        pred = as_array(observed.get(name), expected["labels"], f"the predictions of {name}")
        if isinstance(pred, Verdict):
            return pred
        acc[name] = float(np.mean(pred == expected["labels"]))
    message = "test accuracy: " + ", ".join(f"{name} {acc[name]:.3f}" for name in names)
    problems = []
    if acc["simclr_probe"] < MIN_SIMCLR:
        problems.append(f"the SimCLR probe needs >= {MIN_SIMCLR:g}")
    if acc["simclr_probe"] - acc["random_probe"] < MIN_MARGIN_RANDOM:
        problems.append(f"it should beat the random encoder's probe by >= {MIN_MARGIN_RANDOM:g}")
    if "supervised_model" in acc and acc["simclr_probe"] - acc["supervised_model"] < MIN_MARGIN_SUPERVISED:
        problems.append(f"it should beat the supervised network by >= {MIN_MARGIN_SUPERVISED:g}")
    return Verdict(0.0 if problems else 1.0, "; ".join([message] + problems))


@register("test_few_labels", "with 100 labeled training images: the test accuracy of the linear probe on the "
          "SimCLR encoder (simclr_probe), of the same probe on a random encoder (random_probe) and of the "
          "supervised network (supervised_model)", judge_experiment, notebook=True, expect=_experiment_expect)
def few_labels_experiment(ns):
    x = _test_inputs()
    observed = {"labeled_idx": np.asarray(variable(ns, "labeled_idx"), dtype=np.int64)}
    for name in MODELS:
        observed[name] = _predict(variable(ns, name), x)
    return observed


### BEGIN HIDDEN TESTS
@register("test_few_labels", "linear probes fit by the check on another draw of 100 labeled images, on the "
          "encoders of simclr_model and random_model: the SimCLR probe's test accuracy and its margin",
          judge_experiment, notebook=True, expect=_experiment_expect, hidden=True)
def few_labels_other_draw(ns):
    import copy

    import torch

    from cs231n.simclr.data_utils import get_image_data
    from cs231n.simclr.utils import few_label_indices, linear_probe

    # The encoders and the probe are provided: this check counts once the notebook's own experiment is done.
    for name in ("simclr_probe", "random_probe"):
        if not isinstance(variable(ns, name), torch.nn.Module):
            raise ValueError(f"{name} is not a model: fit the linear probes of the experiment first")
    data = get_image_data("cluttered_digits")
    idx = few_label_indices(data["y_train"], PER_CLASS, seed=3)
    x_lab, x = _normalized(data["X_train"][idx]), _test_inputs()
    observed = {"labeled_idx": idx}
    for name, model in (("simclr_probe", "simclr_model"), ("random_probe", "random_model")):
        encoder = copy.deepcopy(variable(ns, model).f)  # the notebook's own models stay as they are
        observed[name] = _predict(linear_probe(encoder, x_lab, data["y_train"][idx]), x)
    return observed
### END HIDDEN TESTS
