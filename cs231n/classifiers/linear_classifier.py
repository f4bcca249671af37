"""Linear classifiers ``scores = X W`` trained by minibatch SGD."""

import numpy as np

from cs231n.classifiers.linear_svm import svm_loss_vectorized
from cs231n.classifiers.softmax import softmax_loss_vectorized


class LinearClassifier:
    """Base class: training and prediction; subclasses supply ``loss``.

    Attributes
    ----------
    W : ndarray, shape (D, C) or None
        Weights; created as ``0.001 * randn(D, C)`` on the first ``train``.
    """

    def __init__(self):
        self.W = None

    def train(
        self,
        X,
        y,
        learning_rate=1e-3,
        reg=1e-5,
        num_iters=100,
        batch_size=200,
        verbose=False,
        seed=None,
    ):
        """Train by stochastic gradient descent on minibatches.

        Parameters
        ----------
        X : ndarray, shape (N, D)
            Training examples, one per row.
        y : ndarray of int, shape (N,)
            Labels, ``0 <= y[i] < C``.
        learning_rate : float
            Step size of SGD.
        reg : float
            Regularisation strength.
        num_iters : int
            Number of SGD steps.
        batch_size : int
            Examples per step, sampled with replacement.
        verbose : bool
            Print the loss every 100 iterations.
        seed : int or None
            Seed for the initial weights and the minibatches; ``None`` uses
            ``np.random``'s global state, as CS231n does.

        Returns
        -------
        loss_history : list of float
            The minibatch loss at each iteration, length ``num_iters``.
        """
        rng = np.random if seed is None else np.random.RandomState(seed)
        num_train, dim = X.shape
        num_classes = int(np.max(y)) + 1  # labels are assumed to be 0..C-1
        if self.W is None:
            self.W = 0.001 * rng.randn(dim, num_classes)

        loss_history = []
        for it in range(num_iters):
            X_batch = None
            y_batch = None
            # TODO: Sample batch_size indices with replacement (use
            # rng.choice, so that `seed` makes training reproducible) and
            # take X_batch (batch_size, D) and y_batch (batch_size,).
            ### BEGIN SOLUTION assignment1
            idx = rng.choice(num_train, batch_size, replace=True)
            X_batch = X[idx]
            y_batch = y[idx]
            ### END SOLUTION

            loss, grad = self.loss(X_batch, y_batch, reg)
            loss_history.append(float(loss))

            # TODO: Update self.W with one gradient-descent step.
            ### BEGIN SOLUTION assignment1
            self.W -= learning_rate * grad
            ### END SOLUTION

            if verbose and it % 100 == 0:
                print("iteration %d / %d: loss %f" % (it, num_iters, loss))

        return loss_history

    def predict(self, X):
        """Predict labels with the trained weights.

        Parameters
        ----------
        X : ndarray, shape (N, D)

        Returns
        -------
        y_pred : ndarray of int, shape (N,)
            The class with the highest score for each example.
        """
        y_pred = np.zeros(X.shape[0], dtype=np.int64)
        # TODO: Compute the scores (N, C) and pick the best class per row.
        ### BEGIN SOLUTION assignment1
        y_pred = np.argmax(X @ self.W, axis=1)
        ### END SOLUTION
        return y_pred

    def loss(self, X_batch, y_batch, reg):
        """Loss and gradient on a minibatch; implemented by subclasses.

        Parameters
        ----------
        X_batch : ndarray, shape (N, D)
        y_batch : ndarray of int, shape (N,)
        reg : float

        Returns
        -------
        loss : float
        dW : ndarray, shape (D, C)
        """
        raise NotImplementedError(
            "LinearClassifier is a base class; use LinearSVM or Softmax"
        )


class LinearSVM(LinearClassifier):
    """Linear classifier with the multiclass SVM loss."""

    def loss(self, X_batch, y_batch, reg):
        return svm_loss_vectorized(self.W, X_batch, y_batch, reg)


class Softmax(LinearClassifier):
    """Linear classifier with the softmax cross-entropy loss."""

    def loss(self, X_batch, y_batch, reg):
        return softmax_loss_vectorized(self.W, X_batch, y_batch, reg)
