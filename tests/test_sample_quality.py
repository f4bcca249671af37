import numpy as np
import pytest
import torch

from cs231n import data_utils
from cs231n import sample_quality as sq

# A recipe that trains in about a second, for the tests of the cache.
TINY = dict(sq.RECIPE, epochs=1, channels=(4, 8), features=8)


# ------------------------------------------------------------------ the formulas

def test_frechet_distance_of_identical_gaussians_is_zero():
    rng = np.random.RandomState(0)
    A = rng.randn(6, 6)
    sigma = A @ A.T
    mu = rng.randn(6)
    assert abs(sq.frechet_distance_of_stats(mu, sigma, mu, sigma)) < 1e-9


def test_frechet_distance_closed_forms():
    # One dimension: (m1 - m2)^2 + (s1 - s2)^2 for standard deviations s1, s2.
    d = sq.frechet_distance_of_stats(np.array([1.0]), np.array([[4.0]]), np.array([-2.0]), np.array([[9.0]]))
    np.testing.assert_allclose(d, 9.0 + (2.0 - 3.0) ** 2, rtol=1e-12)
    # Diagonal covariances: the sum over dimensions.
    v1, v2 = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 0.25])
    d = sq.frechet_distance_of_stats(np.zeros(3), np.diag(v1), np.ones(3), np.diag(v2))
    np.testing.assert_allclose(d, 3.0 + np.sum((np.sqrt(v1) - np.sqrt(v2)) ** 2), rtol=1e-12)


def test_frechet_distance_matches_a_general_matrix_square_root():
    from scipy.linalg import sqrtm

    rng = np.random.RandomState(1)
    A, B = rng.randn(5, 8), rng.randn(5, 8)
    s1, s2 = A @ A.T / 8, B @ B.T / 8
    m1, m2 = rng.randn(5), rng.randn(5)
    expected = np.sum((m1 - m2) ** 2) + np.trace(s1 + s2 - 2 * np.real(sqrtm(s1 @ s2)))
    np.testing.assert_allclose(sq.frechet_distance_of_stats(m1, s1, m2, s2), expected, rtol=1e-8)
    # singular covariances (fewer samples than dimensions) are fine too
    C = rng.randn(5, 2)
    d = sq.frechet_distance_of_stats(m1, C @ C.T, m2, s2)
    assert np.isfinite(d) and d > 0


def test_inception_score_bounds():
    K = 10
    assert sq.inception_score_of_probs(np.eye(K)) == pytest.approx(K)      # confident and varied: K
    assert sq.inception_score_of_probs(np.tile(np.eye(K)[3], (50, 1))) == pytest.approx(1.0)  # one class
    assert sq.inception_score_of_probs(np.full((20, K), 1 / K)) == pytest.approx(1.0)  # no confidence
    rng = np.random.RandomState(0)
    p = rng.dirichlet(np.full(K, 0.3), size=200)
    score = sq.inception_score_of_probs(p)
    assert 1.0 < score < K
    # the definition, written out: exp(mean_i sum_k p_ik log(p_ik / pbar_k))
    expected = np.exp(np.mean(np.sum(p * np.log(p / p.mean(axis=0)), axis=1)))
    np.testing.assert_allclose(score, expected, rtol=1e-12)


def test_coverage_counts_classes_with_a_minimum_share():
    labels = np.array([0] * 50 + [1] * 30 + [2] * 15 + [3] * 4 + [4] * 1)
    assert sq.coverage_of_labels(labels, 0.03) == 4
    assert sq.coverage_of_labels(labels, 0.10) == 3
    assert sq.coverage_of_labels(labels, 0.01) == 5


def test_as_images_accepts_the_three_layouts_and_refuses_the_rest():
    x = np.random.RandomState(0).rand(3, 784)
    for view in (x, x.reshape(3, 28, 28), x.reshape(3, 1, 28, 28), torch.tensor(x)):
        out = sq.as_images(view)
        assert out.shape == (3, 1, 28, 28) and out.dtype == np.float32
    with pytest.raises(ValueError, match="shape"):
        sq.as_images(np.zeros((3, 28, 27)))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        sq.as_images(2 * x - 1)  # not deprocessed
    bad = x.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="nan"):
        sq.as_images(bad)


# ------------------------------------------------------------------ training and the cache

@pytest.fixture
def home(tmp_path, monkeypatch):
    """An empty DATASETS_DIR, no classifier in memory, and a count of the trainings."""
    monkeypatch.setattr(data_utils, "DATASETS_DIR", tmp_path / "datasets")
    monkeypatch.setattr(sq, "_LOADED", {})
    trained = []
    real = sq.train_classifier

    def counting(recipe=sq.RECIPE):
        trained.append(recipe)
        return real(recipe)

    monkeypatch.setattr(sq, "train_classifier", counting)
    return trained


