"""Fully connected networks built from the layers in ``cs231n.layers``."""

import numpy as np

from cs231n.layer_utils import affine_relu_backward, affine_relu_forward
from cs231n.layers import affine_backward, affine_forward, softmax_loss


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
