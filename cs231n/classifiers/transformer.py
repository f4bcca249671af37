"""A Transformer decoder that captions images (PyTorch).

The image is the decoder's *memory*: one token per feature vector, projected
to the size of the word embeddings. Features of shape (N, D) give a memory of
one token per image (CS231n's COCO features); spatial features of shape
(N, D, G, G) give one token per cell of the G x G grid, so that each word of a
caption can attend to a different place of the image.

The caption is embedded, the positional encoding is added, and a stack of
``TransformerDecoderLayer``s reads it under a causal mask (position t sees the
words 0 to t only) together with the memory. A linear layer maps every
position to scores over the vocabulary: the scores at position t predict the
word t + 1, so one forward pass trains on every word of every caption at once
(teacher forcing).
"""
import copy

import numpy as np
import torch
import torch.nn as nn

from cs231n.transformer_layers import PositionalEncoding, TransformerDecoderLayer


class CaptioningTransformer(nn.Module):
    """An image captioning model built from Transformer decoder layers.

    Parameters
    ----------
    word_to_idx : dict
        The vocabulary, word -> index in [0, V); must hold ``<NULL>``,
        ``<START>`` and ``<END>``.
    input_dim : int
        D, the size of an image feature vector.
    wordvec_dim : int
        W, the size of the word embeddings and of every layer of the model.
    num_heads : int
        Heads of every attention layer (must divide wordvec_dim).
    num_layers : int
        Decoder layers.
    max_length : int
        The longest caption (in tokens) the positional encoding covers.
    dim_feedforward : int
        Width of the feed-forward networks of the decoder layers.
    dropout : float
        Dropout probability of the positional encoding and of the decoder layers.
    feature_key : str
        The features the model is trained on (the key of the data dict that
        ``sample_coco_minibatch`` reads): ``"features"`` (N, D) or
        ``"spatial_features"`` (N, D, G, G).
    max_memory : int
        The most image tokens (G * G) the model accepts.

    Attributes
    ----------
    visual_projection : nn.Linear(D, W)
    memory_position : nn.Embedding(max_memory, W)
        A learned vector per image token (grid cell), added to its projected
        features: attention by itself ignores the order of the tokens, so
        without it a caption could not tell where a cell is.
    embedding : nn.Embedding(V, W), with padding_idx = ``<NULL>``
    positional_encoding : PositionalEncoding(W)
    transformer : TransformerDecoder
    output : nn.Linear(W, V)
    feature_key : str
        As the parameter; the solver draws minibatches of these features.
    """

    def __init__(self, word_to_idx, input_dim, wordvec_dim, num_heads=4, num_layers=2, max_length=50,
                 dim_feedforward=2048, dropout=0.1, feature_key="features", max_memory=64):
        super().__init__()
        for token in ("<NULL>", "<START>", "<END>"):
            if token not in word_to_idx:
                raise ValueError(f"word_to_idx has no {token} token")
        vocab_size = len(word_to_idx)
        self.vocab_size = vocab_size
        self._null = word_to_idx["<NULL>"]
        self._start = word_to_idx["<START>"]
        self._end = word_to_idx["<END>"]
        self.feature_key = feature_key

        self.visual_projection = nn.Linear(input_dim, wordvec_dim)
        self.memory_position = nn.Embedding(max_memory, wordvec_dim)
        self.embedding = nn.Embedding(vocab_size, wordvec_dim, padding_idx=self._null)
        self.positional_encoding = PositionalEncoding(wordvec_dim, dropout=dropout, max_len=max_length)
        decoder_layer = TransformerDecoderLayer(input_dim=wordvec_dim, num_heads=num_heads,
                                                dim_feedforward=dim_feedforward, dropout=dropout)
        self.transformer = TransformerDecoder(decoder_layer, num_layers=num_layers)
        self.output = nn.Linear(wordvec_dim, vocab_size)
        self.apply(self._init_weights)

    def _init_weights(self, module):
        """Small Gaussian weights (std 0.02), zero biases, LayerNorms as the identity."""
        if isinstance(module, (nn.Linear, nn.Embedding)):
            module.weight.data.normal_(mean=0.0, std=0.02)
            if isinstance(module, nn.Linear) and module.bias is not None:
                module.bias.data.zero_()
            if isinstance(module, nn.Embedding) and module.padding_idx is not None:
                module.weight.data[module.padding_idx].zero_()
        elif isinstance(module, nn.LayerNorm):
            module.bias.data.zero_()
            module.weight.data.fill_(1.0)

    def forward(self, features, captions):
        """Scores over the vocabulary for the next word at every position of the captions.

        Parameters
        ----------
        features : torch.Tensor, shape (N, D) or (N, D, G, G)
            Image features: one vector per image, or a G x G grid of vectors.
        captions : torch.LongTensor, shape (N, T)
            Input captions, each starting with ``<START>``.

        Returns
        -------
        scores : torch.Tensor, shape (N, T, V)
            ``scores[n, t]`` are the scores of the word that follows
            ``captions[n, :t + 1]`` (before the softmax).
        """
        N, T = captions.shape
        scores = None
        # TODO: Compute the scores.
        # 1. Memory (N, M, W): features (N, D) give one token per image (M = 1,
        #    use unsqueeze); features (N, D, G, G) give one token per grid cell,
        #    M = G * G in reading order (row by row): move D last, to
        #    (N, G * G, D), before self.visual_projection maps D to W. Then
        #    add self.memory_position's vector of each token (rows 0 to M - 1).
        # 2. Embed the captions (self.embedding) and add the positional
        #    encoding (self.positional_encoding): (N, T, W).
        # 3. The causal mask (T, T): 1 where query position t may attend to
        #    key position s, i.e. s <= t, 0 elsewhere (torch.tril), on the
        #    captions' device.
        # 4. Run self.transformer(embeddings, memory, mask) and map every
        #    position to the vocabulary with self.output.
        ### BEGIN SOLUTION assignment3
        if features.dim() == 4:
            memory = features.flatten(2).transpose(1, 2)
        else:
            memory = features.unsqueeze(1)
        positions = torch.arange(memory.shape[1], device=memory.device)
        memory = self.visual_projection(memory) + self.memory_position(positions)
        embeddings = self.positional_encoding(self.embedding(captions))
        causal = torch.tril(torch.ones(T, T, dtype=torch.bool, device=captions.device))
        scores = self.output(self.transformer(embeddings, memory, tgt_mask=causal))
        ### END SOLUTION
        return scores

    def sample(self, features, max_length=30):
        """Greedy captions for a batch of images (in eval mode, without gradients).

        Parameters
        ----------
        features : ndarray or torch.Tensor, shape (N, D) or (N, D, G, G)
            Image features, as for ``forward``.
        max_length : int
            The number of words to generate (at most the model's max_length).

        Returns
        -------
        captions : ndarray of int32, shape (N, max_length)
            ``captions[n, t]`` is the word of highest score after ``<START>``
            and the words ``captions[n, :t]``. The generation does not stop at
            ``<END>``: ``decode_captions`` cuts the text there.
        """
        weight = self.output.weight
        was_training = self.training
        self.eval()
        try:
            with torch.no_grad():
                features = torch.as_tensor(features, dtype=weight.dtype, device=weight.device)
                N = features.shape[0]
                captions = self._null * np.ones((N, max_length), dtype=np.int32)
                partial_caption = torch.full((N, 1), self._start, dtype=torch.long, device=weight.device)
                # TODO: Generate max_length words one at a time. At step t, run
                # self.forward on the partial captions (N, t + 1), take the scores
                # of the LAST position, the argmax is the next word: store it in
                # captions[:, t] and append it to partial_caption for the next step.
                ### BEGIN SOLUTION assignment3
                for t in range(max_length):
                    scores = self.forward(features, partial_caption)
                    word = scores[:, -1, :].argmax(dim=1)
                    captions[:, t] = word.cpu().numpy()
                    partial_caption = torch.cat([partial_caption, word[:, None]], dim=1)
                ### END SOLUTION
        finally:
            self.train(was_training)
        return captions


class TransformerDecoder(nn.Module):
    """A stack of ``num_layers`` independent copies of a decoder layer.

    Parameters
    ----------
    decoder_layer : TransformerDecoderLayer
        The layer to copy (each copy has its own parameters).
    num_layers : int
    """

    def __init__(self, decoder_layer, num_layers):
        super().__init__()
        self.layers = clones(decoder_layer, num_layers)
        self.num_layers = num_layers

    def forward(self, tgt, memory, tgt_mask=None):
        """tgt (N, T, W), memory (N, M, W), tgt_mask (T, T) or None -> (N, T, W)."""
        output = tgt
        for layer in self.layers:
            output = layer(output, memory, tgt_mask=tgt_mask)
        return output


def clones(module, n):
    """``n`` deep copies of ``module`` in an ``nn.ModuleList``."""
    return nn.ModuleList([copy.deepcopy(module) for _ in range(n)])
