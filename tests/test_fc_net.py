import numpy as np
import pytest

from cs231n.classifiers import TwoLayerNet
from cs231n.classifiers.fc_net import FullyConnectedNet
from cs231n.gradient_check import eval_numerical_gradient, rel_error


def _reference_scores(params, X):
    """affine - relu - affine written out directly."""
    hidden = np.maximum(0, X.reshape(X.shape[0], -1) @ params["W1"] + params["b1"])
    return hidden @ params["W2"] + params["b2"]


def test_init_shapes_and_scales():
    np.random.seed(0)
    net = TwoLayerNet(input_dim=64, hidden_dim=200, num_classes=10, weight_scale=1e-2)
    p = net.params
    assert set(p) == {"W1", "b1", "W2", "b2"}
    assert p["W1"].shape == (64, 200) and p["b1"].shape == (200,)
    assert p["W2"].shape == (200, 10) and p["b2"].shape == (10,)
    assert 0.009 < p["W1"].std() < 0.011 and 0.009 < p["W2"].std() < 0.011
    assert abs(p["W1"].mean()) < 1e-3
    assert not p["b1"].any() and not p["b2"].any()


def test_init_follows_np_random_seed():
    np.random.seed(3)
    a = TwoLayerNet(input_dim=5, hidden_dim=4, num_classes=3).params
    np.random.seed(3)
    b = TwoLayerNet(input_dim=5, hidden_dim=4, num_classes=3).params
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])


def test_scores_match_reference(rng):
    net = TwoLayerNet(input_dim=6, hidden_dim=5, num_classes=4)
    for k in net.params:
        net.params[k] = rng.randn(*net.params[k].shape)
    X = rng.randn(3, 2, 3)  # flattened to D = 6 inside
    scores = net.loss(X)
    assert scores.shape == (3, 4)
    np.testing.assert_allclose(scores, _reference_scores(net.params, X))


def test_initial_loss_is_log_num_classes(rng):
    np.random.seed(1)
    net = TwoLayerNet(input_dim=64, hidden_dim=50, num_classes=10, weight_scale=1e-5)
    loss, _ = net.loss(rng.randn(20, 64), rng.randint(10, size=20))
    assert loss == pytest.approx(np.log(10), abs=1e-3)


def test_regularisation_term(rng):
    net = TwoLayerNet(input_dim=4, hidden_dim=3, num_classes=2, weight_scale=1.0)
    X, y = rng.randn(5, 4), rng.randint(2, size=5)
    net.reg = 0.0
    loss0, _ = net.loss(X, y)
    net.reg = 0.8
    loss1, _ = net.loss(X, y)
    W1, W2 = net.params["W1"], net.params["W2"]
    assert loss1 - loss0 == pytest.approx(0.5 * 0.8 * (np.sum(W1**2) + np.sum(W2**2)))


@pytest.mark.parametrize("reg", [0.0, 0.7])
def test_gradients_numeric(rng, reg):
    N, D, H, C = 3, 5, 50, 7
    np.random.seed(2)
    net = TwoLayerNet(input_dim=D, hidden_dim=H, num_classes=C, weight_scale=5e-2, reg=reg)
    for k in ("b1", "b2"):  # non-zero biases exercise their gradients properly
        net.params[k] = 0.1 * rng.randn(*net.params[k].shape)
    X = rng.randn(N, D)
    y = rng.randint(C, size=N)
    loss, grads = net.loss(X, y)
    assert set(grads) == set(net.params)
    for name in sorted(net.params):
        f = lambda _: net.loss(X, y)[0]  # noqa: E731
        num = eval_numerical_gradient(f, net.params[name], verbose=False)
        assert grads[name].shape == net.params[name].shape
        # 1e-6 rather than 1e-7: the centred difference loses a few digits on
        # entries whose gradient is tiny; a wrong formula gives 1e-2 or more.
        assert rel_error(num, grads[name]) < 1e-6, name


# --- FullyConnectedNet ---------------------------------------------------------------


def _numeric_check(net, X, y, names=None):
    """Compare every analytic gradient of ``net`` with centred differences.

    Relative error at most 1e-7, except where a gradient entry is so small
    that the rounding error of the centred difference itself, about
    eps * |loss| / h, exceeds 1e-7 of it: there the difference may be up to
    ten times that rounding error (about 4e-10 for a loss of 2). A wrong
    formula is off by far more.
    """
    loss, grads = net.loss(X, y)
    assert set(grads) == set(net.params)
    h = 1e-5
    noise = 10 * np.finfo(np.float64).eps * abs(loss) / h
    for name in names or sorted(net.params):
        num = eval_numerical_gradient(lambda _: net.loss(X, y)[0], net.params[name], verbose=False, h=h)
        ana = grads[name]
        assert ana.shape == net.params[name].shape, name
        excess = np.abs(ana - num) - 1e-7 * (np.abs(ana) + np.abs(num))
        assert np.all(excess <= noise), (name, rel_error(ana, num))


