import numpy as np
import pytest
from scipy.spatial.distance import cdist

from cs231n.classifiers import KNearestNeighbor
from cs231n.data_utils import get_digits_data


@pytest.fixture
def knn_and_data(rng):
    X_train = rng.randn(30, 7)
    X_test = rng.randn(12, 7)
    knn = KNearestNeighbor()
    knn.train(X_train, rng.randint(4, size=30))
    return knn, X_train, X_test


@pytest.mark.parametrize(
    "method",
    ["compute_distances_two_loops", "compute_distances_one_loop", "compute_distances_no_loops"],
)
def test_distances_match_cdist(knn_and_data, method):
    knn, X_train, X_test = knn_and_data
    dists = getattr(knn, method)(X_test)
    assert dists.shape == (12, 30)
    np.testing.assert_allclose(dists, cdist(X_test, X_train, "euclidean"), rtol=1e-10, atol=1e-10)


def test_distances_by_hand():
    knn = KNearestNeighbor()
    knn.train(np.array([[0.0, 0.0], [3.0, 4.0]]), np.array([0, 1]))
    for dists in (
        knn.compute_distances_two_loops(np.array([[0.0, 0.0]])),
        knn.compute_distances_one_loop(np.array([[0.0, 0.0]])),
        knn.compute_distances_no_loops(np.array([[0.0, 0.0]])),
    ):
        np.testing.assert_allclose(dists, [[0.0, 5.0]], atol=1e-12)


def test_no_loops_distance_to_itself_is_zero_not_nan(rng):
    # Large values make the ||a||^2 - 2ab + ||b||^2 expansion round below 0.
    X = 1e4 * rng.rand(20, 5) + 1e4
    knn = KNearestNeighbor()
    knn.train(X, np.zeros(20, dtype=int))
    d = knn.compute_distances_no_loops(X)
    assert np.all(np.isfinite(d))
    assert np.all(np.diag(d) < 1e-3)


def test_predict_labels_majority_and_ties():
    knn = KNearestNeighbor()
    knn.train(np.zeros((4, 1)), np.array([3, 1, 1, 3]))
    dists = np.array([[1.0, 2.0, 3.0, 4.0]])
    assert knn.predict_labels(dists, k=1).tolist() == [3]
    assert knn.predict_labels(dists, k=3).tolist() == [1]  # votes 3, 1, 1
    assert knn.predict_labels(dists, k=4).tolist() == [1]  # 2-2 tie -> smaller label
    assert knn.predict_labels(dists, k=2).tolist() == [1]  # 1-1 tie -> smaller label


def test_predict_labels_uses_nearest_not_first():
    knn = KNearestNeighbor()
    knn.train(np.zeros((3, 1)), np.array([7, 2, 5]))
    assert knn.predict_labels(np.array([[9.0, 0.5, 3.0]]), k=1).tolist() == [2]
    assert knn.predict_labels(np.array([[9.0, 0.5, 3.0]]), k=2).tolist() == [2]


@pytest.mark.parametrize("num_loops", [0, 1, 2])
def test_k1_on_training_data_is_perfect(rng, num_loops):
    X = rng.randn(25, 6)
    y = rng.randint(5, size=25)
    knn = KNearestNeighbor()
    knn.train(X, y)
    np.testing.assert_array_equal(knn.predict(X, k=1, num_loops=num_loops), y)


def test_predict_rejects_bad_num_loops(knn_and_data):
    knn, _, X_test = knn_and_data
    with pytest.raises(ValueError, match="num_loops"):
        knn.predict(X_test, num_loops=3)


def test_digits_accuracy_is_high():
    # kNN is known to be very accurate on these digits (well above 90%).
    data = get_digits_data(flatten=True, subtract_mean=False)
    knn = KNearestNeighbor()
    knn.train(data["X_train"], data["y_train"])
    y_pred = knn.predict(data["X_test"], k=3)
    assert np.mean(y_pred == data["y_test"]) > 0.95


def test_classifiers_package_exports_lazily():
    import subprocess
    import sys

    code = (
        "import sys\n"
        "import cs231n.classifiers as pkg\n"
        "assert 'cs231n.classifiers.fc_net' not in sys.modules\n"
        "from cs231n.classifiers import KNearestNeighbor\n"
        "assert KNearestNeighbor.__module__ == 'cs231n.classifiers.k_nearest_neighbor'\n"
        "assert 'cs231n.classifiers.fc_net' not in sys.modules\n"
        "assert {'KNearestNeighbor', 'LinearSVM', 'Softmax', 'TwoLayerNet'} <= set(pkg.__all__)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
