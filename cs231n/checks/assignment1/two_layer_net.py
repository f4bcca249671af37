"""Checks of the two-layer network notebook (``two_layer_net.ipynb``).

Each probe builds its inputs from a fixed seed, calls your code and returns
what it computed; the judge beside it compares that with the reference (for
gradients: your analytic gradient with the reference's analytic gradient).
``TwoLayerNet`` draws its initial weights from ``np.random``'s global state, so
the probes seed it before building a network (and put the state back after).
"""
import numpy as np

from cs231n.checks import Verdict, close, equal, global_seed, register, variable
from cs231n.checks.judges import accuracy, as_array, fields

PARAMS = ("W1", "b1", "W2", "b2")


def _digits():
    from cs231n.data_utils import get_data
    return get_data("digits")


# --------------------------------------------------------------- affine layer

@register("test_affine_forward", "affine_forward on 2 images of shape (1, 2, 2) with 2 outputs: "
          "the outputs, and the input x left unchanged",
          fields(out=close(1e-9, "rel", "out"), x=equal("the input x after the call")))
def affine_forward_toy(ns):
    from cs231n.layers import affine_forward
    x = np.arange(8, dtype=float).reshape(2, 1, 2, 2)
    w = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [-1.0, 2.0]])
    b = np.array([0.5, -1.0])
    out, _ = affine_forward(x, w, b)
    return {"out": out, "x": x}


### BEGIN HIDDEN TESTS
@register("test_affine_forward", "affine_forward on random inputs of shape (4, 3, 2, 5) with 6 outputs",
          close(1e-9, "rel", "out"), hidden=True)
def affine_forward_random(ns):
    from cs231n.layers import affine_forward
    rng = np.random.RandomState(0)
    x = rng.randn(4, 3, 2, 5)
    w = rng.randn(30, 6)
    b = rng.randn(6)
    return affine_forward(x, w, b)[0]
### END HIDDEN TESTS


@register("test_affine_backward", "affine_backward's dx, dw and db for random x (6, 3, 2), w (6, 4) "
          "and dout (6, 4)",
          fields(dx=close(1e-7, "rel", "dx"), dw=close(1e-7, "rel", "dw"), db=close(1e-7, "rel", "db")))
def affine_backward_random(ns):
    from cs231n.layers import affine_backward, affine_forward
    rng = np.random.RandomState(1)
    x = rng.randn(6, 3, 2)
    w = rng.randn(6, 4)
    b = rng.randn(4)
    dout = rng.randn(6, 4)
    _, cache = affine_forward(x, w, b)
    dx, dw, db = affine_backward(dout, cache)
    return {"dx": dx, "dw": dw, "db": db}


# --------------------------------------------------------------- ReLU

@register("test_relu_forward", "relu_forward on 12 evenly spaced values from -0.5 to 0.5",
          close(1e-7, "max", "out"))
def relu_forward_linspace(ns):
    from cs231n.layers import relu_forward
    return relu_forward(np.linspace(-0.5, 0.5, num=12).reshape(3, 4))[0]


@register("test_relu_backward", "relu_backward lets dout through where the input x was positive, "
          "whatever the sign of dout (x = [[-1, 2], [3, -4]], dout = [[5, -6], [-7, 8]])", equal("dx"))
def relu_backward_toy(ns):
    from cs231n.layers import relu_backward, relu_forward
    x = np.array([[-1.0, 2.0], [3.0, -4.0]])
    dout = np.array([[5.0, -6.0], [-7.0, 8.0]])
    return relu_backward(dout, relu_forward(x)[1])


@register("test_relu_backward", "relu_backward on random x and dout of shape (8, 9)", close(1e-9, "rel", "dx"))
def relu_backward_random(ns):
    from cs231n.layers import relu_backward, relu_forward
    rng = np.random.RandomState(2)
    x = rng.randn(8, 9)
    x[np.abs(x) < 1e-3] = 0.5  # away from the kink at 0
    dout = rng.randn(8, 9)
    return relu_backward(dout, relu_forward(x)[1])


# --------------------------------------------------------------- loss layers

def _loss_layer(name):
    from cs231n import layers
    rng = np.random.RandomState(3)
    x = 0.001 * rng.randn(40, 10)
    y = rng.randint(10, size=40)
    loss, dx = getattr(layers, name)(x, y)
    return {"loss": loss, "dx": dx}


@register("test_loss_layers", "svm_loss on scores close to 0 for 40 examples and 10 classes: "
          "the loss (about 9.00) and dx", fields(loss=close(0.01, "max", "loss"), dx=close(1e-6, "rel", "dx")),
          weight=2)
def svm_loss_small(ns):
    return _loss_layer("svm_loss")


