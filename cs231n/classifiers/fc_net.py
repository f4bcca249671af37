"""Fully connected networks built from the layers in ``cs231n.layers``."""

import numpy as np

from cs231n.layer_utils import affine_relu_backward, affine_relu_forward
from cs231n.layers import affine_backward, affine_forward, softmax_loss
from cs231n.layers import (
    batchnorm_backward_alt,
    batchnorm_forward,
    dropout_backward,
    dropout_forward,
    layernorm_backward,
    layernorm_forward,
    relu_backward,
    relu_forward,
)


class TwoLayerNet:
    """Two-layer network: affine - relu - affine - softmax.

    Parameters live in ``self.params`` so that ``Solver`` can update them:
    ``W1`` (D, H), ``b1`` (H,), ``W2`` (H, C), ``b2`` (C,).

    Parameters
    ----------
    input_dim : int
        Size D of an input (64 for 8x8 digits, 3072 for CIFAR-10).
    hidden_dim : int
        Size H of the hidden layer.
    num_classes : int
        Number C of classes.
    weight_scale : float
        Standard deviation of the Gaussian initial weights.
    reg : float
        L2 regularisation strength.
    """

    def __init__(
        self,
        input_dim=64,
        hidden_dim=100,
        num_classes=10,
        weight_scale=1e-3,
        reg=0.0,
    ):
        self.params = {}
        self.reg = reg
        # TODO: Initialise W1 (input_dim, hidden_dim) and W2 (hidden_dim,
        # num_classes) from a Gaussian with mean 0 and standard deviation
        # weight_scale (use np.random so that np.random.seed fixes them), and
        # b1, b2 to zeros of the matching sizes. Store all four in
        # self.params under the keys 'W1', 'b1', 'W2', 'b2'.
        ### BEGIN SOLUTION assignment1
        self.params["W1"] = weight_scale * np.random.randn(input_dim, hidden_dim)
        self.params["b1"] = np.zeros(hidden_dim)
        self.params["W2"] = weight_scale * np.random.randn(hidden_dim, num_classes)
        self.params["b2"] = np.zeros(num_classes)
        ### END SOLUTION

    def loss(self, X, y=None):
        """Class scores, or the loss and its gradients.

        Parameters
        ----------
        X : ndarray, shape (N, d_1, ..., d_k)
            Minibatch of inputs with ``d_1 * ... * d_k == input_dim``.
        y : ndarray of int, shape (N,) or None
            Labels. ``None`` means test time.

        Returns
        -------
        scores : ndarray, shape (N, C)
            If ``y`` is None.
        loss : float
            If ``y`` is given: data loss plus ``0.5 * reg * sum(W**2)`` for
            W1 and W2.
        grads : dict
            If ``y`` is given: same keys and shapes as ``self.params``.
        """
        scores = None
        # TODO: Compute the scores (N, C) with affine_relu_forward and
        # affine_forward from cs231n.layer_utils / cs231n.layers, keeping
        # their caches for the backward pass.
        ### BEGIN SOLUTION assignment1
        hidden, cache1 = affine_relu_forward(X, self.params["W1"], self.params["b1"])
        scores, cache2 = affine_forward(hidden, self.params["W2"], self.params["b2"])
        ### END SOLUTION

        if y is None:
            return scores

        loss, grads = 0, {}
        # TODO: Compute the loss with softmax_loss and add the L2 term
        # 0.5 * self.reg * sum(W * W) for W1 and W2 (the 0.5 makes its
        # gradient self.reg * W). Backpropagate with affine_backward and
        # affine_relu_backward and store the gradients in grads under the same
        # keys as self.params, regularisation included.
        ### BEGIN SOLUTION assignment1
        W1, W2 = self.params["W1"], self.params["W2"]
        loss, dscores = softmax_loss(scores, y)
        loss += 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
        dhidden, grads["W2"], grads["b2"] = affine_backward(dscores, cache2)
        _, grads["W1"], grads["b1"] = affine_relu_backward(dhidden, cache1)
        grads["W1"] += self.reg * W1
        grads["W2"] += self.reg * W2
        ### END SOLUTION

        return loss, grads


