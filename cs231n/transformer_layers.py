"""Transformer layers in PyTorch: positional encoding, multi-head attention, a decoder layer.

Tensors are batch first: a batch of N sequences of length S with D features
each has the shape (N, S, D). The layers follow Vaswani et al. (2017),
"Attention is all you need":

- ``PositionalEncoding`` adds the fixed sinusoids of section 3.5 to a sequence
  of embeddings, so that the (otherwise permutation-equivariant) attention
  layers know where each token sits;
- ``MultiHeadAttention`` is scaled dot-product attention run in parallel by
  several heads on learned projections of the queries, keys and values
  (section 3.2); it serves as self-attention, masked (causal) self-attention
  and cross-attention;
- ``TransformerDecoderLayer`` (provided) chains masked self-attention,
  cross-attention to a memory (here: the image) and a feed-forward network,
  each wrapped in dropout, a residual connection and layer normalisation
  (post-norm, as in the paper).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F  # noqa: F401  (at hand for your code: F.softmax, F.dropout, ...)


class PositionalEncoding(nn.Module):
    """Adds the sinusoidal positional encoding to a sequence of embeddings.

    Position ``t`` and feature ``j`` of the encoding are, with
    ``i = floor(j / 2)``::

        pe[t, 2i]     = sin(t / 10000 ** (2i / D))
        pe[t, 2i + 1] = cos(t / 10000 ** (2i / D))

    so every pair of features is a sine and a cosine of the position at one
    frequency, the frequencies falling geometrically from 1 to about 1 / 10000.

    Parameters
    ----------
    embed_dim : int
        D, the size of the embeddings (even).
    dropout : float
        Probability of zeroing an entry of the sum (``nn.Dropout``), in train mode.
    max_len : int
        The longest sequence the layer accepts.

    Attributes
    ----------
    pe : torch.Tensor, shape (1, max_len, embed_dim)
        The encoding table, a buffer (saved with the module, never trained).
    dropout : nn.Dropout
    """

    def __init__(self, embed_dim, dropout=0.1, max_len=5000):
        super().__init__()
        if embed_dim % 2 != 0:
            raise ValueError(f"embed_dim must be even (sine and cosine pairs), got {embed_dim}")
        self.dropout = nn.Dropout(p=dropout)
        pe = torch.zeros(1, max_len, embed_dim)
        # TODO: Fill pe (1, max_len, embed_dim) with the encoding of the class
        # docstring: the even features 0, 2, 4, ... hold the sines, the odd
        # features 1, 3, 5, ... the cosines, position t at pe[0, t]. Build it
        # with broadcasting (a column of positions times a row of frequencies),
        # no Python loop.
        ### BEGIN SOLUTION assignment3
        position = torch.arange(max_len, dtype=torch.float64)[:, None]
        frequency = 10000.0 ** (-torch.arange(0, embed_dim, 2, dtype=torch.float64) / embed_dim)
        angle = position * frequency
        pe[0, :, 0::2] = torch.sin(angle).to(pe.dtype)
        pe[0, :, 1::2] = torch.cos(angle).to(pe.dtype)
        ### END SOLUTION
        self.register_buffer("pe", pe)

    def forward(self, x):
        """Add the encoding of positions 0 to S - 1 to x, then apply dropout.

        Parameters
        ----------
        x : torch.Tensor, shape (N, S, D)
            A batch of sequences of embeddings, S <= max_len.

        Returns
        -------
        output : torch.Tensor, shape (N, S, D)
            ``dropout(x + pe[:, :S])``, in the dtype of x.
        """
        N, S, D = x.shape
        output = None
        # TODO: Add the first S rows of self.pe to every sequence of the batch
        # (broadcasting over N; cast the table to x's dtype), then apply
        # self.dropout.
        ### BEGIN SOLUTION assignment3
        output = self.dropout(x + self.pe[:, :S].to(x.dtype))
        ### END SOLUTION
        return output


class MultiHeadAttention(nn.Module):
    """Multi-head scaled dot-product attention (Vaswani et al. 2017, section 3.2).

    With E = embed_dim split over H = num_heads heads of size d = E / H, head h
    computes, from the projected queries Q_h (S, d), keys K_h (T, d) and values
    V_h (T, d) of one sequence::

        A_h = softmax(Q_h K_h^T / sqrt(d))      (S, T), each row sums to 1
        Y_h = dropout(A_h) V_h                  (S, d)

    and the output is the projection ``proj`` of the heads' outputs laid side
    by side, (S, E). A mask sets the scores of forbidden (query, key) pairs to
    minus infinity before the softmax, so they get weight 0.

    Parameters
    ----------
    embed_dim : int
        E, the size of the inputs and of the output.
    num_heads : int
        H; must divide embed_dim.
    dropout : float
        Probability of zeroing an attention weight, in train mode.

    Attributes
    ----------
    key, query, value, proj : nn.Linear(embed_dim, embed_dim)
        The projections of the keys, queries and values (all heads at once),
        and of the merged heads.
    attn_drop : nn.Dropout
        Dropout on the attention weights.
    n_head, emd_dim, head_dim : int
        H, E and d.
    last_attn : torch.Tensor or None
        The attention weights of the last forward pass, (N, H, S, T), after the
        softmax and before dropout, detached (for plots).
    """

    def __init__(self, embed_dim, num_heads, dropout=0.1):
        super().__init__()
        if embed_dim % num_heads != 0:
            raise ValueError(f"num_heads ({num_heads}) must divide embed_dim ({embed_dim})")
        self.key = nn.Linear(embed_dim, embed_dim)
        self.query = nn.Linear(embed_dim, embed_dim)
        self.value = nn.Linear(embed_dim, embed_dim)
        self.proj = nn.Linear(embed_dim, embed_dim)
        self.attn_drop = nn.Dropout(dropout)
        self.n_head = num_heads
        self.emd_dim = embed_dim
        self.head_dim = embed_dim // num_heads
        self.last_attn = None

    def forward(self, query, key, value, attn_mask=None):
        """Attend from every query position to the key/value positions.

        Parameters
        ----------
        query : torch.Tensor, shape (N, S, E)
        key : torch.Tensor, shape (N, T, E)
        value : torch.Tensor, shape (N, T, E)
            Self-attention passes the same sequence three times (S = T);
            cross-attention passes the memory as key and value.
        attn_mask : torch.Tensor or None, shape (S, T)
            ``attn_mask[i, j] == 0`` forbids query position i to attend to key
            position j (any other value allows it); None allows every pair.
            Every row must allow at least one position.

        Returns
        -------
        output : torch.Tensor, shape (N, S, E)
        """
        N, S, E = query.shape
        N, T, E = value.shape
        H, d = self.n_head, self.head_dim
        output = None
        # TODO: Implement multi-head attention as in the class docstring.
        # 1. Project query, key and value with self.query, self.key, self.value
        #    and split the E features of each position into H heads of d:
        #    (N, S, E) -> (N, S, H, d) -> (N, H, S, d); likewise (N, H, T, d).
        # 2. Scores (N, H, S, T): the dot products of queries and keys divided
        #    by sqrt(d). Where attn_mask == 0, set the score to -inf
        #    (masked_fill) before the softmax over the last dimension (T).
        # 3. Keep the weights (after the softmax, before dropout) as
        #    self.last_attn, detached; apply self.attn_drop to the weights and
        #    multiply by the values: (N, H, S, d).
        # 4. Merge the heads back: (N, H, S, d) -> (N, S, H, d) -> (N, S, E),
        #    with head h in features h*d to (h+1)*d - 1, and apply self.proj.
        ### BEGIN SOLUTION assignment3
        q = self.query(query).view(N, S, H, d).transpose(1, 2)
        k = self.key(key).view(N, T, H, d).transpose(1, 2)
        v = self.value(value).view(N, T, H, d).transpose(1, 2)
        scores = q @ k.transpose(-2, -1) / math.sqrt(d)
        if attn_mask is not None:
            scores = scores.masked_fill(attn_mask == 0, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        self.last_attn = weights.detach()
        heads = self.attn_drop(weights) @ v
        output = self.proj(heads.transpose(1, 2).reshape(N, S, E))
        ### END SOLUTION
        return output


class TransformerDecoderLayer(nn.Module):
    """One decoder layer: masked self-attention, cross-attention, feed-forward.

    Each of the three sublayers f is wrapped as ``x = norm(x + dropout(f(x)))``
    (post-norm, as in Vaswani et al. 2017): the self-attention reads the
    caption so far (under the causal mask), the cross-attention lets every
    position read the memory (the image), and the feed-forward network
    ``linear2(dropout(relu(linear1(x))))`` transforms each position on its own.

    Parameters
    ----------
    input_dim : int
        D, the size of the embeddings (of the captions and of the memory).
    num_heads : int
        Heads of both attention layers.
    dim_feedforward : int
        Width of the hidden layer of the feed-forward network.
    dropout : float
        Dropout probability of every dropout layer.
    """

    def __init__(self, input_dim, num_heads, dim_feedforward=2048, dropout=0.1):
        super().__init__()
        self.self_attn = MultiHeadAttention(input_dim, num_heads, dropout)
        self.multihead_attn = MultiHeadAttention(input_dim, num_heads, dropout)
        self.linear1 = nn.Linear(input_dim, dim_feedforward)
        self.dropout = nn.Dropout(dropout)
        self.linear2 = nn.Linear(dim_feedforward, input_dim)

        self.norm1 = nn.LayerNorm(input_dim)
        self.norm2 = nn.LayerNorm(input_dim)
        self.norm3 = nn.LayerNorm(input_dim)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)
        self.dropout3 = nn.Dropout(dropout)
        self.activation = nn.ReLU()

    def forward(self, tgt, memory, tgt_mask=None):
        """Run the layer on a batch of captions.

        Parameters
        ----------
        tgt : torch.Tensor, shape (N, T, D)
            The caption embeddings (or the previous layer's output).
        memory : torch.Tensor, shape (N, M, D)
            The sequence to attend to: M image tokens.
        tgt_mask : torch.Tensor or None, shape (T, T)
            Mask of the self-attention (0 = may not attend), e.g. the causal
            mask ``torch.tril(torch.ones(T, T))``.

        Returns
        -------
        out : torch.Tensor, shape (N, T, D)
        """
        tgt = self.norm1(tgt + self.dropout1(self.self_attn(tgt, tgt, tgt, attn_mask=tgt_mask)))
        tgt = self.norm2(tgt + self.dropout2(self.multihead_attn(tgt, memory, memory)))
        ffn = self.linear2(self.dropout(self.activation(self.linear1(tgt))))
        return self.norm3(tgt + self.dropout3(ffn))
