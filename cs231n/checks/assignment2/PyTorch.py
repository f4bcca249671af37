"""Checks of the PyTorch notebook (``PyTorch.ipynb``).

The package checks call your functions and classes of
``cs231n/classifiers/pytorch_nets.py`` on inputs and weights they draw from
fixed seeds (in float64, so that the comparison with the reference is tight)
and return the outputs and gradients; the judges compare them with the
reference's. ``random_weight`` and the ``nn.Module`` constructors draw from
torch's global random generator: those probes seed it and put its state back
after, and the init checks judge statistics (shapes, standard deviations,
zero biases), not the exact draws. The forward checks of the modules copy
seeded weights into your layers, matched to them by shape, so your attribute
names are free.

The notebook checks read the models the notebook trained (``fc_params``,
``conv_params``, ``fc_model``, ``conv_model``, ``seq_fc_model``,
``seq_conv_model``, ``best_model``), compute their predictions on the
validation or test images of the default dataset, prepared as in Part I, and
judge their accuracy.
"""
from functools import lru_cache

import numpy as np

from cs231n.checks import Verdict, close, equal, register, variable
from cs231n.checks.seeding import randn as _randn, torch_seed
from cs231n.checks.judges import accuracy, fields

# Part VI's training cell may use its whole budget of 30 s of training, plus the
# time to build and evaluate the model, and a slower machine than the one the
# budget was set on: more than the default 30 s per cell. (The reference cells
# take under 25 s each on one core.)
STEP_SECONDS = 90

DATASET = "cluttered_digits"  # the notebook's default dataset (setup cell), on which the thresholds were measured
NUM_CLASSES = 10


def same(name):
    """Judge plain data (lists, strings, numbers) exactly equal to the expected data."""
    def judge(observed, expected):
        if observed == expected:
            return Verdict(1.0, f"{name} as expected")
        return Verdict(0.0, f"{name}: got {str(observed)[:200]}, expected {str(expected)[:200]}")
    return judge


# --------------------------------------------------------------- flatten

@register("test_flatten", "flatten on torch.arange(24).reshape(2, 3, 2, 2) and on a batch of one (1, 2, 3)",
          fields(batch=equal("flatten(x) of shape (2, 12)"), single=equal("flatten(x) of shape (1, 6)")))
def flatten_toy(ns):
    import torch
    from cs231n.classifiers.pytorch_nets import flatten
    return {"batch": flatten(torch.arange(24.0).reshape(2, 3, 2, 2)).numpy(),
            "single": flatten(torch.arange(6.0).reshape(1, 2, 3)).numpy()}


### BEGIN HIDDEN TESTS
@register("test_flatten", "flatten on a random tensor of shape (3, 2, 5, 4)", close(1e-12, "max", "flatten(x)"),
          hidden=True)
def flatten_random(ns):
    from cs231n.classifiers.pytorch_nets import flatten
    return flatten(_randn(11, 3, 2, 5, 4)).numpy()
### END HIDDEN TESTS


# --------------------------------------------------------------- barebones networks

def _grad(t, name):
    """``t.grad`` as an array, or an error that says why there is none."""
    if t.grad is None:
        raise ValueError(f"no gradient reached {name}: the scores do not depend on it through torch operations "
                         "(is it used? was something detached or computed in NumPy?)")
    return t.grad.numpy()


def _two_layer_fc_case(seed, x_shape, hidden, classes):
    from cs231n.classifiers.pytorch_nets import two_layer_fc
    x = _randn(seed, *x_shape)
    D = int(np.prod(x_shape[1:]))
    w1 = (_randn(seed + 1, D, hidden) / np.sqrt(D)).requires_grad_()
    w2 = (_randn(seed + 2, hidden, classes) / np.sqrt(hidden)).requires_grad_()
    dout = _randn(seed + 3, x_shape[0], classes)
    scores = two_layer_fc(x, [w1, w2])
    (scores * dout).sum().backward()
    return {"scores": scores.detach().numpy(), "dw1": _grad(w1, "w1"), "dw2": _grad(w2, "w2")}