def test_training_is_deterministic_and_leaves_torch_alone():
    threads = torch.get_num_threads()
    state = torch.random.get_rng_state()
    a, acc_a = sq.train_classifier(TINY)
    b, acc_b = sq.train_classifier(TINY)
    assert acc_a == acc_b
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))
    assert torch.equal(state, torch.random.get_rng_state()) and torch.get_num_threads() == threads
    c, _ = sq.train_classifier(dict(TINY, seed=1))
    assert not torch.equal(a[0].weight, c[0].weight)


def test_classifier_is_cached_and_read_back(home, monkeypatch):
    model = sq.load_classifier(TINY)
    assert len(home) == 1
    path = sq._cache_path(TINY)
    assert path.exists()
    monkeypatch.setattr(sq, "_LOADED", {})  # a new process
    again = sq.load_classifier(TINY)
    assert len(home) == 1, "a valid cache must be read, not rebuilt"
    assert all(torch.equal(p, q) for p, q in zip(model.state_dict().values(), again.state_dict().values()))
    assert sq.classifier_accuracy(TINY) == pytest.approx(float(np.load(path)["accuracy"]))
    assert not any(p.requires_grad for p in again.parameters()) and not again.training


def test_other_recipe_is_trained_anew(home):
    sq.load_classifier(TINY)
    sq.load_classifier(dict(TINY, seed=5))
    assert len(home) == 2
    assert sq._cache_path(TINY) != sq._cache_path(dict(TINY, seed=5))


@pytest.mark.parametrize("damage", ["truncate", "garbage", "wrong fingerprint", "missing parameter"])
def test_damaged_cache_is_rebuilt(home, monkeypatch, damage):
    sq.load_classifier(TINY)
    path = sq._cache_path(TINY)
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[:200])
    elif damage == "garbage":
        path.write_bytes(b"not a zip file")
    else:
        with np.load(path) as f:
            arrays = {k: f[k] for k in f.files}
        if damage == "wrong fingerprint":
            arrays["fingerprint"] = np.array("0" * 16)
        else:
            arrays.pop(next(k for k in arrays if k.startswith("param:")))
        np.savez(path, **arrays)
    monkeypatch.setattr(sq, "_LOADED", {})
    sq.load_classifier(TINY)
    assert len(home) == 2


def test_unwritable_folder_still_gives_a_classifier(home, monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("read-only file system")

    monkeypatch.setattr(sq.tempfile, "mkstemp", refuse)
    model = sq.load_classifier(TINY)
    assert model is not None and not sq._cache_path(TINY).exists()


# ------------------------------------------------------------------ the course's classifier, calibrated

@pytest.fixture(scope="module")
def real():
    return sq.real_digits("train"), sq.real_digits("test")


def test_classifier_accuracy_on_held_out_digits():
    assert sq.classifier_accuracy() >= 0.97


def test_real_digits_score_high(real):
    (X_train, _), (X_test, _) = real
    stats = sq.held_out_stats()
    scores = sq.score_samples(X_train[np.random.RandomState(0).choice(len(X_train), 500, replace=False)], stats)
    assert scores["inception_score"] > 8.5 and scores["coverage"] == 10
    assert scores["frechet_distance"] < 30
    assert scores["class_counts"].sum() == 500
    assert abs(sq.frechet_distance(X_test, X_test)) < 1e-3  # 0 up to the rounding of near-zero eigenvalues


def test_broken_generators_score_low(real):
    (X_train, y_train), _ = real
    stats = sq.held_out_stats()
    rng = np.random.RandomState(0)
    noise = sq.score_samples(rng.rand(500, 784), stats)
    one_image = sq.score_samples(np.repeat(X_train[:1], 500, axis=0), stats)
    one_class = sq.score_samples(X_train[y_train == 3], stats)
    for scores in (noise, one_image, one_class):
        assert scores["inception_score"] < 2.5 and scores["coverage"] <= 4
        assert scores["frechet_distance"] > 800
    assert one_image["coverage"] == 1 and one_class["coverage"] == 1


def test_the_separate_scores_agree_with_score_samples(real):
    (X_train, _), _ = real
    x = X_train[:300]
    together = sq.score_samples(x)
    assert sq.inception_score(x) == pytest.approx(together["inception_score"])
    assert sq.class_coverage(x) == together["coverage"]
    assert sq.frechet_distance(x, sq.held_out_stats()) == pytest.approx(together["frechet_distance"])
