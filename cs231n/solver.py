"""``Solver``: trains a model with minibatch gradient descent.

A model is any object with

- ``model.params``: dict of name -> ndarray, the learnable parameters;
- ``model.loss(X, y=None)``: scores (N, C) when ``y`` is None, otherwise
  ``(loss, grads)`` with ``grads`` having the same keys and shapes as
  ``model.params``.

Example
-------
>>> data = get_data("digits", flatten=True)       # doctest: +SKIP
>>> model = TwoLayerNet(input_dim=64, hidden_dim=50)  # doctest: +SKIP
>>> solver = Solver(model, data, update_rule="sgd",
...                 optim_config={"learning_rate": 1e-1},
...                 lr_decay=0.95, num_epochs=10, batch_size=100, seed=0)
>>> solver.train()                                 # doctest: +SKIP
"""

import os
import pickle

import numpy as np
from tqdm.auto import tqdm

from cs231n import optim


class Solver:
    """Train a classification model on the data in a dict.

    Parameters
    ----------
    model : object
        Has ``params`` and ``loss`` as described in the module docstring.
    data : dict
        ``X_train`` (N_train, ...), ``y_train`` (N_train,), ``X_val``
        (N_val, ...), ``y_val`` (N_val,). Other keys are ignored.
    update_rule : str or callable
        Name of a function in ``cs231n.optim`` (default ``'sgd'``) or a
        function with the same interface.
    optim_config : dict
        Hyperparameters for the update rule; every parameter gets its own
        copy, since rules such as momentum keep per-parameter state in it.
    lr_decay : float
        The learning rate is multiplied by this after each epoch.
    batch_size : int
        Training examples per step.
    num_epochs : int
        Number of passes over the training data.
    num_train_samples : int or None
        Training examples used to measure training accuracy after each epoch;
        ``None`` uses all.
    num_val_samples : int or None
        Validation examples used to measure validation accuracy; ``None``
        uses all.
    checkpoint_name : str or None
        If given, save a checkpoint to ``{checkpoint_name}_epoch_{e}.pkl``
        after every epoch.
    print_every : int
        Print the training loss every this many iterations (if verbose).
    verbose : bool
        Show a progress bar and print progress.
    seed : int or None
        Seed for the minibatches and the accuracy subsamples; ``None`` uses
        ``np.random``'s global state.

    Attributes
    ----------
    loss_history : list of float
        Minibatch loss at each iteration.
    train_acc_history, val_acc_history : list of float
        Accuracies at the first iteration and at the end of every epoch.
    best_val_acc : float
        Best validation accuracy seen.
    best_params : dict
        Copy of ``model.params`` at the best validation accuracy; copied back
        into ``model.params`` when ``train`` ends.
    """

    def __init__(self, model, data, **kwargs):
        missing = [k for k in ("X_train", "y_train", "X_val", "y_val") if k not in data]
        if missing:
            raise ValueError(f"data is missing the keys {missing}")
        self.model = model
        self.X_train = data["X_train"]
        self.y_train = data["y_train"]
        self.X_val = data["X_val"]
        self.y_val = data["y_val"]

        self.update_rule = kwargs.pop("update_rule", "sgd")
        self.optim_config = kwargs.pop("optim_config", {})
        self.lr_decay = kwargs.pop("lr_decay", 1.0)
        self.batch_size = kwargs.pop("batch_size", 100)
        self.num_epochs = kwargs.pop("num_epochs", 10)
        self.num_train_samples = kwargs.pop("num_train_samples", 1000)
        self.num_val_samples = kwargs.pop("num_val_samples", None)
        self.checkpoint_name = kwargs.pop("checkpoint_name", None)
        self.print_every = kwargs.pop("print_every", 10)
        self.verbose = kwargs.pop("verbose", True)
        self.seed = kwargs.pop("seed", None)

        if kwargs:
            raise ValueError(
                "Unrecognized arguments to Solver: %s" % ", ".join(sorted(kwargs))
            )

        if isinstance(self.update_rule, str):
            if not callable(getattr(optim, self.update_rule, None)):
                raise ValueError(
                    f"update_rule {self.update_rule!r} is not a function in "
                    "cs231n.optim; pass its name (e.g. 'sgd') or a callable"
                )
            self.update_rule = getattr(optim, self.update_rule)
        elif not callable(self.update_rule):
            raise ValueError(
                f"update_rule must be a name in cs231n.optim or a callable, "
                f"got {self.update_rule!r}"
            )

        self._reset()

    def _reset(self):
        """Set up the bookkeeping; called by ``__init__``."""
        self.rng = np.random if self.seed is None else np.random.RandomState(self.seed)
        self.epoch = 0
        self.best_val_acc = 0
        self.best_params = {}
        self.loss_history = []
        self.train_acc_history = []
        self.val_acc_history = []
        self.optim_configs = {p: dict(self.optim_config) for p in self.model.params}

    def _step(self):
        """One gradient step on a random minibatch; appends to loss_history."""
        num_train = self.X_train.shape[0]
        batch_mask = self.rng.choice(num_train, self.batch_size)
        X_batch = self.X_train[batch_mask]
        y_batch = self.y_train[batch_mask]

        loss, grads = self.model.loss(X_batch, y_batch)
        self.loss_history.append(float(loss))

        for p, w in self.model.params.items():
            next_w, next_config = self.update_rule(w, grads[p], self.optim_configs[p])
            self.model.params[p] = next_w
            self.optim_configs[p] = next_config

    def _save_checkpoint(self):
        if self.checkpoint_name is None:
            return
        checkpoint = {
            "model": self.model,
            "update_rule": self.update_rule,
            "lr_decay": self.lr_decay,
            "optim_config": self.optim_config,
            "batch_size": self.batch_size,
            "num_train_samples": self.num_train_samples,
            "num_val_samples": self.num_val_samples,
            "epoch": self.epoch,
            "loss_history": self.loss_history,
            "train_acc_history": self.train_acc_history,
            "val_acc_history": self.val_acc_history,
        }
        filename = "%s_epoch_%d.pkl" % (self.checkpoint_name, self.epoch)
        if self.verbose:
            tqdm.write('Saving checkpoint to "%s"' % filename)
        # Write then rename so an interrupted save never leaves a torn file.
        with open(filename + ".tmp", "wb") as f:
            pickle.dump(checkpoint, f)
        os.replace(filename + ".tmp", filename)

    def check_accuracy(self, X, y, num_samples=None, batch_size=100):
        """Accuracy of the model on the given data.

        Parameters
        ----------
        X : ndarray, shape (N, ...)
        y : ndarray of int, shape (N,)
        num_samples : int or None
            If given and smaller than N, evaluate on a random subset of this
            size.
        batch_size : int
            Examples per forward pass, to bound memory.

        Returns
        -------
        acc : float
            Fraction of examples classified correctly.
        """
        N = X.shape[0]
        if num_samples is not None and N > num_samples:
            mask = self.rng.choice(N, num_samples)
            N = num_samples
            X = X[mask]
            y = y[mask]

        y_pred = []
        for start in range(0, N, batch_size):
            scores = self.model.loss(X[start : start + batch_size])
            y_pred.append(np.argmax(scores, axis=1))
        y_pred = np.concatenate(y_pred) if y_pred else np.zeros(0, dtype=int)
        return float(np.mean(y_pred == y))

    def train(self):
        """Run the optimisation, then restore the best parameters."""
        num_train = self.X_train.shape[0]
        iterations_per_epoch = max(num_train // self.batch_size, 1)
        num_iterations = self.num_epochs * iterations_per_epoch

        bar = tqdm(range(num_iterations), disable=not self.verbose, desc="train")
        for t in bar:
            self._step()

            if self.verbose and t % self.print_every == 0:
                tqdm.write(
                    "(Iteration %d / %d) loss: %f"
                    % (t + 1, num_iterations, self.loss_history[-1])
                )

            epoch_end = (t + 1) % iterations_per_epoch == 0
            if epoch_end:
                self.epoch += 1
                for k in self.optim_configs:
                    if "learning_rate" in self.optim_configs[k]:
                        self.optim_configs[k]["learning_rate"] *= self.lr_decay

            # Accuracies at the start, the end and every epoch end.
            first_it = t == 0
            last_it = t == num_iterations - 1
            if first_it or last_it or epoch_end:
                train_acc = self.check_accuracy(
                    self.X_train, self.y_train, num_samples=self.num_train_samples
                )
                val_acc = self.check_accuracy(
                    self.X_val, self.y_val, num_samples=self.num_val_samples
                )
                self.train_acc_history.append(train_acc)
                self.val_acc_history.append(val_acc)
                self._save_checkpoint()

                if self.verbose:
                    bar.set_postfix(train_acc=train_acc, val_acc=val_acc)
                    tqdm.write(
                        "(Epoch %d / %d) train acc: %f; val_acc: %f"
                        % (self.epoch, self.num_epochs, train_acc, val_acc)
                    )

                if val_acc > self.best_val_acc or not self.best_params:
                    self.best_val_acc = val_acc
                    self.best_params = {k: v.copy() for k, v in self.model.params.items()}
        bar.close()

        if self.best_params:  # empty only when there was no iteration at all
            self.model.params = {k: v.copy() for k, v in self.best_params.items()}