FC_JUDGE = fields(scores=close(1e-7, "rel", "scores"), dw1=close(1e-7, "rel", "the gradient of w1"),
                  dw2=close(1e-7, "rel", "the gradient of w2"))


@register("test_two_layer_fc", "two_layer_fc on x (4, 2, 3, 5) with w1 (30, 7) and w2 (7, 3): the scores, and "
          "the gradients autograd gives for w1 and w2 through them", FC_JUDGE)
def two_layer_fc_fixed(ns):
    return _two_layer_fc_case(0, (4, 2, 3, 5), 7, 3)


### BEGIN HIDDEN TESTS
@register("test_two_layer_fc", "two_layer_fc on other random sizes (inputs already flat)", FC_JUDGE, hidden=True)
def two_layer_fc_random(ns):
    return _two_layer_fc_case(20, (6, 13), 9, 4)
### END HIDDEN TESTS


def _three_layer_convnet_case(seed, N, C, H, W, F1, F2, K):
    from cs231n.classifiers.pytorch_nets import three_layer_convnet
    x = _randn(seed, N, C, H, W)
    params = [_randn(seed + 1, F1, C, 5, 5) / np.sqrt(C * 25), 0.1 * _randn(seed + 2, F1),
              _randn(seed + 3, F2, F1, 3, 3) / np.sqrt(F1 * 9), 0.1 * _randn(seed + 4, F2),
              _randn(seed + 5, F2 * H * W, K) / np.sqrt(F2 * H * W), 0.1 * _randn(seed + 6, K)]
    for p in params:
        p.requires_grad_()
    dout = _randn(seed + 7, N, K)
    scores = three_layer_convnet(x, params)
    (scores * dout).sum().backward()
    names = ("conv_w1", "conv_b1", "conv_w2", "conv_b2", "fc_w", "fc_b")
    out = {"scores": scores.detach().numpy()}
    out.update({"d" + n: _grad(p, n) for n, p in zip(names, params)})
    return out


CONV_JUDGE = fields(scores=close(1e-7, "rel", "scores"),
                    **{"d" + n: close(1e-6, "rel", "the gradient of " + n)
                       for n in ("conv_w1", "conv_b1", "conv_w2", "conv_b2", "fc_w", "fc_b")})


@register("test_three_layer_convnet", "three_layer_convnet on x (2, 3, 6, 7) with 4 then 5 filters and 3 classes, "
          "random weights and biases: the scores (2, 3) and the gradients of all six parameters",
          CONV_JUDGE, weight=2)
def three_layer_convnet_fixed(ns):
    return _three_layer_convnet_case(100, 2, 3, 6, 7, 4, 5, 3)


### BEGIN HIDDEN TESTS
@register("test_three_layer_convnet", "three_layer_convnet on other random sizes (one input channel, 9x5 images)",
          CONV_JUDGE, hidden=True)
def three_layer_convnet_random(ns):
    return _three_layer_convnet_case(200, 3, 1, 9, 5, 6, 2, 4)
### END HIDDEN TESTS


# --------------------------------------------------------------- random_weight and zero_weight

def _tensor_facts(t):
    """What a parameter tensor must get right besides its values."""
    import torch
    return {"shape": list(t.shape), "dtype": str(t.dtype).replace("torch.", ""),
            "requires_grad": bool(t.requires_grad), "is_leaf": bool(t.is_leaf) if isinstance(t, torch.Tensor) else None}


def _weight_stats(shapes, seed):
    from cs231n.classifiers.pytorch_nets import random_weight
    out = {}
    with torch_seed(seed):
        for shape in shapes:
            w = random_weight(shape)
            values = w.detach().double().numpy()
            out["x".join(map(str, shape))] = {**_tensor_facts(w), "std": float(values.std()),
                                              "mean": float(values.mean())}
    return out


