"""Pretrain the SimCLR encoder on the unlabeled cluttered digits, and load the result.

    python -m cs231n.simclr.pretrain            # writes cs231n/simclr/pretrained/

trains ``Model`` with the package's own augmentation, pair dataset, loss and
``train`` loop (the reference solution: in a released assignment these are
the stubs students fill in) on the 5000 training images, without their
labels, on one CPU thread with every seed fixed, so that the same machine
writes the same weights on every run. After every epoch it measures the
weighted k-nearest-neighbour accuracy on the validation images (memory: the
training images). It writes

- ``simclr_encoder.npz``: the model's ``state_dict`` as float32 arrays
  (about half a megabyte), readable without pickle;
- ``simclr_encoder.json``: how it was made (seed, epochs, hyperparameters,
  versions), how long training took (and the machine's load average meanwhile:
  on a shared machine other processes slow it down), the loss and monitor
  accuracy of every epoch, and the SHA-256 digest of the ``.npz`` that
  ``load_pretrained`` verifies.
"""
import argparse
import hashlib
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torchvision
from torch.utils.data import DataLoader

from cs231n.simclr.data_utils import PairDataset, compute_train_transform, get_image_data, transform_images
from cs231n.simclr.model import ENCODER_CHANNELS, Model
from cs231n.simclr.utils import extract_features, knn_predict, train

PRETRAINED_DIR = Path(__file__).resolve().parent / "pretrained"
CHECKPOINT = "simclr_encoder"

#: The settings of the shipped checkpoint.
DEFAULTS = dict(epochs=15, batch_size=64, temperature=0.5, learning_rate=1e-3, weight_decay=1e-6,
                feature_dim=128, seed=0, num_train=None)


def knn_accuracy(model, memory, memory_labels, queries, query_labels):
    """Weighted kNN accuracy of the encoder's features (k = 200, temperature 0.5)."""
    train_features = extract_features(model.f, memory)
    pred = knn_predict(train_features, memory_labels, extract_features(model.f, queries))
    return float(np.mean(pred == np.asarray(query_labels)))


