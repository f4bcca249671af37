"""``CaptioningRNN``: an image-captioning model with an RNN, LSTM or attention LSTM.

The image features set the recurrent network's initial state; at every step
the network reads the embedding of the current word and scores every word of
the vocabulary as the next one::

    features --W_proj--> h0
    word_t --W_embed--> x_t --(RNN/LSTM step)--> h_t --W_vocab--> scores_t

With ``cell_type='attention'`` the features are a G x G grid of vectors
(N, D, G, G). Every location is projected to the hidden size, giving A
(N, H, G, G); the initial states are the mean of A over the grid, and at every
step the previous hidden state attends over A (``dot_product_attention``).
"""

import numpy as np

from cs231n.rnn_layers import (
    attention_lstm_backward,
    attention_lstm_forward,
    attention_lstm_step_forward,
    dot_product_attention,
    lstm_backward,
    lstm_forward,
    lstm_step_forward,
    rnn_backward,
    rnn_forward,
    rnn_step_forward,
    temporal_affine_backward,
    temporal_affine_forward,
    temporal_softmax_loss,
    word_embedding_backward,
    word_embedding_forward,
)


class CaptioningRNN:
    """Generates captions from image features with a recurrent network.

    The parameters live in ``self.params`` (the shapes below with V words,
    word vectors of size W, features of size D and hidden size H):

    - ``W_embed`` (V, W): the word vectors;
    - ``W_proj`` (D, H), ``b_proj`` (H,): features to the initial hidden
      state (rnn, lstm) or to A (attention);
    - ``Wx`` (W, kH), ``Wh`` (H, kH), ``b`` (kH,) with k = 1 for 'rnn' and
      k = 4 for 'lstm' and 'attention'; ``Wattn`` (H, 4H) for 'attention';
    - ``W_vocab`` (H, V), ``b_vocab`` (V,): hidden states to word scores.

    There is no regularisation.

    Parameters
    ----------
    word_to_idx : dict of str -> int
        The vocabulary, V entries, with ``<NULL>``, ``<START>`` and ``<END>``.
    input_dim : int
        Size D of the image feature vectors (channels of the grid for
        'attention').
    wordvec_dim : int
        Size W of the word vectors.
    hidden_dim : int
        Size H of the hidden state.
    cell_type : str
        ``'rnn'``, ``'lstm'`` or ``'attention'``.
    dtype : numpy dtype
        ``np.float32`` to train, ``np.float64`` for gradient checks.

    Attributes
    ----------
    feature_key : str
        The data key of the features the model reads: ``"features"`` (N, D)
        for 'rnn' and 'lstm', ``"spatial_features"`` (N, D, G, G) for
        'attention'.
    """

    def __init__(
        self,
        word_to_idx,
        input_dim=512,
        wordvec_dim=128,
        hidden_dim=128,
        cell_type="rnn",
        dtype=np.float32,
    ):
        if cell_type not in {"rnn", "lstm", "attention"}:
            raise ValueError(f"cell_type must be 'rnn', 'lstm' or 'attention', got {cell_type!r}")
        missing = [w for w in ("<NULL>", "<START>", "<END>") if w not in word_to_idx]
        if missing:
            raise ValueError(f"word_to_idx lacks the special words {missing}")

        self.cell_type = cell_type
        self.dtype = dtype
        self.word_to_idx = word_to_idx
        self.idx_to_word = {i: w for w, i in word_to_idx.items()}
        self.params = {}
        self.feature_key = "spatial_features" if cell_type == "attention" else "features"

        vocab_size = len(word_to_idx)

        self._null = word_to_idx["<NULL>"]
        self._start = word_to_idx.get("<START>", None)
        self._end = word_to_idx.get("<END>", None)

        # Word vectors start small: every word looks alike at first.
        self.params["W_embed"] = np.random.randn(vocab_size, wordvec_dim) / 100

        # Projection of the features to the hidden size.
        self.params["W_proj"] = np.random.randn(input_dim, hidden_dim) / np.sqrt(input_dim)
        self.params["b_proj"] = np.zeros(hidden_dim)

        # The recurrent cell; dividing by sqrt(fan-in) keeps the
        # pre-activations of order 1.
        dim_mul = {"lstm": 4, "rnn": 1, "attention": 4}[cell_type]
        self.params["Wx"] = np.random.randn(wordvec_dim, dim_mul * hidden_dim) / np.sqrt(wordvec_dim)
        self.params["Wh"] = np.random.randn(hidden_dim, dim_mul * hidden_dim) / np.sqrt(hidden_dim)
        if cell_type == "attention":
            self.params["Wattn"] = np.random.randn(hidden_dim, dim_mul * hidden_dim) / np.sqrt(hidden_dim)
        self.params["b"] = np.zeros(dim_mul * hidden_dim)

        # Hidden states to vocabulary scores.
        self.params["W_vocab"] = np.random.randn(hidden_dim, vocab_size) / np.sqrt(hidden_dim)
        self.params["b_vocab"] = np.zeros(vocab_size)

        for k, v in self.params.items():
            self.params[k] = v.astype(self.dtype)

    def loss(self, features, captions):
        """Training loss of the model on a minibatch, and its gradients.

        The model is fed the ground-truth words ``captions[:, :-1]`` (teacher
        forcing) and must predict ``captions[:, 1:]``; targets that are
        ``<NULL>`` (padding) do not count.

        Parameters
        ----------
        features : ndarray
            Image features, (N, D) for 'rnn' and 'lstm', (N, D, G, G) for
            'attention'.
        captions : ndarray of int, shape (N, T)
            Ground-truth captions, each starting with ``<START>``.

        Returns
        -------
        loss : float
            ``temporal_softmax_loss`` of the scores: the summed cross-entropy
            of the targets divided by N.
        grads : dict
            Same keys and shapes as ``self.params``.
        """
        # The word fed at step t is captions[:, t]; the word to predict is
        # captions[:, t + 1]. A caption of length T gives T - 1 steps.
        captions_in = captions[:, :-1]
        captions_out = captions[:, 1:]
        mask = captions_out != self._null

        loss, grads = 0.0, {}
        # TODO: Forward pass, then backward pass, using the layers of
        # cs231n.rnn_layers. Forward:
        # (1) initial state: for 'rnn'/'lstm' h0 = features W_proj + b_proj
        #     (N, H); for 'attention' project every location of the grid,
        #     A (N, H, G, G): move the channel axis last (N, G, G, D), apply
        #     W_proj and b_proj, move the hidden axis back to position 1;
        # (2) word vectors of captions_in with W_embed (N, T-1, W);
        # (3) rnn_forward, lstm_forward or attention_lstm_forward according
        #     to self.cell_type (N, T-1, H);
        # (4) scores over the vocabulary with temporal_affine_forward
        #     (N, T-1, V);
        # (5) temporal_softmax_loss against captions_out with `mask`.
        # Backward: the same layers in reverse order, filling `grads` with one
        # entry per key of self.params (dW_proj from the gradient of h0 or A).
        ### BEGIN SOLUTION assignment3
        p = self.params
        if self.cell_type == "attention":
            grid = features.transpose(0, 2, 3, 1)  # (N, G, G, D)
            A = (grid @ p["W_proj"] + p["b_proj"]).transpose(0, 3, 1, 2)
        else:
            h0 = features @ p["W_proj"] + p["b_proj"]
        x, embed_cache = word_embedding_forward(captions_in, p["W_embed"])
        if self.cell_type == "rnn":
            h, rnn_cache = rnn_forward(x, h0, p["Wx"], p["Wh"], p["b"])
        elif self.cell_type == "lstm":
            h, rnn_cache = lstm_forward(x, h0, p["Wx"], p["Wh"], p["b"])
        else:
            h, _, rnn_cache = attention_lstm_forward(x, A, p["Wx"], p["Wh"], p["Wattn"], p["b"])
        scores, vocab_cache = temporal_affine_forward(h, p["W_vocab"], p["b_vocab"])
        loss, dscores = temporal_softmax_loss(scores, captions_out, mask)

        dh, grads["W_vocab"], grads["b_vocab"] = temporal_affine_backward(dscores, vocab_cache)
        if self.cell_type == "rnn":
            dx, dh0, grads["Wx"], grads["Wh"], grads["b"] = rnn_backward(dh, rnn_cache)
        elif self.cell_type == "lstm":
            dx, dh0, grads["Wx"], grads["Wh"], grads["b"] = lstm_backward(dh, rnn_cache)
        else:
            dx, dA, grads["Wx"], grads["Wh"], grads["Wattn"], grads["b"] = attention_lstm_backward(dh, rnn_cache)
        grads["W_embed"] = word_embedding_backward(dx, embed_cache)
        if self.cell_type == "attention":
            D, H = p["W_proj"].shape
            dA_rows = dA.transpose(0, 2, 3, 1).reshape(-1, H)
            grads["W_proj"] = grid.reshape(-1, D).T @ dA_rows
            grads["b_proj"] = dA_rows.sum(axis=0)
        else:
            grads["W_proj"] = features.T @ dh0
            grads["b_proj"] = dh0.sum(axis=0)
        ### END SOLUTION
        return loss, grads

    def sample(self, features, max_length=30, return_attention=False):
        """Greedy captions for a minibatch of images.

        Starting from ``<START>``, each step feeds the word chosen at the
        previous step and picks the word with the highest score. All
        ``max_length`` steps are taken; what follows an ``<END>`` is
        ignored by ``decode_captions``.

        Parameters
        ----------
        features : ndarray
            Image features, (N, D) for 'rnn' and 'lstm', (N, D, G, G) for
            'attention'.
        max_length : int
            Number T of words to generate.
        return_attention : bool
            'attention' only: also return the attention weights.

        Returns
        -------
        captions : ndarray of int32, shape (N, T)
            The generated words; ``<START>`` is not included.
        attn_weights : ndarray, shape (N, T, G, G)
            Only with ``return_attention=True``: the weights used to choose
            each word.
        """
        if return_attention and self.cell_type != "attention":
            raise ValueError("return_attention=True needs cell_type='attention'")
        N = features.shape[0]
        captions = self._null * np.ones((N, max_length), dtype=np.int32)
        attn_weights = None
        if self.cell_type == "attention":
            G = features.shape[2]
            attn_weights = np.zeros((N, max_length, G, G), dtype=self.dtype)

        # TODO: Compute the initial state as in `loss` (h0 for 'rnn'; h0 and
        # c0 = zeros for 'lstm'; A and h0 = c0 = A.mean(axis=(2, 3)) for
        # 'attention'). Start every caption with the word <START>
        # (self._start). Then for t in range(max_length):
        # (1) embed the previous word (N, W) with W_embed;
        # (2) one step of the cell (rnn_step_forward, lstm_step_forward, or
        #     dot_product_attention followed by attention_lstm_step_forward;
        #     keep the attention weights in attn_weights[:, t]);
        # (3) scores (N, V) = h W_vocab + b_vocab;
        # (4) the argmax word goes to captions[:, t] and is the next input.
        # Keep going after <END>: every caption gets max_length words.
        ### BEGIN SOLUTION assignment3
        p = self.params
        if self.cell_type == "attention":
            A = (features.transpose(0, 2, 3, 1) @ p["W_proj"] + p["b_proj"]).transpose(0, 3, 1, 2)
            h = c = A.mean(axis=(2, 3))
        else:
            h = features @ p["W_proj"] + p["b_proj"]
            c = np.zeros_like(h)
        word = np.full(N, self._start)
        for t in range(max_length):
            x = p["W_embed"][word]
            if self.cell_type == "rnn":
                h, _ = rnn_step_forward(x, h, p["Wx"], p["Wh"], p["b"])
            elif self.cell_type == "lstm":
                h, c, _ = lstm_step_forward(x, h, c, p["Wx"], p["Wh"], p["b"])
            else:
                attn, attn_weights[:, t], _ = dot_product_attention(h, A)
                h, c, _ = attention_lstm_step_forward(x, h, c, attn, p["Wx"], p["Wh"], p["Wattn"], p["b"])
            word = np.argmax(h @ p["W_vocab"] + p["b_vocab"], axis=1)
            captions[:, t] = word
        ### END SOLUTION
        if return_attention:
            return captions, attn_weights
        return captions