def judge_weights(show):
    """Judge random_weight's tensors: the facts exactly, the std within 10 % of the
    reference's (which is within 1-2 % of sqrt(2 / fan_in)), the mean close to 0."""
    def judge(observed, expected):
        if not isinstance(observed, dict):
            return Verdict(0.0, "the check returned malformed data")
        notes = []
        for key, exp in expected.items():
            obs = observed.get(key)
            if not isinstance(obs, dict):
                return Verdict(0.0, f"no result for shape ({key})")
            for fact in ("shape", "dtype", "requires_grad", "is_leaf"):
                if obs.get(fact) != exp[fact]:
                    what = f"{obs.get(fact)}, expected {exp[fact]}" if show else "not as expected"
                    hint = (" (create the tensor first, then call requires_grad_() on it: a tensor computed from "
                            "one that requires gradients is not a leaf, and an optimizer cannot update it)"
                            if fact == "is_leaf" else "")
                    return Verdict(0.0, f"random_weight(({key.replace('x', ', ')})): {fact} {what}{hint}")
            try:
                std, mean = float(obs["std"]), float(obs["mean"])
            except (KeyError, TypeError, ValueError):
                return Verdict(0.0, "the check returned malformed data")
            if not (np.isfinite(std) and abs(std / exp["std"] - 1) < 0.1):
                what = f"{std:.4g}, expected about {exp['std']:.4g}" if show else "off by more than 10 %"
                return Verdict(0.0, f"random_weight(({key.replace('x', ', ')})): standard deviation {what} "
                                    "(which dimensions make fan_in?)")
            if not abs(mean) < 0.05 * exp["std"]:
                return Verdict(0.0, f"random_weight(({key.replace('x', ', ')})): mean {mean:.3g}, should be about 0")
            notes.append(f"({key.replace('x', ', ')}) std {std:.4f}")
        return Verdict(1.0, "shapes, float32 leaves that require gradients, " + ", ".join(notes))
    return judge


@register("test_random_weight", "random_weight((500, 50)) for a fully connected layer and "
          "random_weight((64, 8, 5, 5)) for a convolution: shapes, float32 leaf tensors that require gradients, "
          "mean 0 and standard deviation sqrt(2 / fan_in), i.e. 0.0632 and 0.1", judge_weights(True), weight=2)
def random_weight_stats(ns):
    return _weight_stats([(500, 50), (64, 8, 5, 5)], 0)


### BEGIN HIDDEN TESTS
@register("test_random_weight", "random_weight for other fully connected and convolution shapes",
          judge_weights(False), hidden=True)
def random_weight_stats_other(ns):
    return _weight_stats([(300, 2000), (10, 40, 3, 3), (5, 6, 7, 7)], 1)
### END HIDDEN TESTS


def _zeros(shapes):
    from cs231n.classifiers.pytorch_nets import zero_weight
    out = {}
    for shape in shapes:
        b = zero_weight(shape)
        out["x".join(map(str, shape))] = {**_tensor_facts(b), "max_abs": float(b.detach().abs().max())}
    return out


@register("test_random_weight", "zero_weight((7,)) and zero_weight((3, 4)): float32 zeros, leaf tensors that "
          "require gradients", same("zero_weight's tensors (shape, dtype, requires_grad, is_leaf, largest |entry|)"))
def zero_weight_facts(ns):
    return _zeros([(7,), (3, 4)])


# --------------------------------------------------------------- nn.Module networks

def _copy_by_shape(model, seed):
    """Set every parameter of ``model`` to seeded values, matched by shape (each shape must be unique).

    Returns the model in float64.
    """
    import torch
    model = model.double()
    params = list(model.named_parameters())
    shapes = [tuple(p.shape) for _, p in params]
    for name, p in params:
        if shapes.count(tuple(p.shape)) > 1:
            raise ValueError(f"two parameters have the shape {tuple(p.shape)}: expected one weight and one bias "
                             "per layer")
    with torch.no_grad():
        for i, (name, p) in enumerate(sorted(params, key=lambda kv: tuple(kv[1].shape))):
            fan_in = int(np.prod(p.shape[1:])) if p.dim() > 1 else 10
            p.copy_(_randn(seed + i, *p.shape) / np.sqrt(fan_in))
    return model


