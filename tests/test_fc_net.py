import numpy as np
import pytest

from cs231n.classifiers import TwoLayerNet
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
