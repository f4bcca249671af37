"""Convolutional networks built from the layers in ``cs231n.layer_utils``."""

import numpy as np

from cs231n.layer_utils import (
    affine_relu_backward,
    affine_relu_forward,
    conv_relu_pool_backward,
    conv_relu_pool_forward,
)
from cs231n.layers import affine_backward, affine_forward, softmax_loss


class ThreeLayerConvNet:
    """Three-layer convolutional network.

    conv - relu - 2x2 max pool - affine - relu - affine - softmax

    The convolution has stride 1 and pads by ``(filter_size - 1) // 2``, so
    for an odd ``filter_size`` it keeps the height and width of the input;
    the pooling (2x2, stride 2) halves them. Parameters live in
    ``self.params`` so that ``Solver`` can update them:

    - ``W1`` (F, C, filter_size, filter_size), ``b1`` (F,): the filters;
    - ``W2`` (F * (H // 2) * (W // 2), hidden_dim), ``b2`` (hidden_dim,);
    - ``W3`` (hidden_dim, num_classes), ``b3`` (num_classes,).

    Parameters
    ----------
    input_dim : tuple of int
        Shape (C, H, W) of one input image.
    num_filters : int
        Number F of filters of the convolution.
    filter_size : int
        Height and width of each filter (odd, so the padding keeps H and W).
    hidden_dim : int
        Size of the hidden affine layer.
    num_classes : int
        Number of classes.
    weight_scale : float
        Standard deviation of the Gaussian initial weights.
    reg : float
        L2 regularisation strength.
    dtype : numpy dtype
        Type of the parameters and of the computation: ``np.float32`` to
        train, ``np.float64`` for gradient checks.
    """

    def __init__(
        self,
        input_dim=(3, 32, 32),
        num_filters=32,
        filter_size=7,
        hidden_dim=100,
        num_classes=10,
        weight_scale=1e-3,
        reg=0.0,
        dtype=np.float32,
    ):
        self.params = {}
        self.reg = reg
        self.dtype = dtype

        # TODO: Initialise the weights from a Gaussian with mean 0 and
        # standard deviation weight_scale (use np.random so that
        # np.random.seed fixes them) and the biases to zeros. With
        # C, H, W = input_dim and F = num_filters:
        #   W1 (F, C, filter_size, filter_size), b1 (F,)
        #   W2 (F * (H // 2) * (W // 2), hidden_dim), b2 (hidden_dim,)
        #   W3 (hidden_dim, num_classes), b3 (num_classes,)
        # W2's rows are the pooled feature maps (F, H // 2, W // 2) flattened.
        ### BEGIN SOLUTION assignment2
        C, H, W = input_dim
        F = num_filters
        self.params["W1"] = weight_scale * np.random.randn(F, C, filter_size, filter_size)
        self.params["b1"] = np.zeros(F)
        self.params["W2"] = weight_scale * np.random.randn(F * (H // 2) * (W // 2), hidden_dim)
        self.params["b2"] = np.zeros(hidden_dim)
        self.params["W3"] = weight_scale * np.random.randn(hidden_dim, num_classes)
        self.params["b3"] = np.zeros(num_classes)
        ### END SOLUTION

        for name, value in self.params.items():
            self.params[name] = value.astype(dtype)

    def loss(self, X, y=None):
        """Class scores, or the loss and its gradients.

        Parameters
        ----------
        X : ndarray, shape (N, C, H, W)
            Minibatch of images, with (C, H, W) the ``input_dim`` of the
            model.
        y : ndarray of int, shape (N,) or None
            Labels. ``None`` means test time.

        Returns
        -------
        scores : ndarray, shape (N, num_classes)
            If ``y`` is None.
        loss : float
            If ``y`` is given: data loss plus ``0.5 * reg * sum(W**2)`` for
            W1, W2 and W3.
        grads : dict
            If ``y`` is given: same keys and shapes as ``self.params``.
        """
        X = X.astype(self.dtype)
        W1, b1 = self.params["W1"], self.params["b1"]
        W2, b2 = self.params["W2"], self.params["b2"]
        W3, b3 = self.params["W3"], self.params["b3"]

        # The padding keeps the height and width of the input for an odd
        # filter size; the pooling then halves them.
        filter_size = W1.shape[2]
        conv_param = {"stride": 1, "pad": (filter_size - 1) // 2}
        pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}

        scores = None
        # TODO: Compute the class scores (N, num_classes):
        #   conv_relu_pool_forward(X, W1, b1, conv_param, pool_param)
        #       -> (N, F, H // 2, W // 2)
        #   affine_relu_forward(..., W2, b2) -> (N, hidden_dim)
        #   affine_forward(..., W3, b3) -> (N, num_classes)
        # Keep each cache for the backward pass.
        ### BEGIN SOLUTION assignment2
        pooled, cache1 = conv_relu_pool_forward(X, W1, b1, conv_param, pool_param)
        hidden, cache2 = affine_relu_forward(pooled, W2, b2)
        scores, cache3 = affine_forward(hidden, W3, b3)
        ### END SOLUTION

        if y is None:
            return scores

        loss, grads = 0, {}
        # TODO: Compute the loss with softmax_loss and add the L2 term
        # 0.5 * self.reg * sum(W * W) for W1, W2 and W3 (not the biases).
        # Backpropagate through the three sandwiches in reverse order and
        # store the gradients in grads under the same keys as self.params,
        # regularisation included (self.reg * W for each weight).
        ### BEGIN SOLUTION assignment2
        loss, dscores = softmax_loss(scores, y)
        loss += 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2) + np.sum(W3 * W3))
        dhidden, grads["W3"], grads["b3"] = affine_backward(dscores, cache3)
        dpooled, grads["W2"], grads["b2"] = affine_relu_backward(dhidden, cache2)
        _, grads["W1"], grads["b1"] = conv_relu_pool_backward(dpooled, cache1)
        grads["W1"] += self.reg * W1
        grads["W2"] += self.reg * W2
        grads["W3"] += self.reg * W3
        ### END SOLUTION

        return loss, grads