@register("test_loss_layers", "softmax_loss on scores close to 0 for 40 examples and 10 classes: "
          "the loss (about log 10 = 2.303) and dx",
          fields(loss=close(0.01, "max", "loss"), dx=close(1e-6, "rel", "dx")), weight=2)
def softmax_loss_small(ns):
    return _loss_layer("softmax_loss")


@register("test_loss_layers", "softmax_loss does not overflow on scores of up to 2000 "
          "(subtract each row's maximum first)",
          fields(loss=close(1e-9, "max", "loss"), dx=close(1e-6, "max", "dx")))
def softmax_loss_large(ns):
    from cs231n.layers import softmax_loss
    x = np.array([[1000.0, 0.0, -1000.0], [0.0, 2000.0, 1990.0]])
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        loss, dx = softmax_loss(x, np.array([0, 2]))
    return {"loss": loss, "dx": dx}


# --------------------------------------------------------------- TwoLayerNet

def judge_init(observed, expected):
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
    if np.any(found["b1"] != 0) or np.any(found["b2"] != 0):
        return Verdict(0.0, "the biases b1 and b2 should start at zero")
    stats = []
    for name in ("W1", "W2"):
        std, mean = float(np.std(found[name])), float(np.mean(found[name]))
        if not 0.8e-2 < std < 1.2e-2:
            return Verdict(0.0, f"{name} has standard deviation {std:.3g}, should be weight_scale = 1e-2")
        if abs(mean) >= 2e-3:
            return Verdict(0.0, f"{name} has mean {mean:.3g}, should be 0")
        stats.append(f"{name} std {std:.4f}")
    return Verdict(1.0, "shapes right, biases zero, " + ", ".join(stats))


@register("test_tln_init", "TwoLayerNet(input_dim=15, hidden_dim=50, num_classes=7, weight_scale=1e-2): "
          "shapes of W1, b1, W2, b2, zero biases, weights of mean 0 and standard deviation 1e-2", judge_init)
def tln_init(ns):
    from cs231n.classifiers.fc_net import TwoLayerNet
    with global_seed(0):
        m = TwoLayerNet(input_dim=15, hidden_dim=50, num_classes=7, weight_scale=1e-2)
    return {"keys": sorted(str(k) for k in m.params),
            "params": {name: np.asarray(m.params[name], dtype=np.float64) for name in PARAMS if name in m.params}}


def _small_net():
    """A TwoLayerNet 6-8-4 with tiny weights, 5 inputs of shape (2, 3), their labels and the rng."""
    from cs231n.classifiers.fc_net import TwoLayerNet
    with global_seed(0):
        m = TwoLayerNet(input_dim=6, hidden_dim=8, num_classes=4, weight_scale=1e-6)
    rng = np.random.RandomState(5)
    X = rng.randn(5, 2, 3)
    y = rng.randint(4, size=5)
    return m, X, y, rng


@register("test_tln_loss", "TwoLayerNet.loss with weights of scale 1e-6 on 5 inputs of shape (2, 3): "
          "scores of shape (5, 4) close to 0 without y, and the loss log(4) with y",
          fields(scores=close(1e-4, "max", "scores"), loss=close(1e-4, "max", "loss")))
def tln_loss_tiny(ns):
    m, X, y, _ = _small_net()
    scores = m.loss(X)
    loss, _ = m.loss(X, y)
    return {"scores": scores, "loss": loss}


def _set_weights(m, rng):
    m.params["W1"] = rng.randn(6, 8) * 0.3
    m.params["W2"] = rng.randn(8, 4) * 0.3


@register("test_tln_loss", "TwoLayerNet.loss grows by 0.5 * reg * (sum(W1**2) + sum(W2**2)) "
          "from reg = 0 to reg = 2", close(1e-9, "max", "the loss's growth"))
def tln_loss_reg(ns):
    m, X, y, rng = _small_net()
    _set_weights(m, rng)
    m.reg = 0.0
    loss_noreg, _ = m.loss(X, y)
    m.reg = 2.0
    loss_reg, _ = m.loss(X, y)
    return loss_reg - loss_noreg


### BEGIN HIDDEN TESTS
@register("test_tln_loss", "TwoLayerNet.loss's scores with random weights and biases",
          close(1e-9, "rel", "scores"), hidden=True)
def tln_scores_random(ns):
    m, X, _, rng = _small_net()
    _set_weights(m, rng)
    m.params["b1"] = rng.randn(8)
    m.params["b2"] = rng.randn(4)
    return m.loss(X)
### END HIDDEN TESTS


