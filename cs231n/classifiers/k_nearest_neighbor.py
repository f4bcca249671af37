"""k-nearest-neighbour classifier with L2 (Euclidean) distance."""

import numpy as np


class KNearestNeighbor:
    """A kNN classifier with Euclidean distance.

    Training only memorises the data; all the work happens at prediction.
    """

    def __init__(self):
        self.X_train = None
        self.y_train = None

    def train(self, X, y):
        """Memorise the training data.

        Parameters
        ----------
        X : ndarray, shape (num_train, D)
            Training examples, one per row.
        y : ndarray of int, shape (num_train,)
            Labels; ``y[i]`` is the label of ``X[i]``.
        """
        X = np.asarray(X)
        y = np.asarray(y)
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D (num_train, D), got shape {X.shape}")
        if y.shape != (X.shape[0],):
            raise ValueError(
                f"y must have shape ({X.shape[0]},) to match X, got {y.shape}"
            )
        self.X_train = X
        self.y_train = y

    def predict(self, X, k=1, num_loops=0):
        """Predict labels for test examples.

        Parameters
        ----------
        X : ndarray, shape (num_test, D)
            Test examples.
        k : int
            Number of nearest neighbours that vote.
        num_loops : {0, 1, 2}
            Which distance implementation to use.

        Returns
        -------
        y_pred : ndarray of int, shape (num_test,)
        """
        if num_loops == 0:
            dists = self.compute_distances_no_loops(X)
        elif num_loops == 1:
            dists = self.compute_distances_one_loop(X)
        elif num_loops == 2:
            dists = self.compute_distances_two_loops(X)
        else:
            raise ValueError(f"num_loops must be 0, 1 or 2, got {num_loops!r}")
        return self.predict_labels(dists, k=k)

    def compute_distances_two_loops(self, X):
        """Euclidean distances with a double loop over test and training points.

        Parameters
        ----------
        X : ndarray, shape (num_test, D)

        Returns
        -------
        dists : ndarray, shape (num_test, num_train)
            ``dists[i, j]`` is the L2 distance between ``X[i]`` and the j-th
            training example.
        """
        num_test = X.shape[0]
        num_train = self.X_train.shape[0]
        dists = np.zeros((num_test, num_train))
        for i in range(num_test):
            for j in range(num_train):
                # TODO: Store the L2 distance between the i-th test point and
                # the j-th training point in dists[i, j], without a loop over
                # the dimension and without np.linalg.norm.
                ### BEGIN SOLUTION assignment1
                diff = X[i] - self.X_train[j]
                dists[i, j] = np.sqrt(np.sum(diff * diff))
                ### END SOLUTION
        return dists

    def compute_distances_one_loop(self, X):
        """Euclidean distances with a single loop over test points.

        Parameters
        ----------
        X : ndarray, shape (num_test, D)

        Returns
        -------
        dists : ndarray, shape (num_test, num_train)
        """
        num_test = X.shape[0]
        num_train = self.X_train.shape[0]
        dists = np.zeros((num_test, num_train))
        for i in range(num_test):
            # TODO: Fill the row dists[i, :] (num_train,) at once: subtract
            # X[i] (D,) from every training row by broadcasting, then reduce
            # over the dimension axis. No np.linalg.norm.
            ### BEGIN SOLUTION assignment1
            diff = self.X_train - X[i]
            dists[i, :] = np.sqrt(np.sum(diff * diff, axis=1))
            ### END SOLUTION
        return dists

    def compute_distances_no_loops(self, X):
        """Euclidean distances with no explicit loop.

        Parameters
        ----------
        X : ndarray, shape (num_test, D)

        Returns
        -------
        dists : ndarray, shape (num_test, num_train)
        """
        num_test = X.shape[0]
        num_train = self.X_train.shape[0]
        dists = np.zeros((num_test, num_train))
        # TODO: Compute all distances with no loop and without building a
        # (num_test, num_train, D) array. Hint: expand ||a - b||^2 into
        # ||a||^2 - 2 a.b + ||b||^2; the middle term is one matrix product and
        # the other two broadcast. Rounding can make tiny squared distances
        # slightly negative: clip them at 0 before the square root.
        ### BEGIN SOLUTION assignment1
        test_sq = np.sum(X * X, axis=1)[:, None]
        train_sq = np.sum(self.X_train * self.X_train, axis=1)[None, :]
        sq = test_sq - 2.0 * (X @ self.X_train.T) + train_sq
        dists = np.sqrt(np.maximum(sq, 0.0))
        ### END SOLUTION
        return dists

    def predict_labels(self, dists, k=1):
        """Majority vote among the k nearest training points.

        Parameters
        ----------
        dists : ndarray, shape (num_test, num_train)
            ``dists[i, j]`` is the distance between test point i and training
            point j.
        k : int
            Number of neighbours that vote.

        Returns
        -------
        y_pred : ndarray of int, shape (num_test,)
            Predicted labels; a tied vote goes to the smaller label.
        """
        num_test = dists.shape[0]
        y_pred = np.zeros(num_test, dtype=np.int64)
        for i in range(num_test):
            closest_y = []
            # TODO: Put the labels of the k training points nearest to test
            # point i into closest_y (see np.argsort; a stable sort keeps
            # equal distances in training order), then store the most common
            # of them in y_pred[i], breaking ties towards the smaller label
            # (np.bincount and np.argmax do this for you).
            ### BEGIN SOLUTION assignment1
            nearest = np.argsort(dists[i], kind="stable")[:k]
            closest_y = self.y_train[nearest]
            y_pred[i] = np.argmax(np.bincount(closest_y))
            ### END SOLUTION
        return y_pred