def _module_forward(model, seed, x_shape):
    import torch
    model = _copy_by_shape(model, seed)
    model.eval()
    x = _randn(seed + 50, *x_shape).requires_grad_()
    scores = model(x)
    dout = _randn(seed + 51, *scores.shape)
    (scores * dout).sum().backward()
    return {"scores": scores.detach().numpy(), "dx": _grad(x, "the input x")}


def _param_shapes(model):
    return sorted(list(p.shape) for p in model.parameters())


def _init_stats(model):
    """Per parameter shape: the std of a weight, the largest |entry| of a bias."""
    stats = {}
    for p in model.parameters():
        values = p.detach().double().numpy()
        key = "x".join(map(str, p.shape))
        stats[key] = float(values.std()) if p.dim() > 1 else float(np.abs(values).max())
    return stats


def judge_init(show):
    """Judge a module's initial parameters: same shapes as the reference's, weights with a standard
    deviation within 10 % of the reference's (Kaiming normal), biases exactly zero."""
    def judge(observed, expected):
        if not isinstance(observed, dict):
            return Verdict(0.0, "the check returned malformed data")
        if sorted(observed) != sorted(expected):
            what = f"{sorted(observed)}, expected {sorted(expected)}" if show else "not as expected"
            return Verdict(0.0, f"parameter shapes {what}")
        notes = []
        for key, exp in expected.items():
            try:
                obs = float(observed[key])
            except (TypeError, ValueError):
                return Verdict(0.0, "the check returned malformed data")
            is_bias = "x" not in key
            if is_bias and obs != 0:
                return Verdict(0.0, f"the bias of shape ({key}) is not zero (largest |entry| {obs:.3g})")
            if not is_bias and not (np.isfinite(obs) and abs(obs / exp - 1) < 0.1):
                what = f"{obs:.4g}, expected about {exp:.4g}" if show else "off by more than 10 %"
                return Verdict(0.0, f"the weight of shape ({key.replace('x', ', ')}) has standard deviation {what} "
                                    "(Kaiming normal: sqrt(2 / fan_in))")
            if not is_bias:
                notes.append(f"({key.replace('x', ', ')}) std {obs:.4f}")
        return Verdict(1.0, "Kaiming normal weights, zero biases: " + ", ".join(notes))
    return judge


MODULE_JUDGE = fields(scores=close(1e-7, "rel", "scores"), dx=close(1e-7, "rel", "the gradient of x"))


@register("test_TwoLayerFC", "TwoLayerFC(30, 9, 4): the shapes of its parameters (two nn.Linear layers)",
          same("the parameter shapes"))
def two_layer_fc_module_shapes(ns):
    from cs231n.classifiers.pytorch_nets import TwoLayerFC
    with torch_seed(0):
        return _param_shapes(TwoLayerFC(30, 9, 4))


@register("test_TwoLayerFC", "TwoLayerFC(30, 9, 4) with seeded weights and biases copied in, on x (5, 2, 3, 5): "
          "the scores and the gradient of x", MODULE_JUDGE)
def two_layer_fc_module_forward(ns):
    from cs231n.classifiers.pytorch_nets import TwoLayerFC
    with torch_seed(0):
        model = TwoLayerFC(30, 9, 4)
    return _module_forward(model, 300, (5, 2, 3, 5))


@register("test_TwoLayerFC", "TwoLayerFC(600, 300, 10)'s initial parameters: Kaiming normal weights "
          "(std sqrt(2 / fan_in)) and zero biases", judge_init(True))
def two_layer_fc_module_init(ns):
    from cs231n.classifiers.pytorch_nets import TwoLayerFC
    with torch_seed(0):
        return _init_stats(TwoLayerFC(600, 300, 10))


### BEGIN HIDDEN TESTS
@register("test_TwoLayerFC", "TwoLayerFC with other sizes on flat inputs: the scores and the gradient of x",
          MODULE_JUDGE, hidden=True)
def two_layer_fc_module_forward_other(ns):
    from cs231n.classifiers.pytorch_nets import TwoLayerFC
    with torch_seed(1):
        model = TwoLayerFC(17, 6, 5)
    return _module_forward(model, 310, (3, 17))


