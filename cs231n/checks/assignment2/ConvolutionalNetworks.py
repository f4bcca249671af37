"""Checks of the convolutional networks notebook (``ConvolutionalNetworks.ipynb``).

Each probe builds its inputs from a fixed seed, calls your code and returns
what it computed; the judge beside it compares that with the reference (for
backward passes: your analytic gradients with the reference's analytic
gradients). ``ThreeLayerConvNet`` draws its initial weights from
``np.random``'s global state, so the probes seed it before building a network
(and put the state back after), and the probes of the loss and its gradients
set every parameter themselves.

The last two checks read what the notebook trained: the training accuracy
``overfit_solver`` reached on 100 training images, and the predictions of
``model``, trained for one epoch, on training images of the default dataset.
"""
import numpy as np

from cs231n.checks import Verdict, close, global_seed, register, variable
from cs231n.checks.judges import accuracy, as_array, fields

DATASET = "cluttered_digits"  # the dataset the graded cells train on
# One epoch of ThreeLayerConvNet over the 5000 training images (100 iterations of batches of
# 50, plus the Solver's accuracy checks) takes 10 to 30 s of one core, depending on the load
# of the machine: more than the default limit of 30 s per cell leaves no margin.
STEP_SECONDS = 60
PARAMS = ("W1", "b1", "W2", "b2", "W3", "b3")
# Measured with the notebook's seeds (and, in brackets, the range over five other seeds):
OVERFIT_AT_LEAST, REF_OVERFIT = 0.9, 1.0   # final training accuracy on 100 cluttered digits (0.98 to 1.0)
EPOCH_AT_LEAST, REF_EPOCH = 0.4, 0.55      # accuracy on 500 training images after one epoch (0.55 to 0.66)
NUM_EPOCH_CHECK = 500  # training images on which the one-epoch model's accuracy is measured


def _grads(names, tol=1e-6):
    return fields(**{name: close(tol, "rel", name) for name in names})


def _conv(x, w, b, stride, pad):
    from cs231n.layers import conv_forward_naive
    return conv_forward_naive(x, w, b, {"stride": stride, "pad": pad})[0]


# --------------------------------------------------------------- convolution: forward

@register("test_conv_forward", "conv_forward_naive on x (2, 3, 4, 4), w (3, 3, 4, 4) and b (3,) from linspace, "
          "stride 2 and pad 1: output of shape (2, 3, 2, 2)", close(1e-7, "rel", "out"))
def conv_forward_linspace(ns):
    x = np.linspace(-0.1, 0.5, num=2 * 3 * 4 * 4).reshape(2, 3, 4, 4)
    w = np.linspace(-0.2, 0.3, num=3 * 3 * 4 * 4).reshape(3, 3, 4, 4)
    b = np.linspace(-0.1, 0.2, num=3)
    return _conv(x, w, b, stride=2, pad=1)


### BEGIN HIDDEN TESTS
@register("test_conv_forward", "conv_forward_naive on random inputs: stride 1 and pad 0 on a 5x7 image with "
          "3x2 filters, stride 2 and pad 2 with 3x3 filters, stride 3 and pad 1 on 8x11 images",
          fields(s1p0=close(1e-7, "rel", "out (stride 1, pad 0)"),
                 s2p2=close(1e-7, "rel", "out (stride 2, pad 2)"),
                 s3p1=close(1e-7, "rel", "out (stride 3, pad 1)")), hidden=True)
def conv_forward_random(ns):
    rng = np.random.RandomState(1234)
    out = {}
    x, w, b = rng.randn(3, 2, 5, 7), rng.randn(4, 2, 3, 2), rng.randn(4)
    out["s1p0"] = _conv(x, w, b, stride=1, pad=0)
    x, w, b = rng.randn(2, 3, 5, 5), rng.randn(2, 3, 3, 3), rng.randn(2)
    out["s2p2"] = _conv(x, w, b, stride=2, pad=2)
    x, w, b = rng.randn(2, 1, 8, 11), rng.randn(5, 1, 4, 4), rng.randn(5)
    out["s3p1"] = _conv(x, w, b, stride=3, pad=1)
    return out
### END HIDDEN TESTS


# --------------------------------------------------------------- convolution: backward

