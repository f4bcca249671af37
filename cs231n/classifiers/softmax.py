"""Softmax (cross-entropy) loss of a linear classifier, naive and vectorized."""

import numpy as np


def softmax_loss_naive(W, X, y, reg):
    """Softmax loss with L2 regularisation, with loops.

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
        ``(1/N) sum_i -log p_i[y_i] + reg * sum(W**2)`` where ``p_i`` is the
        softmax of the scores ``X[i] W``.
    dW : ndarray, shape (D, C)
        Gradient of the loss with respect to W.
    """
    loss = 0.0
    dW = np.zeros_like(W)
    # TODO: Loop over the examples. For each, compute the scores (C,),
    # subtract their maximum (softmax is unchanged and exp cannot overflow),
    # turn them into probabilities, add -log of the label's probability to
    # the loss and, for every class j, (p_j - [j == y_i]) * X[i] to column j
    # of dW. Average over N and add reg * sum(W * W) and its gradient.
    ### BEGIN SOLUTION assignment1
    num_train = X.shape[0]
    num_classes = W.shape[1]
    for i in range(num_train):
        scores = X[i] @ W
        scores = scores - np.max(scores)
        exp_scores = np.exp(scores)
        total = np.sum(exp_scores)
        loss += np.log(total) - scores[y[i]]
        for j in range(num_classes):
            p_j = exp_scores[j] / total
            dW[:, j] += (p_j - (j == y[i])) * X[i]
    loss /= num_train
    dW /= num_train
    loss += reg * np.sum(W * W)
    dW += 2 * reg * W
    ### END SOLUTION
    return loss, dW


def softmax_loss_vectorized(W, X, y, reg):
    """Softmax loss, vectorized. Same inputs and outputs as ``softmax_loss_naive``.

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
    # TODO: Compute the loss and dW without loops, numerically stable as in
    # the naive version (shift each row of scores by its maximum). The
    # gradient with respect to the scores is (probabilities - one-hot
    # labels) / N, an (N, C) matrix; dW is one matrix product with X.
    ### BEGIN SOLUTION assignment1
    num_train = X.shape[0]
    rows = np.arange(num_train)
    scores = X @ W
    scores = scores - scores.max(axis=1, keepdims=True)
    log_probs = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
    loss = -log_probs[rows, y].sum() / num_train + reg * np.sum(W * W)
    dscores = np.exp(log_probs)
    dscores[rows, y] -= 1
    dW = X.T @ dscores / num_train + 2 * reg * W
    ### END SOLUTION
    return loss, dW
