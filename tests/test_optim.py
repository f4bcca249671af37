import numpy as np

from cs231n.optim import sgd


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