def _conv_backward(rng, x_shape, w_shape, stride, pad):
    from cs231n.layers import conv_backward_naive, conv_forward_naive
    x = rng.randn(*x_shape)
    w = rng.randn(*w_shape)
    b = rng.randn(w_shape[0])
    out, cache = conv_forward_naive(x, w, b, {"stride": stride, "pad": pad})
    dout = rng.randn(*np.shape(out))
    dx, dw, db = conv_backward_naive(dout, cache)
    return {"dx": dx, "dw": dw, "db": db}


@register("test_conv_backward", "conv_backward_naive's dx, dw and db for random x (4, 3, 5, 5), w (2, 3, 3, 3), "
          "stride 1 and pad 1", _grads(("dx", "dw", "db"), 1e-7))
def conv_backward_pad1(ns):
    return _conv_backward(np.random.RandomState(231), (4, 3, 5, 5), (2, 3, 3, 3), stride=1, pad=1)


@register("test_conv_backward", "conv_backward_naive's dx, dw and db for random x (2, 2, 7, 7), w (3, 2, 3, 3), "
          "stride 2 and pad 0 (the last row and column of x are in no window)", _grads(("dx", "dw", "db"), 1e-7))
def conv_backward_stride2(ns):
    return _conv_backward(np.random.RandomState(232), (2, 2, 7, 7), (3, 2, 3, 3), stride=2, pad=0)


### BEGIN HIDDEN TESTS
@register("test_conv_backward", "conv_backward_naive's dx, dw and db for random x (3, 2, 6, 8), w (4, 2, 4, 2), "
          "stride 2 and pad 2", _grads(("dx", "dw", "db"), 1e-7), hidden=True)
def conv_backward_random(ns):
    return _conv_backward(np.random.RandomState(4321), (3, 2, 6, 8), (4, 2, 4, 2), stride=2, pad=2)
### END HIDDEN TESTS


# --------------------------------------------------------------- max pooling

def _pool(x, height, width, stride):
    from cs231n.layers import max_pool_forward_naive
    return max_pool_forward_naive(x, {"pool_height": height, "pool_width": width, "stride": stride})


@register("test_max_pool_forward", "max_pool_forward_naive on x (2, 3, 4, 4) from linspace(-0.3, 0.4), "
          "2x2 pools with stride 2", close(1e-7, "rel", "out"))
def max_pool_forward_linspace(ns):
    x = np.linspace(-0.3, 0.4, num=2 * 3 * 4 * 4).reshape(2, 3, 4, 4)
    return _pool(x, 2, 2, 2)[0]


### BEGIN HIDDEN TESTS
@register("test_max_pool_forward", "max_pool_forward_naive on random x (3, 2, 7, 6) with 3x2 pools and stride 2",
          close(1e-7, "rel", "out"), hidden=True)
def max_pool_forward_random(ns):
    x = np.random.RandomState(2024).randn(3, 2, 7, 6)
    return _pool(x, 3, 2, 2)[0]
### END HIDDEN TESTS


def _pool_backward(rng, x_shape, height, width, stride):
    from cs231n.layers import max_pool_backward_naive
    x = rng.randn(*x_shape)
    out, cache = _pool(x, height, width, stride)
    return max_pool_backward_naive(rng.randn(*np.shape(out)), cache)


@register("test_max_pool_backward", "max_pool_backward_naive's dx for random x (3, 2, 8, 8) with 2x2 pools "
          "and stride 2", close(1e-7, "rel", "dx"))
def max_pool_backward_random(ns):
    return _pool_backward(np.random.RandomState(231), (3, 2, 8, 8), 2, 2, 2)


### BEGIN HIDDEN TESTS
@register("test_max_pool_backward", "max_pool_backward_naive's dx for random x (2, 3, 7, 7) with overlapping "
          "3x3 pools and stride 2 (an input that is the maximum of two pools gets both gradients)",
          close(1e-7, "rel", "dx"), hidden=True)
def max_pool_backward_overlap(ns):
    return _pool_backward(np.random.RandomState(777), (2, 3, 7, 7), 3, 3, 2)
### END HIDDEN TESTS


# --------------------------------------------------------------- ThreeLayerConvNet

def _cnn(**kwargs):
    from cs231n.classifiers.cnn import ThreeLayerConvNet
    with global_seed(0):
        return ThreeLayerConvNet(**kwargs)


