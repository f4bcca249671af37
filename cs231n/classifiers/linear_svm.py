"""Multiclass SVM (hinge) loss of a linear classifier, naive and vectorized."""

import numpy as np


def svm_loss_naive(W, X, y, reg):
    """Multiclass SVM loss with margin 1 and L2 regularisation, with loops.

    Parameters
    ----------
    W : ndarray, shape (D, C)
        Weights.
    X : ndarray, shape (N, D)
        Minibatch of examples, one per row.
    y : ndarray of int, shape (N,)
        Labels, ``0 <= y[i] < C``.
    reg : float
        Regularisation strength.

    Returns
    -------
    loss : float
        ``(1/N) sum_i sum_{j != y_i} max(0, s_ij - s_iy_i + 1) + reg * sum(W**2)``
        with scores ``s = X W``.
    dW : ndarray, shape (D, C)
        Gradient of the loss with respect to W.
    """
    loss = 0.0
    dW = np.zeros_like(W)
    # TODO: Loop over the examples and over the classes. For each class j
    # other than the label, add the margin max(0, s_j - s_y + 1) to the loss;
    # when the margin is positive, X[i] (D,) goes into column j of dW with a
    # plus sign and into column y[i] with a minus sign. Then average over N
    # and add the regularisation term reg * sum(W * W) and its gradient.
    ### BEGIN SOLUTION assignment1
    num_train = X.shape[0]
    num_classes = W.shape[1]
    for i in range(num_train):
        scores = X[i] @ W
        correct = scores[y[i]]
        for j in range(num_classes):
            if j == y[i]:
                continue
            margin = scores[j] - correct + 1.0
            if margin > 0:
                loss += margin
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    loss /= num_train
    dW /= num_train
    loss += reg * np.sum(W * W)
    dW += 2 * reg * W
    ### END SOLUTION
    return loss, dW


def svm_loss_vectorized(W, X, y, reg):
    """Multiclass SVM loss, vectorized. Same inputs and outputs as ``svm_loss_naive``.

    Parameters
    ----------
    W : ndarray, shape (D, C)
    X : ndarray, shape (N, D)
    y : ndarray of int, shape (N,)
    reg : float

    Returns
    -------
    loss : float
    dW : ndarray, shape (D, C)
    """
    loss = 0.0
    dW = np.zeros_like(W)
    # TODO: Compute the loss and dW without loops. Form the scores (N, C),
    # the margins (N, C) with the correct class set to zero, and a
    # coefficient matrix (N, C) saying how often each X[i] is added to (or,
    # for the label, subtracted from) each column of dW; dW is then one
    # matrix product. Add the same regularisation as the naive version.
    ### BEGIN SOLUTION assignment1
    num_train = X.shape[0]
    rows = np.arange(num_train)
    scores = X @ W
    margins = np.maximum(0, scores - scores[rows, y][:, None] + 1.0)
    margins[rows, y] = 0
    loss = margins.sum() / num_train + reg * np.sum(W * W)
    coeff = (margins > 0).astype(X.dtype)
    coeff[rows, y] = -coeff.sum(axis=1)
    dW = X.T @ coeff / num_train + 2 * reg * W
    ### END SOLUTION
    return loss, dW
