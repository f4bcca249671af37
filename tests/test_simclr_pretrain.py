"""Pretraining of the SimCLR encoder and the shipped checkpoint (cs231n/simclr/pretrain.py)."""
import hashlib
import json

import numpy as np
import pytest
import torch

from cs231n.simclr import pretrain as pt
from cs231n.simclr.data_utils import get_image_data, transform_images
from cs231n.simclr.model import Model
from cs231n.simclr.utils import extract_features, knn_predict


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    with torch.random.fork_rng(devices=[]):
        yield
    torch.set_num_threads(threads)


def tiny_run():
    return pt.pretrain(epochs=1, batch_size=32, num_train=96, seed=3, log=lambda line: None)


@pytest.fixture(scope="module")
def two_tiny_runs():
    with torch.random.fork_rng(devices=[]):
        return tiny_run(), tiny_run()


def test_pretraining_is_deterministic(two_tiny_runs, tmp_path):
    (model_a, record_a), (model_b, record_b) = two_tiny_runs
    for (name, a), b in zip(model_a.state_dict().items(), model_b.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=name)
    assert record_a["history"] == record_b["history"]
    paths = [pt.save_checkpoint(m, r, tmp_path / tag)[0] for tag, (m, r) in zip("ab", two_tiny_runs)]
    assert paths[0].read_bytes() == paths[1].read_bytes()


def test_pretraining_changes_the_weights_and_records_what_it_did(two_tiny_runs):
    model, record = two_tiny_runs[0]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(3)
        initial = Model(feature_dim=record["feature_dim"])
    changed = [not torch.equal(a, b) for a, b in zip(model.state_dict().values(), initial.state_dict().values())]
    assert all(changed)
    assert record["epochs"] == 1 and record["train_images"] == 96 and record["seed"] == 3
    assert len(record["history"]["loss"]) == 1 and len(record["history"]["knn_val_accuracy"]) == 2
    assert record["train_seconds"] > 0 and record["versions"]["torch"] == torch.__version__
    assert np.isfinite(record["history"]["loss"][0])


def test_checkpoints_round_trip_and_refuse_changed_weights(two_tiny_runs, tmp_path):
    model, record = two_tiny_runs[0]
    weights, meta = pt.save_checkpoint(model, record, tmp_path)
    saved = json.loads(meta.read_text())
    assert saved["sha256"] == hashlib.sha256(weights.read_bytes()).hexdigest()
    loaded = pt.load_pretrained(tmp_path)
    assert not loaded.training
    for a, b in zip(model.state_dict().values(), loaded.state_dict().values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)

    with np.load(weights) as arrays:
        state = {k: arrays[k] for k in arrays.files}
    state["f.0.weight"] = state["f.0.weight"] + 1e-3
    np.savez_compressed(weights, **state)
    with pytest.raises(ValueError, match="SHA-256"):
        pt.load_pretrained(tmp_path)
    weights.unlink()
    with pytest.raises(FileNotFoundError, match="pretrain"):
        pt.load_pretrained(tmp_path)


def test_a_checkpoint_of_another_architecture_is_refused(two_tiny_runs, tmp_path):
    model, record = two_tiny_runs[0]
    pt.save_checkpoint(torch.nn.Sequential(torch.nn.Linear(2, 2)), record, tmp_path)
    with pytest.raises(ValueError, match="does not fit"):
        pt.load_pretrained(tmp_path)


# ------------------------------------------------------------------ the shipped checkpoint

def test_the_shipped_checkpoint_is_small_verified_and_documented():
    record = pt.load_record()
    weights = pt.PRETRAINED_DIR / record["file"]
    assert weights.stat().st_size < 2 * 2**20
    assert record["sha256"] == hashlib.sha256(weights.read_bytes()).hexdigest()
    for key in ("epochs", "seed", "batch_size", "temperature", "learning_rate", "train_seconds", "versions",
                "history", "knn_val_accuracy", "train_images"):
        assert key in record, key
    assert record["train_images"] == 5000 and record["dataset"] == "cluttered_digits"
    assert len(record["history"]["loss"]) == record["epochs"]
    assert record["history"]["loss"][-1] < record["history"]["loss"][0]
    pt.load_pretrained()


def test_the_shipped_encoder_has_the_recorded_knn_accuracy():
    torch.set_num_threads(1)
    record = pt.load_record()
    model = pt.load_pretrained()
    data = get_image_data("cluttered_digits")
    train_f = extract_features(model.f, transform_images(data["X_train"]))
    pred = knn_predict(train_f, data["y_train"], extract_features(model.f, transform_images(data["X_val"])))
    accuracy = float(np.mean(pred == data["y_val"]))
    # the same machine gives the same number; another CPU may round differently and flip a vote or two
    assert abs(accuracy - record["knn_val_accuracy"]) <= 0.01
    assert accuracy > 0.4


def test_the_pretraining_command_writes_to_the_folder_given(tmp_path, monkeypatch):
    calls = {}

    def fake_pretrain(**kwargs):
        calls.update(kwargs)
        return Model(feature_dim=kwargs["feature_dim"]).eval(), {"feature_dim": kwargs["feature_dim"]}

    monkeypatch.setattr(pt, "pretrain", fake_pretrain)
    assert pt.main(["--epochs", "2", "--out", str(tmp_path)]) == 0
    assert calls["epochs"] == 2 and calls["seed"] == pt.DEFAULTS["seed"]
    assert isinstance(pt.load_pretrained(tmp_path), Model)