def _reference_fc_scores(params, X, num_layers, normalization=None, eps=1e-5):
    """Test-time forward pass without dropout, written out directly."""
    h = X.reshape(X.shape[0], -1)
    for layer in range(1, num_layers):
        h = h @ params[f"W{layer}"] + params[f"b{layer}"]
        if normalization == "layernorm":
            h = (h - h.mean(axis=1, keepdims=True)) / np.sqrt(h.var(axis=1, keepdims=True) + eps)
            h = params[f"gamma{layer}"] * h + params[f"beta{layer}"]
        h = np.maximum(h, 0)
    return h @ params[f"W{num_layers}"] + params[f"b{num_layers}"]


@pytest.mark.parametrize("hidden_dims", [[7], [7, 6], [7, 6, 5]])
@pytest.mark.parametrize("normalization", [None, "batchnorm", "layernorm"])
def test_fc_param_shapes(hidden_dims, normalization):
    np.random.seed(0)
    net = FullyConnectedNet(hidden_dims, input_dim=9, num_classes=4, normalization=normalization)
    dims = [9, *hidden_dims, 4]
    L = len(dims) - 1
    assert net.num_layers == L and net.normalization == normalization
    expected = {}
    for layer in range(1, L + 1):
        expected[f"W{layer}"] = (dims[layer - 1], dims[layer])
        expected[f"b{layer}"] = (dims[layer],)
        if normalization and layer < L:
            expected[f"gamma{layer}"] = (dims[layer],)
            expected[f"beta{layer}"] = (dims[layer],)
    assert {k: v.shape for k, v in net.params.items()} == expected
    for layer in range(1, L + 1):
        assert not net.params[f"b{layer}"].any()
        if normalization and layer < L:
            assert np.all(net.params[f"gamma{layer}"] == 1) and not net.params[f"beta{layer}"].any()
    assert len(net.bn_params) == (L - 1 if normalization else 0)
    assert all(p == {"mode": "train"} for p in net.bn_params)


def test_fc_weight_scale_and_seeded_init():
    np.random.seed(5)
    a = FullyConnectedNet([300, 200], input_dim=100, weight_scale=0.05)
    assert 0.048 < a.params["W1"].std() < 0.052 and 0.048 < a.params["W2"].std() < 0.052
    np.random.seed(5)
    b = FullyConnectedNet([300, 200], input_dim=100, weight_scale=0.05)
    for k in a.params:
        np.testing.assert_array_equal(a.params[k], b.params[k])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fc_dtype_of_params_and_outputs(rng, dtype):
    net = FullyConnectedNet([6, 5], input_dim=4, num_classes=3, normalization="batchnorm",
                            dropout_keep_ratio=0.5, dtype=dtype, seed=0)
    assert all(v.dtype == dtype for v in net.params.values())
    X, y = rng.randn(5, 4), rng.randint(3, size=5)
    loss, grads = net.loss(X, y)
    assert all(g.dtype == dtype for g in grads.values())
    assert net.loss(X).dtype == dtype


def test_fc_attributes_and_dropout_param():
    net = FullyConnectedNet([3], input_dim=2, dropout_keep_ratio=0.75, reg=0.4, seed=12)
    assert net.use_dropout and net.reg == 0.4 and net.dtype == np.float32
    assert net.dropout_param == {"mode": "train", "p": 0.75, "seed": 12}
    assert FullyConnectedNet([3], input_dim=2, dropout_keep_ratio=0.75).dropout_param == {"mode": "train", "p": 0.75}
    assert not FullyConnectedNet([3], input_dim=2).use_dropout


@pytest.mark.parametrize("bad", ["groupnorm", "BatchNorm", True])
def test_fc_rejects_unknown_normalization(bad):
    with pytest.raises(ValueError, match="normalization"):
        FullyConnectedNet([3], input_dim=2, normalization=bad)


@pytest.mark.parametrize("normalization", [None, "batchnorm", "layernorm"])
def test_fc_initial_loss_is_log_num_classes(rng, normalization):
    np.random.seed(1)
    net = FullyConnectedNet([20, 30], input_dim=15, num_classes=10, weight_scale=1e-4,
                            normalization=normalization, dtype=np.float64)
    loss, _ = net.loss(rng.randn(16, 15), rng.randint(10, size=16))
    assert loss == pytest.approx(np.log(10), abs=1e-3)


@pytest.mark.parametrize("normalization", [None, "layernorm"])
def test_fc_scores_match_reference(rng, normalization):
    net = FullyConnectedNet([6, 5], input_dim=8, num_classes=3, normalization=normalization,
                            dropout_keep_ratio=0.5, dtype=np.float64, seed=0)
    for k in net.params:
        net.params[k] = rng.randn(*net.params[k].shape)
    X = rng.randn(4, 2, 4)
    np.testing.assert_allclose(net.loss(X), _reference_fc_scores(net.params, X, 3, normalization), rtol=1e-10)