@register("test_TwoLayerFC", "TwoLayerFC's initial parameters for other sizes", judge_init(False), hidden=True)
def two_layer_fc_module_init_other(ns):
    from cs231n.classifiers.pytorch_nets import TwoLayerFC
    with torch_seed(1):
        return _init_stats(TwoLayerFC(200, 900, 7))
### END HIDDEN TESTS


@register("test_ThreeLayerConvNet", "ThreeLayerConvNet(3, 8, 6, 10, image_size=(12, 10)): the shapes of its "
          "parameters (conv 5x5, conv 3x3, linear)", same("the parameter shapes"))
def three_layer_convnet_module_shapes(ns):
    from cs231n.classifiers.pytorch_nets import ThreeLayerConvNet
    with torch_seed(0):
        return _param_shapes(ThreeLayerConvNet(3, 8, 6, 10, image_size=(12, 10)))


@register("test_ThreeLayerConvNet", "ThreeLayerConvNet(3, 8, 6, 10, image_size=(12, 10)) with seeded weights and "
          "biases copied in, on x (2, 3, 12, 10): the scores and the gradient of x", MODULE_JUDGE, weight=2)
def three_layer_convnet_module_forward(ns):
    from cs231n.classifiers.pytorch_nets import ThreeLayerConvNet
    with torch_seed(0):
        model = ThreeLayerConvNet(3, 8, 6, 10, image_size=(12, 10))
    return _module_forward(model, 400, (2, 3, 12, 10))


@register("test_ThreeLayerConvNet", "ThreeLayerConvNet(3, 32, 16, 10, image_size=16)'s initial parameters: "
          "Kaiming normal weights (std sqrt(2 / fan_in)) and zero biases", judge_init(True))
def three_layer_convnet_module_init(ns):
    from cs231n.classifiers.pytorch_nets import ThreeLayerConvNet
    with torch_seed(0):
        return _init_stats(ThreeLayerConvNet(3, 32, 16, 10, image_size=16))


### BEGIN HIDDEN TESTS
@register("test_ThreeLayerConvNet", "ThreeLayerConvNet with other sizes (square 7x7 images given as an int): "
          "the scores and the gradient of x", MODULE_JUDGE, hidden=True)
def three_layer_convnet_module_forward_other(ns):
    from cs231n.classifiers.pytorch_nets import ThreeLayerConvNet
    with torch_seed(1):
        model = ThreeLayerConvNet(2, 3, 4, 5, image_size=7)
    return _module_forward(model, 410, (3, 2, 7, 7))


@register("test_ThreeLayerConvNet", "ThreeLayerConvNet's initial parameters for other sizes", judge_init(False),
          hidden=True)
def three_layer_convnet_module_init_other(ns):
    from cs231n.classifiers.pytorch_nets import ThreeLayerConvNet
    with torch_seed(1):
        return _init_stats(ThreeLayerConvNet(1, 40, 20, 5, image_size=(9, 11)))
### END HIDDEN TESTS


# --------------------------------------------------------------- the notebook's trained models

@lru_cache(maxsize=1)
def _default_data():
    """The default dataset as in Part I: mean-subtracted images divided by the per-channel std
    of the training images, float32 tensors (N, C, H, W)."""
    import torch
    from cs231n.data_utils import get_data
    data = get_data(DATASET)
    std = data["X_train"].std(axis=(0, 2, 3), keepdims=True)
    return {"X_val": torch.tensor(data["X_val"] / std, dtype=torch.float32),
            "X_test": torch.tensor(data["X_test"] / std, dtype=torch.float32),
            "y_val": np.asarray(data["y_val"]), "y_test": np.asarray(data["y_test"])}


def _val_labels():
    return _default_data()["y_val"]


def _test_labels():
    return _default_data()["y_test"]


def _predict_module(model, X):
    import torch
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"expected a torch.nn.Module, got {type(model).__name__}")
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            scores = torch.cat([model(X[i:i + 500]) for i in range(0, len(X), 500)])
    finally:
        model.train(was_training)
    return scores.argmax(dim=1).numpy()


def _predict_barebones(model_fn, params, X):
    import torch
    with torch.no_grad():
        scores = torch.cat([model_fn(X[i:i + 500], params) for i in range(0, len(X), 500)])
    return scores.argmax(dim=1).numpy()


