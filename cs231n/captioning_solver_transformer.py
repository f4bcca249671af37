"""Training loop for ``CaptioningTransformer`` (PyTorch), in the style of CS231n's ``CaptioningSolver``.

Usage::

    data = load_digit_captions()
    model = CaptioningTransformer(data["word_to_idx"], input_dim=32, wordvec_dim=64,
                                  feature_key="spatial_features")
    solver = CaptioningSolverTransformer(model, data, idx_to_word=data["idx_to_word"],
                                         num_epochs=5, batch_size=50, learning_rate=1e-3, seed=0)
    solver.train()
    plt.plot(solver.loss_history)

Each iteration draws a minibatch of training captions with
``sample_coco_minibatch`` (the features named by ``model.feature_key``),
feeds ``captions[:, :-1]`` to the model and trains it with Adam to predict
``captions[:, 1:]`` (teacher forcing); ``<NULL>`` padding does not count.
"""
import numpy as np
import torch
import torch.nn.functional as F

from cs231n.coco_utils import sample_coco_minibatch


def transformer_temporal_softmax_loss(scores, targets, null_idx):
    """Mean cross-entropy of the words of a batch of captions, ``<NULL>`` ignored.

    Parameters
    ----------
    scores : torch.Tensor, shape (N, T, V)
        Scores of the next word at every position.
    targets : torch.LongTensor, shape (N, T)
        The true next words, in [0, V).
    null_idx : int
        Index of ``<NULL>``: targets equal to it are padding, not words.

    Returns
    -------
    loss : torch.Tensor, scalar
        The cross-entropy averaged over the words that are not ``<NULL>`` (a
        loss per word, whatever the captions' lengths).
    """
    N, T, V = scores.shape
    return F.cross_entropy(scores.reshape(N * T, V), targets.reshape(N * T), ignore_index=null_idx)


class CaptioningSolverTransformer:
    """Trains a ``CaptioningTransformer`` with Adam on the captions of a data dict.

    Parameters
    ----------
    model : CaptioningTransformer
        The model; ``model.feature_key`` (default ``"features"``) names the
        features the minibatches carry, ``model._null`` the padding token.
    data : dict
        From ``load_coco_data`` or ``load_digit_captions``.
    idx_to_word : list of str
        The vocabulary (kept for decoding captions during training).

    Other Parameters
    ----------------
    learning_rate : float
        Adam's step size (default 1e-3).
    batch_size : int
        Captions per minibatch (default 100).
    num_epochs : int
        Epochs of ``num_train // batch_size`` iterations each (default 10).
    lr_decay : float
        The learning rate is multiplied by it after every epoch (default 1.0).
    print_every : int
        Print the loss every that many iterations when verbose (default 10).
    verbose : bool
        Default True.
    seed : int or None
        Seeds torch's global generator (model dropout) when training starts and
        the choice of minibatches, so that a training run can be repeated
        exactly. None draws from the global generators.

    Attributes
    ----------
    loss_history : list of float
        The loss of every iteration.
    optim : torch.optim.Adam
    """

    def __init__(self, model, data, idx_to_word, **kwargs):
        self.model = model
        self.data = data
        self.idx_to_word = idx_to_word
        self.learning_rate = kwargs.pop("learning_rate", 1e-3)
        self.batch_size = kwargs.pop("batch_size", 100)
        self.num_epochs = kwargs.pop("num_epochs", 10)
        self.lr_decay = kwargs.pop("lr_decay", 1.0)
        self.print_every = kwargs.pop("print_every", 10)
        self.verbose = kwargs.pop("verbose", True)
        self.seed = kwargs.pop("seed", None)
        if kwargs:
            raise ValueError(f"unrecognized arguments: {', '.join(sorted(kwargs))}")
        self.optim = torch.optim.Adam(self.model.parameters(), lr=self.learning_rate)
        self._reset()

    def _reset(self):
        self.epoch = 0
        self.loss_history = []
        self._rng = np.random.RandomState(self.seed) if self.seed is not None else None

    def _step(self):
        """One minibatch: forward, loss, backward, Adam update."""
        seed = None if self._rng is None else int(self._rng.randint(2**31 - 1))
        captions, features, _ = sample_coco_minibatch(self.data, batch_size=self.batch_size, split="train",
                                                      seed=seed, features=getattr(self.model, "feature_key",
                                                                                  "features"))
        param = next(self.model.parameters())
        features = torch.as_tensor(np.asarray(features), dtype=param.dtype, device=param.device)
        captions = torch.as_tensor(np.asarray(captions), dtype=torch.long, device=param.device)
        scores = self.model(features, captions[:, :-1])
        loss = transformer_temporal_softmax_loss(scores, captions[:, 1:], self.model._null)
        self.optim.zero_grad()
        loss.backward()
        self.optim.step()
        self.loss_history.append(float(loss.detach()))

    def train(self):
        """Run ``num_epochs`` epochs of optimisation (the model in train mode)."""
        num_train = self.data["train_captions"].shape[0]
        iterations_per_epoch = max(num_train // self.batch_size, 1)
        num_iterations = self.num_epochs * iterations_per_epoch
        if self.seed is not None:
            torch.manual_seed(self.seed)
        self.model.train()
        for t in range(num_iterations):
            self._step()
            if self.verbose and t % self.print_every == 0:
                print(f"(Iteration {t + 1} / {num_iterations}) loss: {self.loss_history[-1]:f}")
            if (t + 1) % iterations_per_epoch == 0:
                self.epoch += 1
                for group in self.optim.param_groups:
                    group["lr"] *= self.lr_decay
