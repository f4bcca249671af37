import numpy as np
import pytest

from cs231n.classifiers import LinearClassifier, LinearSVM, Softmax
from cs231n.classifiers.linear_svm import svm_loss_vectorized
from cs231n.classifiers.softmax import softmax_loss_vectorized
from cs231n.data_utils import get_digits_data


@pytest.fixture(scope="module")
def digits():
    data = get_digits_data(flatten=True, channels_first=False)
    # Append a constant feature as the bias trick of CS231n's notebooks.
    for split in ("train", "val"):
        X = data["X_" + split]
        data["X_" + split] = np.hstack([X, np.ones((X.shape[0], 1))])
    return data


@pytest.mark.parametrize("cls", [LinearSVM, Softmax])
def test_learns_digits(digits, cls):
    clf = cls()
    history = clf.train(digits["X_train"], digits["y_train"], learning_rate=1e-5,
                        reg=1.0, num_iters=300, batch_size=200, seed=0)
    assert len(history) == 300
    assert clf.W.shape == (65, 10)
    assert np.mean(history[-20:]) < history[0]
    assert np.mean(clf.predict(digits["X_val"]) == digits["y_val"]) > 0.85


@pytest.mark.parametrize("cls", [LinearSVM, Softmax])
def test_seed_makes_training_deterministic(digits, cls):
    runs = []
    for _ in range(2):
        clf = cls()
        history = clf.train(digits["X_train"], digits["y_train"], num_iters=5, seed=1)
        runs.append((history, clf.W))
    assert runs[0][0] == runs[1][0]
    np.testing.assert_array_equal(runs[0][1], runs[1][1])


def test_initial_weights_small_gaussian():
    X = np.zeros((1000, 20))
    y = np.arange(1000) % 10
    clf = LinearSVM()
    # Zero inputs: the gradient is 2 * reg * W, which reg=0 removes, so W
    # stays at its initial value.
    clf.train(X, y, reg=0.0, num_iters=1, seed=0)
    assert clf.W.shape == (20, 10)
    assert 0.0008 < clf.W.std() < 0.0012


def test_batch_larger_than_data_samples_with_replacement():
    X = np.eye(3)
    y = np.array([0, 1, 2])
    history = Softmax().train(X, y, num_iters=3, batch_size=10, seed=0)
    assert len(history) == 3


def test_one_step_is_gradient_descent():
    rng = np.random.RandomState(0)
    X = rng.randn(4, 3)
    y = np.array([0, 1, 2, 1])
    clf = Softmax()
    clf.W = rng.randn(3, 3)
    W0 = clf.W.copy()
    # batch_size = 4 with replacement can repeat rows; recompute the same
    # minibatch the classifier drew from the same seed.
    idx = np.random.RandomState(5).choice(4, 4, replace=True)
    _, grad = softmax_loss_vectorized(W0, X[idx], y[idx], 0.1)
    clf.train(X, y, learning_rate=0.5, reg=0.1, num_iters=1, batch_size=4, seed=5)
    np.testing.assert_allclose(clf.W, W0 - 0.5 * grad)


def test_predict_is_argmax_of_scores():
    clf = LinearClassifier()
    clf.W = np.array([[1.0, 0.0, 0.0], [0.0, 2.0, -1.0]])
    X = np.array([[3.0, 1.0], [1.0, 1.0], [-1.0, -2.0]])
    # scores [[3, 2, -1], [1, 2, -1], [-1, -4, 2]]
    np.testing.assert_array_equal(clf.predict(X), [0, 1, 2])


def test_subclasses_use_vectorized_losses(rng):
    X = rng.randn(5, 4)
    y = rng.randint(3, size=5)
    W = rng.randn(4, 3)
    svm, soft = LinearSVM(), Softmax()
    svm.W = soft.W = W
    assert svm.loss(X, y, 0.1)[0] == svm_loss_vectorized(W, X, y, 0.1)[0]
    assert soft.loss(X, y, 0.1)[0] == softmax_loss_vectorized(W, X, y, 0.1)[0]


def test_base_class_loss_is_abstract():
    with pytest.raises(NotImplementedError):
        LinearClassifier().train(np.eye(2), np.array([0, 1]), num_iters=1)
