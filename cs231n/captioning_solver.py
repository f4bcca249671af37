"""``CaptioningSolver``: trains a ``CaptioningRNN`` with minibatch gradient descent.

The captioning counterpart of ``cs231n.solver.Solver``: the data is a
captioning dict (``load_coco_data`` or ``load_digit_captions``) and the model
has ``params`` and ``loss(features, captions) -> (loss, grads)``. There is no
accuracy to track; ``loss_history`` records the training loss.

Example
-------
>>> data = load_digit_captions()                                # doctest: +SKIP
>>> model = CaptioningRNN(data["word_to_idx"], input_dim=512,
...                       wordvec_dim=64, hidden_dim=64, cell_type="lstm")  # doctest: +SKIP
>>> solver = CaptioningSolver(model, data, update_rule="adam",
...                           optim_config={"learning_rate": 5e-3},
...                           lr_decay=0.95, num_epochs=10, batch_size=100,
...                           seed=0)                            # doctest: +SKIP
>>> solver.train()                                               # doctest: +SKIP
"""

import numpy as np
from tqdm.auto import tqdm

from cs231n import optim
from cs231n.coco_utils import sample_coco_minibatch


class CaptioningSolver:
    """Train a captioning model on the training captions of a data dict.

    Parameters
    ----------
    model : object
        Has ``params`` (dict of name -> ndarray), ``loss(features, captions)
        -> (loss, grads)`` with ``grads`` keyed like ``params``, and
        optionally ``feature_key`` (default ``"features"``), the key of the
        features in ``data``.
    data : dict
        ``train_captions`` (N, T), ``train_image_idxs`` (N,) and
        ``train_<feature_key>`` as returned by ``load_coco_data``.

    Other Parameters
    ----------------
    update_rule : str or callable
        Name of a function in ``cs231n.optim`` (default ``'sgd'``) or a
        function with the same interface.
    optim_config : dict
        Hyperparameters for the update rule; every parameter gets its own
        copy.
    lr_decay : float
        The learning rate is multiplied by this after each epoch (default 1).
    batch_size : int
        Captions per step (default 100).
    num_epochs : int
        Epochs of ``max(num_train // batch_size, 1)`` steps (default 10).
    print_every : int
        Print the training loss every this many iterations (default 10).
    verbose : bool
        Show a progress bar and print the loss (default True).
    seed : int or None
        Seed of the minibatch draws, so that a run can be repeated exactly;
        ``None`` draws from ``np.random``'s global state, as CS231n does.

    Attributes
    ----------
    loss_history : list of float
        Minibatch loss at each iteration.
    epoch : int
        Epochs completed.
    """

    def __init__(self, model, data, **kwargs):
        missing = [k for k in ("train_captions", "train_image_idxs") if k not in data]
        if missing:
            raise ValueError(f"data is missing the keys {missing}; load it with load_coco_data")
        self.model = model
        self.data = data
        self.feature_key = getattr(model, "feature_key", "features")
        if f"train_{self.feature_key}" not in data:
            raise ValueError(
                f"the model reads data['train_{self.feature_key}'] (model.feature_key = "
                f"{self.feature_key!r}), which data does not have"
            )

        self.update_rule = kwargs.pop("update_rule", "sgd")
        self.optim_config = kwargs.pop("optim_config", {})
        self.lr_decay = kwargs.pop("lr_decay", 1.0)
        self.batch_size = kwargs.pop("batch_size", 100)
        self.num_epochs = kwargs.pop("num_epochs", 10)
        self.print_every = kwargs.pop("print_every", 10)
        self.verbose = kwargs.pop("verbose", True)
        self.seed = kwargs.pop("seed", None)

        if kwargs:
            raise ValueError("Unrecognized arguments to CaptioningSolver: %s" % ", ".join(sorted(kwargs)))

        if isinstance(self.update_rule, str):
            if not callable(getattr(optim, self.update_rule, None)):
                raise ValueError(
                    f"update_rule {self.update_rule!r} is not a function in "
                    "cs231n.optim; pass its name (e.g. 'adam') or a callable"
                )
            self.update_rule = getattr(optim, self.update_rule)
        elif not callable(self.update_rule):
            raise ValueError(f"update_rule must be a name in cs231n.optim or a callable, got {self.update_rule!r}")

        self._reset()

    def _reset(self):
        """Set up the bookkeeping; called by ``__init__``."""
        self.rng = None if self.seed is None else np.random.RandomState(self.seed)
        self.epoch = 0
        self.loss_history = []
        self.optim_configs = {p: dict(self.optim_config) for p in self.model.params}

    def _step(self):
        """One gradient step on a random minibatch; appends to loss_history."""
        # A fresh seed per step from the solver's own generator: every step
        # draws a different minibatch, and the sequence repeats with the seed.
        seed = None if self.rng is None else int(self.rng.randint(2**31 - 1))
        captions, features, _ = sample_coco_minibatch(
            self.data, batch_size=self.batch_size, split="train", seed=seed, features=self.feature_key
        )

        loss, grads = self.model.loss(features, captions)
        self.loss_history.append(float(loss))

        for p, w in self.model.params.items():
            next_w, next_config = self.update_rule(w, grads[p], self.optim_configs[p])
            self.model.params[p] = next_w
            self.optim_configs[p] = next_config

    def train(self):
        """Run ``num_epochs`` epochs of optimisation."""
        num_train = self.data["train_captions"].shape[0]
        iterations_per_epoch = max(num_train // self.batch_size, 1)
        num_iterations = self.num_epochs * iterations_per_epoch

        bar = tqdm(range(num_iterations), disable=not self.verbose, desc="train")
        for t in bar:
            self._step()

            if self.verbose and t % self.print_every == 0:
                tqdm.write("(Iteration %d / %d) loss: %f" % (t + 1, num_iterations, self.loss_history[-1]))

            if (t + 1) % iterations_per_epoch == 0:
                self.epoch += 1
                for k in self.optim_configs:
                    if "learning_rate" in self.optim_configs[k]:
                        self.optim_configs[k]["learning_rate"] *= self.lr_decay
        bar.close()
