import numpy as np
import pytest
import torch

from cs231n.optim import adam, rmsprop, sgd, sgd_momentum


def test_sgd_exact_update():
    w = np.array([[1.0, -2.0], [0.5, 0.0]])
    dw = np.array([[10.0, 4.0], [-2.0, 1.0]])
    next_w, config = sgd(w, dw, {"learning_rate": 0.5})
    np.testing.assert_allclose(next_w, [[-4.0, -4.0], [1.5, -0.5]])
    assert config["learning_rate"] == 0.5


def test_sgd_default_learning_rate():
    w = np.ones(3)
    next_w, config = sgd(w, np.full(3, 2.0))
    assert config == {"learning_rate": 1e-2}
    np.testing.assert_allclose(next_w, np.full(3, 1.0 - 2e-2))


def test_sgd_keeps_other_config_entries():
    _, config = sgd(np.zeros(2), np.zeros(2), {"note": 1})
    assert config["note"] == 1 and config["learning_rate"] == 1e-2


# --- shared helpers for the update rules ---------------------------------------


def _quadratic(seed, D=5):
    """Gradient, a start and the minimiser of f(w) = 0.5 w^T A w - c^T w.

    A is positive definite. The gradient depends on w, so two optimisers only
    agree on a whole trajectory if every one of their steps agrees.
    """
    rng = np.random.RandomState(seed)
    M = rng.randn(D, D)
    A = M @ M.T / D + np.eye(D)
    c = rng.randn(D)
    return lambda w: A @ w - c, rng.randn(D), np.linalg.solve(A, c)


def _numpy_trajectory(rule, config, grad, w0, steps):
    w, path = w0.copy(), []
    for _ in range(steps):
        w, config = rule(w, grad(w), config)
        path.append(w.copy())
    return np.array(path)


def _torch_trajectory(make_optimizer, grad, w0, steps):
    w = torch.tensor(w0, dtype=torch.float64, requires_grad=True)
    opt = make_optimizer([w])
    path = []
    for _ in range(steps):
        opt.zero_grad()
        w.grad = torch.from_numpy(grad(w.detach().numpy()))
        opt.step()
        path.append(w.detach().numpy().copy())
    return np.array(path)


# --- sgd_momentum -----------------------------------------------------------------


def test_sgd_momentum_by_hand():
    w = np.array([1.0, -2.0])
    dw = np.array([0.5, 1.0])
    config = {"learning_rate": 0.1, "momentum": 0.9, "velocity": np.array([0.1, -0.2])}
    next_w, config = sgd_momentum(w, dw, config)
    # v = 0.9 * [0.1, -0.2] - 0.1 * [0.5, 1.0] = [0.04, -0.28]
    np.testing.assert_allclose(config["velocity"], [0.04, -0.28], rtol=1e-12)
    np.testing.assert_allclose(next_w, [1.04, -2.28], rtol=1e-12)


def test_sgd_momentum_defaults_and_first_step():
    w, dw = np.ones(3), np.array([1.0, 2.0, -3.0])
    next_w, config = sgd_momentum(w, dw)
    assert config["learning_rate"] == 1e-2 and config["momentum"] == 0.9
    # From zero velocity the first step is a plain SGD step.
    np.testing.assert_allclose(next_w, w - 1e-2 * dw, rtol=1e-12)
    np.testing.assert_allclose(config["velocity"], -1e-2 * dw, rtol=1e-12)


def test_sgd_momentum_matches_torch_sgd():
    # torch keeps buf = mu * buf + dw and steps w -= lr * buf; here
    # v = mu * v - lr * dw. By induction v == -lr * buf as long as lr stays
    # constant, so both give the same iterates (they part ways when lr
    # changes between steps, since buf is in gradient units and v in
    # weight units).
    grad, w0, _ = _quadratic(0)
    lr, mu = 0.05, 0.9
    ours = _numpy_trajectory(sgd_momentum, {"learning_rate": lr, "momentum": mu}, grad, w0, 30)
    theirs = _torch_trajectory(
        lambda p: torch.optim.SGD(p, lr=lr, momentum=mu, dampening=0, nesterov=False), grad, w0, 30
    )
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


# --- rmsprop ----------------------------------------------------------------------


def test_rmsprop_by_hand():
    w, dw = np.array([1.0, 3.0]), np.array([2.0, -1.0])
    config = {"learning_rate": 0.1, "decay_rate": 0.99, "epsilon": 1e-8, "cache": np.array([0.0, 1.0])}
    next_w, config = rmsprop(w, dw, config)
    # cache = 0.99 * [0, 1] + 0.01 * [4, 1] = [0.04, 1.0]; sqrt = [0.2, 1.0]
    np.testing.assert_allclose(config["cache"], [0.04, 1.0], rtol=1e-12)
    np.testing.assert_allclose(
        next_w, [1.0 - 0.1 * 2.0 / (0.2 + 1e-8), 3.0 + 0.1 * 1.0 / (1.0 + 1e-8)], rtol=1e-12, atol=1e-15
    )