def pretrain(epochs=DEFAULTS["epochs"], batch_size=DEFAULTS["batch_size"], temperature=DEFAULTS["temperature"],
             learning_rate=DEFAULTS["learning_rate"], weight_decay=DEFAULTS["weight_decay"],
             feature_dim=DEFAULTS["feature_dim"], seed=DEFAULTS["seed"], num_train=DEFAULTS["num_train"],
             log=print):
    """Train a SimCLR ``Model`` from scratch, deterministically.

    Parameters
    ----------
    epochs, batch_size : int
    temperature, learning_rate, weight_decay : float
        tau of the loss; Adam's step size and L2 penalty.
    feature_dim : int
        Size of the projection z.
    seed : int
        Seeds the initial weights, the augmentations and the batch order.
    num_train : int or None
        Train on the first ``num_train`` training images (all 5000 if None).
    log : callable
        Called with one line per epoch.

    Returns
    -------
    model : Model
        The trained model, in eval mode.
    record : dict
        The settings, versions, timings and per-epoch history (see the
        module docstring).
    """
    torch.set_num_threads(1)
    data = get_image_data("cluttered_digits")
    images, labels = data["X_train"], data["y_train"]
    if num_train is not None:
        images, labels = images[:num_train], labels[:num_train]
    memory, queries = transform_images(images), transform_images(data["X_val"])

    torch.manual_seed(seed)
    model = Model(feature_dim=feature_dim)
    transform = compute_train_transform(seed)  # seeds torch's generator again: the views of a seed are fixed
    loader = DataLoader(PairDataset(images, labels, transform), batch_size=batch_size, shuffle=True,
                        drop_last=True, generator=torch.Generator().manual_seed(seed))
    optimizer = torch.optim.Adam(model.parameters(), lr=learning_rate, weight_decay=weight_decay)

    history = {"loss": [], "knn_val_accuracy": [knn_accuracy(model, memory, labels, queries, data["y_val"])]}
    log(f"epoch 0: kNN validation accuracy {history['knn_val_accuracy'][0]:.3f}")
    train_seconds, loads = 0.0, []
    for epoch in range(1, epochs + 1):
        t0 = time.perf_counter()
        loss = train(model, loader, optimizer, epoch, epochs, batch_size, temperature, "cpu")
        train_seconds += time.perf_counter() - t0
        loads.append(os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan"))
        history["loss"].append(loss)
        # The monitor draws no random numbers: the next epoch's views do not depend on it.
        history["knn_val_accuracy"].append(knn_accuracy(model, memory, labels, queries, data["y_val"]))
        log(f"epoch {epoch}: loss {loss:.4f}, kNN validation accuracy {history['knn_val_accuracy'][-1]:.3f}, "
            f"training time so far {train_seconds:.0f} s")
    model.eval()
    record = dict(epochs=epochs, batch_size=batch_size, temperature=temperature, learning_rate=learning_rate,
                  weight_decay=weight_decay, feature_dim=feature_dim, seed=seed,
                  encoder_channels=list(ENCODER_CHANNELS), dataset="cluttered_digits", train_images=len(images),
                  optimizer="Adam", threads=1, train_seconds=round(train_seconds, 1),
                  # Busy neighbours slow training down: the machine's mean load average over the epochs
                  # (about 1 on an otherwise idle machine) says how much of train_seconds is theirs.
                  load_average=round(float(np.mean(loads)), 2), cpu_count=os.cpu_count(),
                  knn_val_accuracy=history["knn_val_accuracy"][-1], history=history,
                  versions={"python": platform.python_version(), "torch": torch.__version__,
                            "torchvision": torchvision.__version__, "numpy": np.__version__})
    return model, record


def _digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def save_checkpoint(model, record, folder=PRETRAINED_DIR, name=CHECKPOINT):
    """Write ``<name>.npz`` (the state dict) and ``<name>.json`` (``record`` and the digest).

    Returns
    -------
    paths : tuple of Path
        The two files written.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    weights, meta = folder / f"{name}.npz", folder / f"{name}.json"
    state = {k: v.detach().cpu().numpy() for k, v in model.state_dict().items()}
    np.savez_compressed(weights, **state)
    record = dict(record, file=weights.name, sha256=_digest(weights))
    meta.write_text(json.dumps(record, indent=2) + "\n")
    return weights, meta


def load_record(folder=PRETRAINED_DIR, name=CHECKPOINT):
    """The JSON record of a checkpoint (settings, timings, history)."""
    path = Path(folder) / f"{name}.json"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `python -m cs231n.simclr.pretrain` to make it")
    return json.loads(path.read_text())


def load_pretrained(folder=PRETRAINED_DIR, name=CHECKPOINT):
    """The pretrained ``Model``, after checking the weights against their record.

    Raises
    ------
    FileNotFoundError
        If the checkpoint is missing.
    ValueError
        If the weights' SHA-256 digest differs from the record's, or they do
        not fit ``Model``: the files were changed or come from another
        version of the package. ``python -m cs231n.simclr.pretrain`` makes
        them again.

    Returns
    -------
    model : Model
        In eval mode.
    """
    record = load_record(folder, name)
    weights = Path(folder) / record["file"]
    if not weights.exists():
        raise FileNotFoundError(f"{weights} is missing: run `python -m cs231n.simclr.pretrain` to make it")
    if _digest(weights) != record["sha256"]:
        raise ValueError(f"{weights.name} does not match the SHA-256 digest of {name}.json: the checkpoint was "
                         "changed; get it again or run `python -m cs231n.simclr.pretrain`")
    model = Model(feature_dim=record["feature_dim"])
    with np.load(weights, allow_pickle=False) as arrays:
        state = {k: torch.from_numpy(arrays[k]) for k in arrays.files}
    try:
        model.load_state_dict(state)
    except RuntimeError as err:
        raise ValueError(f"{weights.name} does not fit cs231n.simclr.model.Model: {err}") from None
    return model.eval()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    for key, value in DEFAULTS.items():
        parser.add_argument("--" + key.replace("_", "-"), type=type(value) if value is not None else int,
                            default=value)
    parser.add_argument("--out", type=Path, default=PRETRAINED_DIR, help="folder of the checkpoint")
    args = vars(parser.parse_args(argv))
    out = args.pop("out")
    model, record = pretrain(**args, log=lambda line: print(line, flush=True))
    for path in save_checkpoint(model, record, out):
        print(f"wrote {path.name} ({path.stat().st_size / 1024:.0f} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