def judge_cnn_init(observed, expected):
    if not isinstance(observed, dict) or not isinstance(observed.get("params"), dict):
        return Verdict(0.0, "the check returned malformed data")
    params = observed["params"]
    missing = [name for name in PARAMS if name not in params]
    if missing:
        return Verdict(0.0, f"model.params has no {', '.join(missing)} (keys: {observed.get('keys')})")
    found = {}
    for name in PARAMS:
        arr = as_array(params[name], expected["params"][name], name)
        if isinstance(arr, Verdict):
            return arr
        found[name] = arr
    nonzero = [name for name in ("b1", "b2", "b3") if np.any(found[name] != 0)]
    if nonzero:
        return Verdict(0.0, f"the biases should start at zero ({', '.join(nonzero)} do not)")
    stats = []
    scale = 1e-2
    for name in ("W1", "W2", "W3"):
        std, mean = float(np.std(found[name])), float(np.mean(found[name]))
        # at least 216 draws per matrix: 0.75..1.25 is more than 3.5 standard errors of the std
        if not 0.75 * scale < std < 1.25 * scale:
            return Verdict(0.0, f"{name} has standard deviation {std:.3g}, should be weight_scale = {scale:g}")
        if abs(mean) >= 4 * scale / np.sqrt(found[name].size):
            return Verdict(0.0, f"{name} has mean {mean:.3g}, should be 0")
        stats.append(f"{name} std {std:.4f}")
    dtypes = observed.get("dtypes")
    if not isinstance(dtypes, dict) or any(dtypes.get(name) != "float32" for name in PARAMS):
        return Verdict(0.0, f"every parameter should have the model's dtype float32, got {dtypes}")
    return Verdict(1.0, "shapes right, biases zero, dtype float32, " + ", ".join(stats))


@register("test_cnn_init", "ThreeLayerConvNet(input_dim=(3, 10, 12), num_filters=8, filter_size=3, "
          "hidden_dim=40, num_classes=7, weight_scale=1e-2): shapes of W1, b1, W2, b2, W3, b3, zero biases, "
          "weights of mean 0 and standard deviation 1e-2, all of dtype float32", judge_cnn_init)
def cnn_init(ns):
    m = _cnn(input_dim=(3, 10, 12), num_filters=8, filter_size=3, hidden_dim=40, num_classes=7, weight_scale=1e-2)
    return {"keys": sorted(str(k) for k in m.params),
            "dtypes": {name: str(np.asarray(m.params[name]).dtype) for name in PARAMS if name in m.params},
            "params": {name: np.asarray(m.params[name], dtype=np.float64) for name in PARAMS if name in m.params}}


