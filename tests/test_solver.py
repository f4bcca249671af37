import pickle

import numpy as np
import pytest

from cs231n.classifiers import TwoLayerNet
from cs231n.data_utils import get_digits_data
from cs231n.solver import Solver


@pytest.fixture(scope="module")
def small_data():
    return get_digits_data(num_training=50, flatten=True)


def _train(data, seed=0, **kwargs):
    np.random.seed(0)
    model = TwoLayerNet(input_dim=64, hidden_dim=100, weight_scale=1e-2)
    options = dict(optim_config={"learning_rate": 1e-3}, num_epochs=20,
                   batch_size=10, verbose=False, seed=seed)
    options.update(kwargs)
    solver = Solver(model, data, **options)
    solver.train()
    return model, solver


@pytest.fixture(scope="module")
def overfit_run(small_data):
    """20 epochs on 50 digits; validation peaks before the last epoch."""
    return _train(small_data, num_epochs=20, num_val_samples=None)


def test_overfits_50_digits(overfit_run):
    _, solver = overfit_run
    assert solver.train_acc_history[-1] == 1.0
    assert solver.loss_history[-1] < 0.5 * solver.loss_history[0]


def test_best_params_restored(small_data):
    """Validation scripted to peak at epoch 1: those parameters come back at the end."""
    np.random.seed(0)
    model = TwoLayerNet(input_dim=64, hidden_dim=100, weight_scale=1e-2)
    solver = Solver(model, small_data, optim_config={"learning_rate": 1e-3}, num_epochs=3,
                    batch_size=10, verbose=False, seed=0)
    scripted = iter([0.2, 0.9, 0.5, 0.4])  # after iteration 0, then after epochs 1..3
    snapshots = []
    real_check = solver.check_accuracy

    def check_accuracy(X, y, **kwargs):
        if X is small_data["X_val"]:
            snapshots.append({k: v.copy() for k, v in model.params.items()})
            return next(scripted)
        return real_check(X, y, **kwargs)

    solver.check_accuracy = check_accuracy
    solver.train()
    assert solver.best_val_acc == 0.9
    assert not np.array_equal(snapshots[1]["W1"], snapshots[-1]["W1"])
    for k, v in snapshots[1].items():
        np.testing.assert_array_equal(model.params[k], v)


def test_history_lengths(small_data):
    _, solver = _train(small_data, num_epochs=4)
    iterations_per_epoch = 50 // 10
    assert len(solver.loss_history) == 4 * iterations_per_epoch
    # Once after the first iteration, then after each epoch.
    assert len(solver.train_acc_history) == 4 + 1
    assert len(solver.val_acc_history) == 4 + 1
    assert solver.epoch == 4


def test_seed_makes_training_deterministic(small_data):
    _, a = _train(small_data, num_epochs=2, seed=7)
    _, b = _train(small_data, num_epochs=2, seed=7)
    _, c = _train(small_data, num_epochs=2, seed=8)
    assert a.loss_history == b.loss_history
    assert a.loss_history != c.loss_history


def test_lr_decay_applied_per_epoch(small_data):
    _, solver = _train(small_data, num_epochs=3, lr_decay=0.5)
    for config in solver.optim_configs.values():
        assert config["learning_rate"] == pytest.approx(1e-3 * 0.5**3)


def test_callable_update_rule(small_data):
    calls = []

    def frozen(w, dw, config=None):
        calls.append(w.shape)
        return w, config

    np.random.seed(0)
    model = TwoLayerNet(input_dim=64, hidden_dim=10)
    before = {k: v.copy() for k, v in model.params.items()}
    Solver(model, small_data, update_rule=frozen, num_epochs=1, batch_size=25,
           verbose=False, seed=0).train()
    assert len(calls) == 2 * 4  # 2 iterations, 4 parameters
    for k in before:
        np.testing.assert_array_equal(model.params[k], before[k])


def test_unknown_kwargs_and_rules_raise(small_data):
    model = TwoLayerNet(input_dim=64, hidden_dim=10)
    with pytest.raises(ValueError, match="learning_rate"):
        Solver(model, small_data, learning_rate=1e-3)
    with pytest.raises(ValueError, match="nesterov"):
        Solver(model, small_data, update_rule="nesterov")
    with pytest.raises(ValueError, match="X_val"):
        Solver(model, {"X_train": 0, "y_train": 0, "y_val": 0})


def test_check_accuracy_counts_correct_predictions():
    class Echo:
        """Scores are the inputs themselves: predicts argmax of each row."""

        params = {}

        def loss(self, X, y=None):
            return X

    X = np.eye(4)[[0, 1, 2, 3, 0, 1, 2]]
    y = np.array([0, 1, 2, 0, 0, 3, 2])  # 5 of 7 right
    data = {"X_train": X, "y_train": y, "X_val": X, "y_val": y}
    solver = Solver(Echo(), data, verbose=False)
    assert solver.check_accuracy(X, y, batch_size=3) == pytest.approx(5 / 7)
    assert solver.check_accuracy(X, y, num_samples=3) in {0, 1 / 3, 2 / 3, 1}


def test_checkpoint_and_verbose_output(small_data, tmp_path, capsys):
    _train(small_data, num_epochs=2, verbose=True, print_every=1,
           checkpoint_name=str(tmp_path / "ckpt"))
    # Saved with the accuracies: after the first iteration (epoch 0) and each epoch.
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["ckpt_epoch_0.pkl", "ckpt_epoch_1.pkl", "ckpt_epoch_2.pkl"]
    with open(tmp_path / "ckpt_epoch_2.pkl", "rb") as f:
        checkpoint = pickle.load(f)
    assert checkpoint["epoch"] == 2 and len(checkpoint["loss_history"]) == 10
    out = capsys.readouterr()
    assert "(Epoch 2 / 2)" in out.out + out.err