def _tln_grads(reg):
    """TwoLayerNet 5-50-7's gradients on 3 inputs, with fixed weights of scale 5e-2 and random biases."""
    from cs231n.classifiers.fc_net import TwoLayerNet
    N, D, H, C = 3, 5, 50, 7
    rng = np.random.RandomState(0)
    X = rng.randn(N, D)
    y = rng.randint(C, size=N)
    with global_seed(0):
        m = TwoLayerNet(input_dim=D, hidden_dim=H, num_classes=C, weight_scale=5e-2)
    # The weights the reference's __init__ draws after np.random.seed(0), set
    # here so that this check does not depend on the order your __init__ draws in.
    w = np.random.RandomState(0)
    m.params["W1"] = 5e-2 * w.randn(D, H)
    m.params["b1"] = np.zeros(H)
    m.params["W2"] = 5e-2 * w.randn(H, C)
    m.params["b2"] = np.zeros(C)
    # nonzero biases: regularising them by mistake must show in their gradients
    m.params["b1"], m.params["b2"] = 0.1 * w.randn(H), 0.1 * w.randn(C)
    m.reg = reg
    _, grads = m.loss(X, y)
    return {name: grads[name] for name in PARAMS if name in grads}


def judge_grads(hint):
    each = fields(**{name: close(1e-5, "rel", name) for name in PARAMS})

    def judge(observed, expected):
        verdict = each(observed, expected)
        if hint and not verdict.passed and isinstance(observed, dict) and all(k in observed for k in PARAMS):
            weights_wrong = min(close(1e-5)(observed[k], expected[k]).fraction for k in ("W1", "W2")) < 1
            biases_right = min(close(1e-5)(observed[k], expected[k]).fraction for k in ("b1", "b2")) == 1
            if weights_wrong and biases_right:
                return Verdict(verdict.fraction, verdict.message + f" ({hint})")
        return verdict
    return judge


@register("test_tln_grad", "TwoLayerNet.loss's gradients with reg = 0 (3 inputs, sizes 5-50-7)",
          judge_grads(None))
def tln_grads_noreg(ns):
    return _tln_grads(0.0)


@register("test_tln_grad", "TwoLayerNet.loss's gradients with reg = 0.7 (3 inputs, sizes 5-50-7)",
          judge_grads("is the regularisation gradient reg * W included?"))
def tln_grads_reg(ns):
    return _tln_grads(0.7)


# --------------------------------------------------------------- training

def _val_labels():
    return _digits()["y_val"]


def judge_solver(observed, expected):
    if not isinstance(observed, dict) or "loss_history" not in observed or "predictions" not in observed:
        return Verdict(0.0, "the check returned malformed data")
    try:
        history = np.asarray(observed["loss_history"], dtype=np.float64).ravel()
    except (TypeError, ValueError):
        return Verdict(0.0, "the loss history is not a list of numbers")
    if not np.all(np.isfinite(history)):
        first = int(np.argmin(np.isfinite(history)))
        return Verdict(0.0, f"the loss became nan or inf during training (iteration {first + 1})")
    return accuracy(0.85, "best validation accuracy", 0.905)(observed["predictions"], expected)


@register("test_tln_solver", "Solver trains TwoLayerNet (hidden 50, weight_scale 1e-2, lr 1e-3, 10 epochs, "
          "seeds 0) to a finite loss and a best validation accuracy >= 0.85", judge_solver, expect=_val_labels)
def tln_solver(ns):
    from cs231n.classifiers.fc_net import TwoLayerNet
    from cs231n.solver import Solver
    d = _digits()
    with global_seed(0):
        m = TwoLayerNet(input_dim=64, hidden_dim=50, num_classes=10, weight_scale=1e-2)
    s = Solver(m, d, update_rule="sgd", optim_config={"learning_rate": 1e-3},
               lr_decay=0.95, num_epochs=10, batch_size=100, verbose=False, seed=0)
    s.train()  # ends with the parameters of the best validation accuracy
    return {"loss_history": np.asarray(s.loss_history, dtype=np.float64),
            "predictions": np.argmax(m.loss(d["X_val"]), axis=1)}


# --------------------------------------------------------------- the notebook's tuned model

def _val_test_labels():
    d = _digits()
    return {"val": d["y_val"], "test": d["y_test"]}


@register("test_tln_best", "best_model reaches >= 0.94 on the validation set and >= 0.94 on the test set",
          fields(val=accuracy(0.94, "validation accuracy", 0.980), test=accuracy(0.94, "test accuracy", 0.964)),
          notebook=True, expect=_val_test_labels)
def tln_best(ns):
    best_model = variable(ns, "best_model")
    if best_model is None:
        raise ValueError("best_model is None: store your best TwoLayerNet in it")
    d = _digits()
    return {"val": np.argmax(best_model.loss(d["X_val"]), axis=1),
            "test": np.argmax(best_model.loss(d["X_test"]), axis=1)}