def test_rmsprop_defaults():
    _, config = rmsprop(np.zeros(2), np.ones(2))
    assert config["learning_rate"] == 1e-2
    assert config["decay_rate"] == 0.99 and config["epsilon"] == 1e-8
    np.testing.assert_allclose(config["cache"], [0.01, 0.01])


@pytest.mark.parametrize("eps", [1e-8, 0.3])
def test_rmsprop_matches_torch(eps):
    # torch.optim.RMSprop (centered=False, momentum=0) adds eps after the
    # square root, as here, so the iterates agree to rounding error; the
    # large eps makes a misplaced eps show.
    grad, w0, _ = _quadratic(1)
    config = {"learning_rate": 0.01, "decay_rate": 0.9, "epsilon": eps}
    ours = _numpy_trajectory(rmsprop, config, grad, w0, 25)
    theirs = _torch_trajectory(lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.9, eps=eps), grad, w0, 25)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


# --- adam -------------------------------------------------------------------------


def test_adam_first_step_is_learning_rate_times_sign():
    # After one step the bias-corrected moments are dw and dw**2, so the step
    # is lr * dw / (|dw| + eps): lr times the sign of the gradient.
    w, dw = np.array([1.0, -1.0, 0.5]), np.array([3.0, -0.5, 1e-3])
    next_w, config = adam(w, dw, {"learning_rate": 0.01})
    np.testing.assert_allclose(next_w, w - 0.01 * dw / (np.abs(dw) + 1e-8), rtol=1e-12)
    assert config["t"] == 1
    np.testing.assert_allclose(config["m"], 0.1 * dw, rtol=1e-12)
    np.testing.assert_allclose(config["v"], 0.001 * dw**2, rtol=1e-12)


def test_adam_second_step_by_hand():
    w = np.array([0.0])
    _, config = adam(w, np.array([1.0]))
    next_w, config = adam(w, np.array([3.0]), config)
    # m = 0.9 * 0.1 + 0.1 * 3 = 0.39, v = 0.999 * 0.001 + 0.001 * 9 = 0.009999
    m_hat = 0.39 / (1 - 0.9**2)
    v_hat = 0.009999 / (1 - 0.999**2)
    assert config["t"] == 2
    np.testing.assert_allclose(config["m"], [0.39], rtol=1e-12)
    np.testing.assert_allclose(config["v"], [0.009999], rtol=1e-12)
    np.testing.assert_allclose(next_w, [-1e-3 * m_hat / (np.sqrt(v_hat) + 1e-8)], rtol=1e-12)


def test_adam_defaults():
    _, config = adam(np.zeros(2), np.ones(2))
    assert config["learning_rate"] == 1e-3
    assert (config["beta1"], config["beta2"], config["epsilon"]) == (0.9, 0.999, 1e-8)


@pytest.mark.parametrize("eps", [1e-8, 0.3])
def test_adam_matches_torch(eps):
    # torch divides by sqrt(v) / sqrt(1 - beta2**t) + eps, which is
    # sqrt(v_hat) + eps: the same place for eps, so the iterates agree to
    # rounding error. The large eps would expose eps added inside the root
    # or before the bias correction.
    grad, w0, _ = _quadratic(2)
    config = {"learning_rate": 0.05, "beta1": 0.8, "beta2": 0.95, "epsilon": eps}
    ours = _numpy_trajectory(adam, config, grad, w0, 25)
    theirs = _torch_trajectory(
        lambda p: torch.optim.Adam(p, lr=0.05, betas=(0.8, 0.95), eps=eps), grad, w0, 25
    )
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("rule", [sgd_momentum, rmsprop, adam])
def test_update_rules_leave_w_and_dw_unchanged(rule, rng):
    w, dw = rng.randn(3, 4), rng.randn(3, 4)
    w0, dw0 = w.copy(), dw.copy()
    next_w, _ = rule(w, dw, None)
    np.testing.assert_array_equal(w, w0)
    np.testing.assert_array_equal(dw, dw0)
    assert next_w.shape == w.shape and not np.allclose(next_w, w)


@pytest.mark.parametrize("rule", [sgd_momentum, rmsprop, adam])
def test_update_rules_descend_a_quadratic(rule):
    grad, w0, w_star = _quadratic(3)
    config = {"learning_rate": 0.05}
    path = _numpy_trajectory(rule, config, grad, w0, 400)
    assert np.linalg.norm(path[-1] - w_star) < 0.1 * np.linalg.norm(w0 - w_star)

