import numpy as np
import pytest

from cs231n.classifiers.cnn import ThreeLayerConvNet
from cs231n.data_utils import get_data
from cs231n.gradient_check import eval_numerical_gradient, rel_error
from cs231n.layers import conv_forward_naive, max_pool_forward_naive
from cs231n.solver import Solver

TINY = dict(input_dim=(3, 8, 8), num_filters=3, filter_size=3, hidden_dim=7, num_classes=10)


def _scores_by_hand(params, X):
    """conv - relu - pool - affine - relu - affine with the naive layers."""
    pad = (params["W1"].shape[2] - 1) // 2
    a = conv_forward_naive(X, params["W1"], params["b1"], {"stride": 1, "pad": pad})[0]
    pooled = max_pool_forward_naive(
        np.maximum(0, a), {"pool_height": 2, "pool_width": 2, "stride": 2}
    )[0]
    hidden = np.maximum(0, pooled.reshape(len(X), -1) @ params["W2"] + params["b2"])
    return hidden @ params["W3"] + params["b3"]


def _softmax_loss_by_hand(scores, y):
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -log_probs[np.arange(len(y)), y].mean()


def test_param_shapes_and_init():
    np.random.seed(0)
    model = ThreeLayerConvNet(weight_scale=1e-2)
    expected = {
        "W1": (32, 3, 7, 7), "b1": (32,),
        "W2": (32 * 16 * 16, 100), "b2": (100,),
        "W3": (100, 10), "b3": (10,),
    }
    assert {k: v.shape for k, v in model.params.items()} == expected
    for name, value in model.params.items():
        assert value.dtype == np.float32, name
        if name.startswith("b"):
            assert not value.any(), name
        else:
            assert abs(value.std() - 1e-2) < 1e-3, name
            assert abs(value.mean()) < 1e-3, name


def test_param_shapes_tiny_and_odd_input():
    model = ThreeLayerConvNet(input_dim=(1, 9, 6), num_filters=4, filter_size=5, hidden_dim=6,
                              num_classes=3, dtype=np.float64)
    # Padding 2 keeps 9x6; pooling floors to 4x3.
    assert model.params["W1"].shape == (4, 1, 5, 5)
    assert model.params["W2"].shape == (4 * 4 * 3, 6)
    assert model.params["W3"].shape == (6, 3)
    assert all(v.dtype == np.float64 for v in model.params.values())
    assert model.loss(np.random.RandomState(0).randn(2, 1, 9, 6)).shape == (2, 3)


def test_initial_loss_is_log_num_classes_for_tiny_weights(rng):
    np.random.seed(0)
    model = ThreeLayerConvNet(**TINY, weight_scale=1e-3, dtype=np.float64)
    X = rng.randn(10, 3, 8, 8)
    y = rng.randint(10, size=10)
    loss, _ = model.loss(X, y)
    # Scores of ~1e-8 give an almost uniform softmax.
    assert abs(loss - np.log(10)) < 1e-4


def test_loss_and_scores_match_naive_layers(rng):
    np.random.seed(1)
    model = ThreeLayerConvNet(**TINY, weight_scale=1e-1, reg=0.3, dtype=np.float64)
    X = rng.randn(4, 3, 8, 8)
    y = rng.randint(10, size=4)
    expected_scores = _scores_by_hand(model.params, X)

    scores = model.loss(X)
    assert scores.shape == (4, 10)
    np.testing.assert_allclose(scores, expected_scores, rtol=1e-10, atol=1e-12)

    loss, grads = model.loss(X, y)
    l2 = sum(np.sum(model.params[w] ** 2) for w in ("W1", "W2", "W3"))
    assert np.isclose(loss, _softmax_loss_by_hand(expected_scores, y) + 0.5 * 0.3 * l2, rtol=1e-12)
    assert {k: v.shape for k, v in grads.items()} == {k: v.shape for k, v in model.params.items()}


def test_float32_model_computes_in_float32(rng):
    np.random.seed(2)
    model = ThreeLayerConvNet(**TINY)
    X = rng.randn(2, 3, 8, 8)  # float64 input is cast
    assert model.loss(X).dtype == np.float32
    _, grads = model.loss(X, np.array([0, 1]))
    assert all(g.dtype == np.float32 for g in grads.values())


@pytest.mark.parametrize("reg", [0.0, 0.5])
def test_gradients_numeric(reg):
    np.random.seed(231)
    X = np.random.randn(2, 3, 8, 8)
    y = np.array([1, 4])
    model = ThreeLayerConvNet(**TINY, weight_scale=1e-1, reg=reg, dtype=np.float64)
    loss, grads = model.loss(X, y)
    for name in sorted(model.params):
        num = eval_numerical_gradient(lambda _: model.loss(X, y)[0], model.params[name], verbose=False)
        err = rel_error(num, grads[name])
        assert err < 1e-6, f"{name}: rel error {err:.1e}"


def test_overfits_50_digits():
    data = get_data("digits", num_training=50)
    assert data["X_train"].shape == (50, 1, 8, 8)
    np.random.seed(0)
    model = ThreeLayerConvNet(input_dim=(1, 8, 8), num_filters=16, filter_size=3,
                              hidden_dim=50, weight_scale=5e-2)
    solver = Solver(model, data, update_rule="adam", optim_config={"learning_rate": 1e-3},
                    num_epochs=15, batch_size=10, verbose=False, seed=0)
    solver.train()
    assert solver.train_acc_history[-1] >= 0.9
    assert solver.loss_history[-1] < solver.loss_history[0]