def test_fc_batchnorm_test_mode_uses_running_averages(rng):
    np.random.seed(0)
    net = FullyConnectedNet([6], input_dim=4, num_classes=3, normalization="batchnorm", dtype=np.float64)
    X, y = rng.randn(10, 4), rng.randint(3, size=10)
    net.loss(X, y)
    rm, rv = net.bn_params[0]["running_mean"].copy(), net.bn_params[0]["running_var"].copy()
    scores = net.loss(X)
    assert net.bn_params[0]["mode"] == "test"
    np.testing.assert_array_equal(net.bn_params[0]["running_mean"], rm)
    # An example's test scores do not depend on the rest of its batch.
    np.testing.assert_allclose(net.loss(X[3:4]), scores[3:4], rtol=1e-12)
    p = net.params
    h = np.maximum(p["gamma1"] * (X @ p["W1"] + p["b1"] - rm) / np.sqrt(rv + 1e-5) + p["beta1"], 0)
    np.testing.assert_allclose(scores, h @ p["W2"] + p["b2"], rtol=1e-10)


def test_fc_regularisation_covers_weights_only(rng):
    net = FullyConnectedNet([5, 4], input_dim=3, num_classes=2, normalization="batchnorm",
                            weight_scale=1.0, dtype=np.float64)
    for k in net.params:  # gammas and betas away from 1 and 0, to catch them in the sum
        net.params[k] = rng.randn(*net.params[k].shape)
    X, y = rng.randn(6, 3), rng.randint(2, size=6)
    net.reg = 0.0
    loss0, grads0 = net.loss(X, y)
    net.reg = 0.6
    loss1, grads1 = net.loss(X, y)
    weights = [net.params[f"W{layer}"] for layer in (1, 2, 3)]
    assert loss1 - loss0 == pytest.approx(0.5 * 0.6 * sum(np.sum(W**2) for W in weights), rel=1e-10)
    for k in net.params:
        expected = grads0[k] + (0.6 * net.params[k] if k.startswith("W") else 0)
        np.testing.assert_allclose(grads1[k], expected, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("reg", [0.0, 3.14])
@pytest.mark.parametrize("normalization", [None, "batchnorm", "layernorm"])
@pytest.mark.parametrize("keep", [1, 0.6])
def test_fc_gradients_numeric(keep, normalization, reg):
    np.random.seed(0)
    net = FullyConnectedNet([5, 7], input_dim=6, num_classes=4, dropout_keep_ratio=keep,
                            normalization=normalization, reg=reg, weight_scale=0.5,
                            dtype=np.float64, seed=1)
    rng = np.random.RandomState(100)
    for k in net.params:  # biases, gammas and betas away from 0 and 1 exercise their gradients
        if not k.startswith("W"):
            net.params[k] += 0.1 * rng.randn(*net.params[k].shape)
    X, y = rng.randn(8, 6), rng.randint(4, size=8)
    _numeric_check(net, X, y)


def test_fc_bias_before_batchnorm_has_no_gradient(rng):
    # Batch normalization subtracts the batch mean, which removes any bias
    # added just before it: the loss does not depend on b1, b2.
    np.random.seed(0)
    net = FullyConnectedNet([5, 7], input_dim=6, num_classes=4, normalization="batchnorm",
                            weight_scale=0.5, dtype=np.float64)
    X, y = rng.randn(8, 6), rng.randint(4, size=8)
    _, grads = net.loss(X, y)
    assert np.abs(grads["b1"]).max() < 1e-12 and np.abs(grads["b2"]).max() < 1e-12
    assert np.abs(grads["b3"]).max() > 1e-3


def test_fc_dropout_is_deterministic_with_a_seed(rng):
    X, y = rng.randn(6, 5), rng.randint(3, size=6)

    def make(seed):
        np.random.seed(3)
        return FullyConnectedNet([40, 40], input_dim=5, num_classes=3, dropout_keep_ratio=0.5,
                                 weight_scale=0.5, dtype=np.float64, seed=seed)

    a, b, c = make(1), make(1), make(2)
    loss_a, grads_a = a.loss(X, y)
    loss_b, grads_b = b.loss(X, y)
    assert loss_a == a.loss(X, y)[0] == loss_b
    for k in grads_a:
        np.testing.assert_array_equal(grads_a[k], grads_b[k])
    assert c.loss(X, y)[0] != loss_a
    # Test time switches dropout off: the scores are the plain forward pass.
    np.testing.assert_allclose(a.loss(X), _reference_fc_scores(a.params, X, 3), rtol=1e-10)
    assert a.dropout_param["mode"] == "test"


def test_fc_overfits_50_digits():
    from cs231n.data_utils import get_data
    from cs231n.solver import Solver

    data = get_data("digits")
    small = {
        "X_train": data["X_train"][:50],
        "y_train": data["y_train"][:50],
        "X_val": data["X_val"],
        "y_val": data["y_val"],
    }
    np.random.seed(0)
    model = FullyConnectedNet([100, 100], input_dim=64, num_classes=10, weight_scale=1e-2)
    solver = Solver(model, small, update_rule="sgd", optim_config={"learning_rate": 3e-2},
                    num_epochs=40, batch_size=25, verbose=False, seed=0)
    solver.train()
    # train_acc_history[e] is the accuracy after e epochs.
    assert 1.0 in solver.train_acc_history
    assert solver.train_acc_history.index(1.0) < 40