def _cnn_fixed(input_dim, num_filters, filter_size, hidden_dim, num_classes, seed, num_inputs=4):
    """A float64 ThreeLayerConvNet whose parameters (biases included) are set from ``seed``, inputs and labels."""
    m = _cnn(input_dim=input_dim, num_filters=num_filters, filter_size=filter_size, hidden_dim=hidden_dim,
             num_classes=num_classes, weight_scale=1e-2, dtype=np.float64)
    C, H, W = input_dim
    rng = np.random.RandomState(seed)
    m.params["W1"] = 0.3 * rng.randn(num_filters, C, filter_size, filter_size)
    m.params["b1"] = 0.1 * rng.randn(num_filters)
    m.params["W2"] = 0.3 * rng.randn(num_filters * (H // 2) * (W // 2), hidden_dim)
    m.params["b2"] = 0.1 * rng.randn(hidden_dim)
    m.params["W3"] = 0.3 * rng.randn(hidden_dim, num_classes)
    m.params["b3"] = 0.1 * rng.randn(num_classes)
    X = rng.randn(num_inputs, C, H, W)
    y = rng.randint(num_classes, size=num_inputs)
    return m, X, y


@register("test_cnn_loss", "ThreeLayerConvNet with default sizes and weight_scale 1e-3 on 4 inputs of shape "
          "(3, 32, 32): scores of shape (4, 10) close to 0 without y, and a loss close to log(10) with y",
          fields(scores=close(1e-3, "max", "scores"), loss=close(1e-3, "max", "loss")))
def cnn_loss_small_weights(ns):
    m = _cnn(dtype=np.float64)
    rng = np.random.RandomState(5)
    X = rng.randn(4, 3, 32, 32)
    y = rng.randint(10, size=4)
    scores = m.loss(X)
    loss, _ = m.loss(X, y)
    return {"scores": scores, "loss": loss}


@register("test_cnn_loss", "ThreeLayerConvNet.loss with fixed weights and biases (input (3, 8, 6), 4 filters "
          "3x3, hidden 10, 5 classes): the scores, the loss with reg = 0, and its growth from reg = 0 to "
          "reg = 0.5 (0.5 * reg * the sum of the squared weights W1, W2, W3)",
          fields(scores=close(1e-7, "rel", "scores"), loss=close(1e-8, "max", "loss"),
                 growth=close(1e-8, "max", "the loss's growth")))
def cnn_loss_fixed(ns):
    m, X, y = _cnn_fixed((3, 8, 6), 4, 3, 10, 5, seed=7)
    scores = m.loss(X)
    m.reg = 0.0
    loss, _ = m.loss(X, y)
    m.reg = 0.5
    loss_reg, _ = m.loss(X, y)
    return {"scores": scores, "loss": loss, "growth": loss_reg - loss}


### BEGIN HIDDEN TESTS
@register("test_cnn_loss", "ThreeLayerConvNet.loss's scores with fixed weights, 5x5 filters (pad 2) on "
          "inputs of shape (2, 6, 10)", close(1e-7, "rel", "scores"), hidden=True)
def cnn_scores_filter5(ns):
    m, X, _ = _cnn_fixed((2, 6, 10), 3, 5, 8, 4, seed=99)
    return m.loss(X)
### END HIDDEN TESTS


def _cnn_grads(reg):
    m, X, y = _cnn_fixed((3, 8, 8), 3, 3, 7, 4, seed=13, num_inputs=3)
    m.reg = reg
    _, grads = m.loss(X, y)
    return {name: grads[name] for name in PARAMS if name in grads}


@register("test_cnn_grad", "ThreeLayerConvNet.loss's gradients with reg = 0 (3 inputs of shape (3, 8, 8), "
          "3 filters 3x3, hidden 7, 4 classes, float64)", _grads(PARAMS))
def cnn_grads_noreg(ns):
    return _cnn_grads(0.0)


@register("test_cnn_grad", "ThreeLayerConvNet.loss's gradients with reg = 0.3 (is reg * W added to the "
          "gradients of W1, W2 and W3, and nothing to the biases?)", _grads(PARAMS))
def cnn_grads_reg(ns):
    return _cnn_grads(0.3)


### BEGIN HIDDEN TESTS
@register("test_cnn_grad", "ThreeLayerConvNet.loss's gradients with reg = 0.1, 5x5 filters on inputs of "
          "shape (2, 6, 10)", _grads(PARAMS), hidden=True)
def cnn_grads_filter5(ns):
    m, X, y = _cnn_fixed((2, 6, 10), 3, 5, 8, 4, seed=98)
    m.reg = 0.1
    _, grads = m.loss(X, y)
    return {name: grads[name] for name in PARAMS if name in grads}
### END HIDDEN TESTS


# --------------------------------------------------------------- training (notebook)

def _training_images(count):
    from cs231n.data_utils import get_data
    data = get_data(DATASET)
    return data["X_train"][:count], data["y_train"][:count]


def _predict(model, X, batch_size=100):
    return np.concatenate([np.argmax(model.loss(X[i:i + batch_size]), axis=1)
                           for i in range(0, len(X), batch_size)])


def _overfit_threshold():
    return OVERFIT_AT_LEAST


def judge_overfit(observed, expected):
    try:
        acc = float(observed)
    except (TypeError, ValueError):
        return Verdict(0.0, f"the final training accuracy should be a number, got {type(observed).__name__}")
    if not np.isfinite(acc):
        return Verdict(0.0, "the final training accuracy is nan or inf")
    return Verdict(1.0 if acc >= expected else 0.0,
                   f"final training accuracy {acc:.3f} (need >= {expected:g}, reference {REF_OVERFIT:.3f})")


# The Solver ends with the parameters of the best validation accuracy, which, when
# 100 images are overfitted, may be those of any epoch: the training accuracy
# at the end of training is read from the solver's history instead.
@register("test_cnn_overfit", "overfit_solver (ThreeLayerConvNet on the first 100 training images, 15 epochs) "
          "ends with a training accuracy of at least 0.9", judge_overfit,
          notebook=True, expect=_overfit_threshold)
def cnn_overfit(ns):
    history = variable(ns, "overfit_solver").train_acc_history
    if len(history) == 0:
        raise ValueError("overfit_solver.train_acc_history is empty: run the overfitting cell")
    return float(history[-1])


def _epoch_labels():
    return _training_images(NUM_EPOCH_CHECK)[1]


@register("test_cnn_one_epoch", f"model, trained for one epoch, classifies at least {EPOCH_AT_LEAST:.0%} of "
          "the first 500 training images correctly",
          accuracy(EPOCH_AT_LEAST, "training accuracy on 500 images", REF_EPOCH),
          notebook=True, expect=_epoch_labels)
def cnn_one_epoch(ns):
    model = variable(ns, "model")
    return _predict(model, _training_images(NUM_EPOCH_CHECK)[0])


# --------------------------------------------------------------- spatial batch normalization

def _sbn_input(rng, shape):
    """Random (N, C, H, W) input whose channels have very different means and scales (the last one tiny)."""
    N, C, H, W = shape
    scale = np.logspace(1, -3, num=C)[None, :, None, None]
    shift = np.linspace(-5, 10, num=C)[None, :, None, None]
    return scale * rng.randn(*shape) + shift


@register("test_spatial_bn_forward", "spatial_batchnorm_forward in train mode on x (4, 3, 5, 6) with very "
          "different channel scales: the output with gamma = 1, beta = 0 and with random gamma, beta",
          fields(plain=close(1e-6, "rel", "out (gamma 1, beta 0)"), affine=close(1e-6, "rel", "out")))
def spatial_bn_forward_train(ns):
    from cs231n.layers import spatial_batchnorm_forward
    rng = np.random.RandomState(31)
    x = _sbn_input(rng, (4, 3, 5, 6))
    gamma, beta = rng.randn(3), rng.randn(3)
    plain, _ = spatial_batchnorm_forward(x, np.ones(3), np.zeros(3), {"mode": "train"})
    out, _ = spatial_batchnorm_forward(x, gamma, beta, {"mode": "train"})
    return {"plain": plain, "affine": out}


def _sbn_running(shape, seed, **extra):
    from cs231n.layers import spatial_batchnorm_forward
    rng = np.random.RandomState(seed)
    C = shape[1]
    gamma, beta = rng.randn(C), rng.randn(C)
    bn_param = {"mode": "train", **extra}
    for _ in range(30):
        spatial_batchnorm_forward(_sbn_input(rng, shape), gamma, beta, bn_param)
    bn_param["mode"] = "test"
    out, _ = spatial_batchnorm_forward(_sbn_input(rng, shape), gamma, beta, bn_param)
    return {"running_mean": bn_param.get("running_mean"), "running_var": bn_param.get("running_var"), "out": out}


@register("test_spatial_bn_forward", "spatial_batchnorm_forward: bn_param's running_mean and running_var "
          "(per channel) after 30 train-mode batches (2, 4, 3, 5), then the test-mode output on a new batch",
          fields(running_mean=close(1e-6, "rel", "running_mean"), running_var=close(1e-6, "rel", "running_var"),
                 out=close(1e-6, "rel", "test-mode out")))
def spatial_bn_forward_test(ns):
    return _sbn_running((2, 4, 3, 5), seed=32)


### BEGIN HIDDEN TESTS
@register("test_spatial_bn_forward", "spatial_batchnorm_forward with momentum 0.5 and eps 1e-3: running "
          "statistics after 30 batches (3, 2, 4, 4) and the test-mode output",
          fields(running_mean=close(1e-6, "rel", "running_mean"), running_var=close(1e-6, "rel", "running_var"),
                 out=close(1e-6, "rel", "test-mode out")), hidden=True)
def spatial_bn_forward_params(ns):
    return _sbn_running((3, 2, 4, 4), seed=3333, momentum=0.5, eps=1e-3)
### END HIDDEN TESTS


def _sbn_backward(rng, shape):
    from cs231n.layers import spatial_batchnorm_backward, spatial_batchnorm_forward
    C = shape[1]
    x = _sbn_input(rng, shape)
    gamma, beta = rng.randn(C), rng.randn(C)
    out, cache = spatial_batchnorm_forward(x, gamma, beta, {"mode": "train"})
    dx, dgamma, dbeta = spatial_batchnorm_backward(rng.randn(*np.shape(out)), cache)
    return {"dx": dx, "dgamma": dgamma, "dbeta": dbeta}


@register("test_spatial_bn_backward", "spatial_batchnorm_backward's dx, dgamma (C,) and dbeta (C,) for "
          "random x (2, 3, 4, 5) in train mode", _grads(("dx", "dgamma", "dbeta")))
def spatial_bn_backward(ns):
    return _sbn_backward(np.random.RandomState(33), (2, 3, 4, 5))


### BEGIN HIDDEN TESTS
@register("test_spatial_bn_backward", "spatial_batchnorm_backward's dx, dgamma and dbeta for random "
          "x (3, 5, 2, 3)", _grads(("dx", "dgamma", "dbeta")), hidden=True)
def spatial_bn_backward_random(ns):
    return _sbn_backward(np.random.RandomState(3434), (3, 5, 2, 3))
### END HIDDEN TESTS


# --------------------------------------------------------------- spatial group normalization

def _sgn_input(rng, shape):
    N, C, H, W = shape
    return 4 * rng.randn(*shape) + np.linspace(-3, 12, num=C)[None, :, None, None]


def _sgn_forward(rng, shape, G):
    from cs231n.layers import spatial_groupnorm_forward
    C = shape[1]
    x = _sgn_input(rng, shape)
    gamma, beta = rng.randn(1, C, 1, 1), rng.randn(1, C, 1, 1)
    return spatial_groupnorm_forward(x, gamma, beta, G, {"eps": 1e-5})[0]


@register("test_spatial_gn_forward", "spatial_groupnorm_forward on x (2, 6, 4, 5) with random gamma and beta "
          "of shape (1, 6, 1, 1), with G = 2 and with G = 3 groups",
          fields(G2=close(1e-6, "rel", "out (G = 2)"), G3=close(1e-6, "rel", "out (G = 3)")))
def spatial_gn_forward(ns):
    rng = np.random.RandomState(41)
    return {"G2": _sgn_forward(rng, (2, 6, 4, 5), 2), "G3": _sgn_forward(rng, (2, 6, 4, 5), 3)}


### BEGIN HIDDEN TESTS
@register("test_spatial_gn_forward", "spatial_groupnorm_forward on random x (3, 4, 3, 3) with G = 1 (layer "
          "norm) and G = 4 (one channel per group)",
          fields(G1=close(1e-6, "rel", "out (G = 1)"), G4=close(1e-6, "rel", "out (G = 4)")), hidden=True)
def spatial_gn_forward_extremes(ns):
    rng = np.random.RandomState(4141)
    return {"G1": _sgn_forward(rng, (3, 4, 3, 3), 1), "G4": _sgn_forward(rng, (3, 4, 3, 3), 4)}
### END HIDDEN TESTS


def _sgn_backward(rng, shape, G):
    from cs231n.layers import spatial_groupnorm_backward, spatial_groupnorm_forward
    C = shape[1]
    x = _sgn_input(rng, shape)
    gamma, beta = rng.randn(1, C, 1, 1), rng.randn(1, C, 1, 1)
    out, cache = spatial_groupnorm_forward(x, gamma, beta, G, {"eps": 1e-5})
    dx, dgamma, dbeta = spatial_groupnorm_backward(rng.randn(*np.shape(out)), cache)
    return {"dx": dx, "dgamma": dgamma, "dbeta": dbeta}


@register("test_spatial_gn_backward", "spatial_groupnorm_backward's dx, dgamma (1, 6, 1, 1) and dbeta "
          "(1, 6, 1, 1) for random x (2, 6, 4, 5) and G = 2", _grads(("dx", "dgamma", "dbeta")))
def spatial_gn_backward(ns):
    return _sgn_backward(np.random.RandomState(42), (2, 6, 4, 5), 2)


### BEGIN HIDDEN TESTS
@register("test_spatial_gn_backward", "spatial_groupnorm_backward's dx, dgamma and dbeta for random "
          "x (3, 6, 3, 2) and G = 3", _grads(("dx", "dgamma", "dbeta")), hidden=True)
def spatial_gn_backward_random(ns):
    return _sgn_backward(np.random.RandomState(4242), (3, 6, 3, 2), 3)
### END HIDDEN TESTS
