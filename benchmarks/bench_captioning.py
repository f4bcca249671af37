"""Training throughput of the captioning models on the digit captions.

Run: ``python benchmarks/bench_captioning.py``. Every model trains on the
same minibatches of the digit captions (100 captions of 22 tokens, drawn with
``sample_coco_minibatch``, float32), and one training step is forward,
backward and an Adam update of every parameter:

- ``CaptioningRNN`` (NumPy) with the cells ``rnn``, ``lstm`` and
  ``attention`` (the attention cell reads the 3 x 3 grid of
  ``spatial_features``), hidden size 128 and word vectors of size 64, as in
  the RNN_Captioning and LSTM_Captioning notebooks;
- ``CaptioningTransformer`` (PyTorch, one thread) with word vectors of size
  64, 4 heads, 2 layers and feed-forward width 256, on ``features`` and on
  ``spatial_features`` (9 image tokens).

Prints seconds per step (best of a few repeats of several steps), captions per
second and the speed relative to the ``rnn`` cell measured in the same run.
Every model must also lower its loss over the timed steps (a benchmark of a
step that does not learn would measure nothing useful).
"""

import os

from timing import best_of  # noqa: I001  (sets the BLAS threads before numpy loads)

import numpy as np
import torch
from cs231n import optim
from cs231n.captioning_solver_transformer import transformer_temporal_softmax_loss
from cs231n.classifiers.rnn import CaptioningRNN
from cs231n.classifiers.transformer import CaptioningTransformer
from cs231n.coco_utils import sample_coco_minibatch
from cs231n.digit_captions import load_digit_captions

BATCH = 100
STEPS = 5      # training steps per timed call
REPEATS = 3    # timed calls; the best is reported
HIDDEN, WORDVEC = 128, 64


def minibatches(data, key, count):
    """The same ``count`` minibatches for every model (seeds 0 .. count - 1)."""
    return [sample_coco_minibatch(data, batch_size=BATCH, seed=i, features=key)[:2] for i in range(count)]


def numpy_trainer(data, cell_type):
    """A step function over fixed minibatches for CaptioningRNN, and its loss history."""
    np.random.seed(0)
    key = "spatial_features" if cell_type == "attention" else "features"
    model = CaptioningRNN(data["word_to_idx"], input_dim=data[f"train_{key}"].shape[1], wordvec_dim=WORDVEC,
                          hidden_dim=HIDDEN, cell_type=cell_type, dtype=np.float32)
    batches = minibatches(data, key, STEPS)
    configs = {p: {"learning_rate": 5e-3} for p in model.params}
    losses = []

    def steps():
        for captions, features in batches:
            loss, grads = model.loss(features, captions)
            for p, w in model.params.items():
                model.params[p], configs[p] = optim.adam(w, grads[p], configs[p])
            losses.append(float(loss))

    return steps, losses


def torch_trainer(data, key):
    """The same for CaptioningTransformer (Adam, the solver's loss per word)."""
    torch.manual_seed(0)
    model = CaptioningTransformer(data["word_to_idx"], input_dim=data[f"train_{key}"].shape[1],
                                  wordvec_dim=WORDVEC, num_heads=4, num_layers=2, dim_feedforward=4 * WORDVEC,
                                  feature_key=key)
    model.train()
    adam = torch.optim.Adam(model.parameters(), lr=1e-3)
    batches = [(torch.as_tensor(c, dtype=torch.long), torch.as_tensor(f, dtype=torch.float32))
               for c, f in minibatches(data, key, STEPS)]
    losses = []

    def steps():
        for captions, features in batches:
            scores = model(features, captions[:, :-1])
            loss = transformer_temporal_softmax_loss(scores, captions[:, 1:], model._null)
            adam.zero_grad()
            loss.backward()
            adam.step()
            losses.append(float(loss.detach()))

    return steps, losses


def main():
    torch.set_num_threads(1)
    data = load_digit_captions()
    print(f"BLAS threads: {os.environ['OPENBLAS_NUM_THREADS']}, torch threads: {torch.get_num_threads()}")
    print(f"minibatches of {BATCH} captions of {data['train_captions'].shape[1]} tokens; hidden {HIDDEN}, "
          f"word vectors {WORDVEC}; {STEPS} steps per timing, best of {REPEATS}")
    cases = [
        ("CaptioningRNN rnn (numpy)", lambda: numpy_trainer(data, "rnn")),
        ("CaptioningRNN lstm (numpy)", lambda: numpy_trainer(data, "lstm")),
        ("CaptioningRNN attention (numpy)", lambda: numpy_trainer(data, "attention")),
        ("CaptioningTransformer, features (torch)", lambda: torch_trainer(data, "features")),
        ("CaptioningTransformer, 3x3 grid (torch)", lambda: torch_trainer(data, "spatial_features")),
    ]
    print(f"{'model':<42}{'s / step':>10}{'captions/s':>12}{'vs rnn':>9}  loss first -> last")
    baseline = None
    for name, make in cases:
        steps, losses = make()
        seconds, _ = best_of(steps, REPEATS)
        per_step = seconds / STEPS
        rate = BATCH / per_step
        baseline = baseline or rate
        learns = "" if losses[-1] < losses[0] else "  (loss did not decrease)"
        print(f"{name:<42}{per_step:>10.4f}{rate:>12.0f}{rate / baseline:>8.2f}x  "
              f"{losses[0]:.2f} -> {losses[-1]:.2f}{learns}")


if __name__ == "__main__":
    main()