class FullyConnectedNet:
    """Fully connected network with any number of hidden layers.

    ``{affine - [batchnorm | layernorm] - relu - [dropout]} x (L - 1) -
    affine - softmax``, where the normalization and dropout are optional.

    Parameters live in ``self.params``: ``W1`` .. ``WL`` and ``b1`` .. ``bL``
    for the affine layers (layer l maps ``dims[l - 1]`` to ``dims[l]`` with
    ``dims = [input_dim, *hidden_dims, num_classes]``), and with
    normalization ``gamma1`` .. ``gamma(L-1)`` and ``beta1`` .. ``beta(L-1)``
    for the hidden layers.

    Parameters
    ----------
    hidden_dims : list of int
        Size of each hidden layer; L - 1 entries for an L-layer network.
    input_dim : int
        Size D of an input.
    num_classes : int
        Number C of classes.
    dropout_keep_ratio : float
        Probability of keeping a unit in dropout, in (0, 1]; 1 means no
        dropout.
    normalization : {None, 'batchnorm', 'layernorm'}
        Normalization after each hidden affine layer.
    reg : float
        L2 regularisation strength (on the weights only).
    weight_scale : float
        Standard deviation of the Gaussian initial weights.
    dtype : numpy dtype
        Type of every parameter and of the computation: float32 is faster,
        float64 is needed for numerical gradient checks.
    seed : int or None
        Seed for the dropout masks: with a seed, every call uses the same
        masks (for gradient checks).

    Attributes
    ----------
    num_layers : int
        L, the number of affine layers.
    use_dropout : bool
    bn_params : list of dict
        One per hidden layer when normalized (else empty); batchnorm keeps
        its running averages here.
    dropout_param : dict
        Passed to every dropout layer (empty without dropout).
    """

    def __init__(
        self,
        hidden_dims,
        input_dim=3 * 32 * 32,
        num_classes=10,
        dropout_keep_ratio=1,
        normalization=None,
        reg=0.0,
        weight_scale=1e-2,
        dtype=np.float32,
        seed=None,
    ):
        if normalization not in (None, "batchnorm", "layernorm"):
            raise ValueError(
                f"normalization must be None, 'batchnorm' or 'layernorm', got {normalization!r}"
            )
        if not 0 < dropout_keep_ratio <= 1:
            raise ValueError(f"dropout_keep_ratio must be in (0, 1], got {dropout_keep_ratio!r}")
        self.normalization = normalization
        self.use_dropout = dropout_keep_ratio != 1
        self.reg = reg
        self.num_layers = 1 + len(hidden_dims)
        self.dtype = dtype
        self.params = {}

        # TODO: Initialise the parameters of the L = self.num_layers affine
        # layers: W1 .. WL from a Gaussian with mean 0 and standard deviation
        # weight_scale (np.random, so that np.random.seed fixes them), where
        # layer l maps dims[l - 1] to dims[l] with dims = [input_dim,
        # *hidden_dims, num_classes], and b1 .. bL as zeros. With
        # normalization, each hidden layer l also gets f"gamma{l}" (ones) and
        # f"beta{l}" (zeros) of size dims[l]; the output layer gets none.
        # Store all in self.params under the keys 'W1', 'b1', 'gamma1',
        # 'beta1', ...
        ### BEGIN SOLUTION assignment2
        dims = [input_dim, *hidden_dims, num_classes]
        for layer in range(1, self.num_layers + 1):
            fan_in, fan_out = dims[layer - 1], dims[layer]
            self.params[f"W{layer}"] = weight_scale * np.random.randn(fan_in, fan_out)
            self.params[f"b{layer}"] = np.zeros(fan_out)
            if normalization is not None and layer < self.num_layers:
                self.params[f"gamma{layer}"] = np.ones(fan_out)
                self.params[f"beta{layer}"] = np.zeros(fan_out)
        ### END SOLUTION

        # Every dropout layer shares this dict: setting its mode once in
        # loss() switches all of them.
        self.dropout_param = {}
        if self.use_dropout:
            self.dropout_param = {"mode": "train", "p": dropout_keep_ratio}
            if seed is not None:
                self.dropout_param["seed"] = seed

        # One dict per normalized layer, since batchnorm keeps each layer's
        # running averages in it.
        self.bn_params = []
        if self.normalization is not None:
            self.bn_params = [{"mode": "train"} for _ in range(self.num_layers - 1)]

        for name, value in self.params.items():
            self.params[name] = value.astype(dtype)

    def loss(self, X, y=None):
        """Class scores, or the loss and its gradients.

        Parameters
        ----------
        X : ndarray, shape (N, d_1, ..., d_k)
            Minibatch of inputs with ``d_1 * ... * d_k == input_dim``.
        y : ndarray of int, shape (N,) or None
            Labels. ``None`` means test time: batchnorm uses its running
            averages and dropout is off.

        Returns
        -------
        scores : ndarray, shape (N, C)
            If ``y`` is None.
        loss : float
            If ``y`` is given: data loss plus ``0.5 * reg * sum(W**2)`` over
            W1 .. WL.
        grads : dict
            If ``y`` is given: same keys and shapes as ``self.params``.
        """
        X = X.astype(self.dtype)
        mode = "test" if y is None else "train"

        # Batchnorm and dropout behave differently at train and test time.
        if self.use_dropout:
            self.dropout_param["mode"] = mode
        for bn_param in self.bn_params:
            bn_param["mode"] = mode

        scores = None
        # TODO: Compute the scores (N, C). For each hidden layer l = 1 .. L-1
        # apply affine_forward, then batchnorm_forward or layernorm_forward
        # (with f"gamma{l}", f"beta{l}" and self.bn_params[l - 1]) if
        # self.normalization says so, relu_forward, then dropout_forward with
        # self.dropout_param if self.use_dropout; finish with affine_forward
        # of layer L. Keep every cache for the backward pass.
        ### BEGIN SOLUTION assignment2
        caches = []
        hidden = X
        for layer in range(1, self.num_layers):
            cache = {}
            hidden, cache["affine"] = affine_forward(
                hidden, self.params[f"W{layer}"], self.params[f"b{layer}"]
            )
            if self.normalization is not None:
                norm_forward = (
                    batchnorm_forward if self.normalization == "batchnorm" else layernorm_forward
                )
                hidden, cache["norm"] = norm_forward(
                    hidden,
                    self.params[f"gamma{layer}"],
                    self.params[f"beta{layer}"],
                    self.bn_params[layer - 1],
                )
            hidden, cache["relu"] = relu_forward(hidden)
            if self.use_dropout:
                hidden, cache["dropout"] = dropout_forward(hidden, self.dropout_param)
            caches.append(cache)
        L = self.num_layers
        scores, last_cache = affine_forward(hidden, self.params[f"W{L}"], self.params[f"b{L}"])
        ### END SOLUTION

        if y is None:
            return scores

        loss, grads = 0.0, {}
        # TODO: Compute the loss with softmax_loss plus 0.5 * self.reg *
        # sum(W * W) for every weight matrix W1 .. WL (not the biases, gammas
        # or betas). Backpropagate through the layers in reverse order with
        # affine_backward, dropout_backward, relu_backward and
        # batchnorm_backward_alt or layernorm_backward, and store every
        # gradient in grads under the key of its parameter, regularisation
        # included.
        ### BEGIN SOLUTION assignment2
        loss, dscores = softmax_loss(scores, y)
        for layer in range(1, L + 1):
            W = self.params[f"W{layer}"]
            loss += 0.5 * self.reg * np.sum(W * W)

        dhidden, grads[f"W{L}"], grads[f"b{L}"] = affine_backward(dscores, last_cache)
        norm_backward = (
            batchnorm_backward_alt if self.normalization == "batchnorm" else layernorm_backward
        )
        for layer in range(L - 1, 0, -1):
            cache = caches[layer - 1]
            if self.use_dropout:
                dhidden = dropout_backward(dhidden, cache["dropout"])
            dhidden = relu_backward(dhidden, cache["relu"])
            if self.normalization is not None:
                dhidden, grads[f"gamma{layer}"], grads[f"beta{layer}"] = norm_backward(
                    dhidden, cache["norm"]
                )
            dhidden, grads[f"W{layer}"], grads[f"b{layer}"] = affine_backward(
                dhidden, cache["affine"]
            )
        for layer in range(1, L + 1):
            grads[f"W{layer}"] += self.reg * self.params[f"W{layer}"]
        ### END SOLUTION

        return loss, grads