def _shape_of_output(model):
    """The output shape of ``model`` on 4 zero images of the default dataset's shape."""
    import torch
    X = _default_data()["X_val"]
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"expected a torch.nn.Module, got {type(model).__name__}")
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            return list(model(torch.zeros(4, *X.shape[1:])).shape)
    finally:
        model.train(was_training)


# The references are the accuracies the notebook's reference cells reach on the default dataset.
# Over seeds 0 to 3, the barebones ConvNet's validation accuracy ranges from 0.54 to 0.68 and the
# others' accuracies vary by 0.02 to 0.06; the thresholds leave room for that, and a network that
# does not learn (chance is 0.1) or learns badly fails.
@register("test_part2_fc", "the barebones two-layer network trained in Part III (fc_params): "
          "validation accuracy >= 0.38", accuracy(0.38, "validation accuracy", 0.464), notebook=True,
          expect=_val_labels)
def part2_fc_accuracy(ns):
    from cs231n.classifiers.pytorch_nets import two_layer_fc
    return _predict_barebones(two_layer_fc, variable(ns, "fc_params"), _default_data()["X_val"])


@register("test_part2_conv", "the barebones three-layer ConvNet trained in Part III (conv_params): "
          "validation accuracy >= 0.48", accuracy(0.48, "validation accuracy", 0.634), notebook=True,
          expect=_val_labels)
def part2_conv_accuracy(ns):
    from cs231n.classifiers.pytorch_nets import three_layer_convnet
    return _predict_barebones(three_layer_convnet, variable(ns, "conv_params"), _default_data()["X_val"])


@register("test_part4_fc", "the TwoLayerFC trained in Part IV (fc_model): validation accuracy >= 0.6",
          accuracy(0.6, "validation accuracy", 0.694), notebook=True, expect=_val_labels)
def part4_fc_accuracy(ns):
    return _predict_module(variable(ns, "fc_model"), _default_data()["X_val"])


@register("test_part4_conv", "the ThreeLayerConvNet trained in Part IV (conv_model): validation accuracy >= 0.68",
          accuracy(0.68, "validation accuracy", 0.736), notebook=True, expect=_val_labels)
def part4_conv_accuracy(ns):
    return _predict_module(variable(ns, "conv_model"), _default_data()["X_val"])


def _num_classes_shape():
    return {"fc": [4, NUM_CLASSES], "conv": [4, NUM_CLASSES]}


@register("test_part5_sequential", "seq_fc_model and seq_conv_model map 4 images of the dataset's shape to "
          "scores of shape (4, 10)", fields(fc=equal("seq_fc_model's output shape"),
                                            conv=equal("seq_conv_model's output shape")),
          notebook=True, expect=_num_classes_shape)
def part5_shapes(ns):
    return {"fc": _shape_of_output(variable(ns, "seq_fc_model")),
            "conv": _shape_of_output(variable(ns, "seq_conv_model"))}


@register("test_part5_sequential", "the nn.Sequential networks trained in Part V: validation accuracy >= 0.6 "
          "for seq_fc_model and >= 0.64 for seq_conv_model",
          fields(fc=accuracy(0.6, "seq_fc_model's validation accuracy", 0.660),
                 conv=accuracy(0.64, "seq_conv_model's validation accuracy", 0.752)),
          notebook=True, expect=lambda: {"fc": _val_labels(), "conv": _val_labels()})
def part5_accuracy(ns):
    X = _default_data()["X_val"]
    return {"fc": _predict_module(variable(ns, "seq_fc_model"), X),
            "conv": _predict_module(variable(ns, "seq_conv_model"), X)}


@register("test_part6_best", "your own model (best_model), trained within the time budget: test accuracy >= 0.85",
          accuracy(0.85, "test accuracy", 0.890), notebook=True, expect=_test_labels, weight=1)
def part6_best_accuracy(ns):
    model = variable(ns, "best_model")
    if model is None:
        raise ValueError("best_model is None: store your trained model in it")
    return _predict_module(model, _default_data()["X_test"])
