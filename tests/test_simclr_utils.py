"""Training and evaluation helpers of SimCLR (cs231n/simclr/utils.py)."""
import copy
import math

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from cs231n.simclr.model import Classifier, Model, make_encoder
from cs231n.simclr.utils import (extract_features, few_label_indices, knn_predict, linear_probe, predict, train,
                                 train_supervised)


@pytest.fixture(autouse=True)
def _one_thread_and_seeded():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        yield
    torch.set_num_threads(threads)


def randn(seed, *shape, dtype=torch.float64):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def nt_xent(a, b, tau):
    N = a.shape[0]
    z = F.normalize(torch.cat([a, b]), dim=1)
    logits = (z @ z.T / tau).masked_fill(torch.eye(2 * N, dtype=torch.bool), float("-inf"))
    return F.cross_entropy(logits, torch.cat([torch.arange(N, 2 * N), torch.arange(N)]))


def pair_loader(seed, n, batch_size):
    x_i, x_j = randn(seed, n, 3, 28, 28), randn(seed + 1, n, 3, 28, 28)
    return DataLoader(TensorDataset(x_i, x_j, torch.zeros(n, dtype=torch.long)), batch_size=batch_size)


# ------------------------------------------------------------------ train

def test_train_equals_a_hand_written_epoch():
    """Two forward passes per batch, the loss, zero_grad, backward and step, batch after batch."""
    torch.manual_seed(1)
    model = Model(feature_dim=8).double()
    twin = copy.deepcopy(model)
    loader = pair_loader(2, 12, 4)
    mean = train(model, loader, torch.optim.SGD(model.parameters(), lr=0.3), 1, 1, 4, 0.5, "cpu")

    opt = torch.optim.SGD(twin.parameters(), lr=0.3)
    twin.train()
    losses = []
    for x_i, x_j, _ in loader:
        loss = nt_xent(twin(x_i)[1], twin(x_j)[1], 0.5)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert math.isclose(mean, float(np.mean(losses)), rel_tol=1e-9)
    for p, q in zip(model.parameters(), twin.parameters()):
        torch.testing.assert_close(p, q, rtol=1e-9, atol=1e-12)


def test_train_lowers_the_loss_of_a_fixed_batch():
    torch.manual_seed(3)
    model = Model(feature_dim=16)
    x = randn(4, 16, 3, 28, 28, dtype=torch.float32)
    loader = DataLoader(TensorDataset(x, x + 0.1 * randn(5, 16, 3, 28, 28, dtype=torch.float32),
                                      torch.zeros(16, dtype=torch.long)), batch_size=16)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = [train(model, loader, opt, e, 8, 16, 0.5, "cpu") for e in range(1, 9)]
    assert losses[-1] < losses[0] - 0.5, losses


def test_train_weighs_a_short_last_batch_by_its_size():
    torch.manual_seed(6)
    model = Model(feature_dim=8).double()
    frozen = copy.deepcopy(model)
    loader = pair_loader(7, 10, 4)  # batches of 4, 4 and 2
    mean = train(model, loader, torch.optim.SGD(model.parameters(), lr=0.0), 1, 1, 4, 0.5, "cpu")
    frozen.train()
    per_batch = [(nt_xent(frozen(a)[1], frozen(b)[1], 0.5).item(), len(a)) for a, b, _ in loader]
    assert math.isclose(mean, sum(l * n for l, n in per_batch) / 10, rel_tol=1e-9)


# ------------------------------------------------------------------ evaluation

def test_extract_features_in_batches_equals_one_pass_and_restores_the_mode():
    encoder = make_encoder().train()
    x = randn(8, 7, 3, 28, 28, dtype=torch.float32)
    feats = extract_features(encoder, x, batch_size=3)
    assert feats.shape == (7, 128) and encoder.training
    encoder.eval()
    with torch.no_grad():
        torch.testing.assert_close(feats, torch.flatten(encoder(x), 1))


def test_knn_predict_equals_a_brute_force_weighted_vote():
    rng = np.random.RandomState(0)
    train_f, test_f = rng.randn(60, 5), rng.randn(9, 5)
    labels = rng.randint(0, 4, 60)
    pred = knn_predict(torch.tensor(train_f), labels, torch.tensor(test_f), k=7, temperature=0.3, num_classes=4)
    a = train_f / np.linalg.norm(train_f, axis=1, keepdims=True)
    b = test_f / np.linalg.norm(test_f, axis=1, keepdims=True)
    expected = []
    for row in b @ a.T:
        top = np.argsort(-row)[:7]
        votes = np.zeros(4)
        np.add.at(votes, labels[top], np.exp(row[top] / 0.3))
        expected.append(np.argmax(votes))
    np.testing.assert_array_equal(pred, expected)


def test_knn_predict_finds_well_separated_clusters():
    rng = np.random.RandomState(1)
    centres = rng.randn(3, 8) * 5
    labels = np.repeat(np.arange(3), 20)
    train_f = centres[labels] + rng.randn(60, 8) * 0.1
    test_f = centres + rng.randn(3, 8) * 0.1
    np.testing.assert_array_equal(knn_predict(torch.tensor(train_f), labels, torch.tensor(test_f), k=10,
                                              num_classes=3), [0, 1, 2])


def test_few_label_indices_are_balanced_distinct_and_seeded():
    labels = np.random.RandomState(2).randint(0, 10, 1000)
    idx = few_label_indices(labels, 5, seed=0)
    assert idx.shape == (50,) and len(np.unique(idx)) == 50
    assert np.all(np.bincount(labels[idx], minlength=10) == 5)
    np.testing.assert_array_equal(idx, few_label_indices(labels, 5, seed=0))
    assert not np.array_equal(idx, few_label_indices(labels, 5, seed=1))


def test_linear_probe_equals_logistic_regression_on_the_standardized_features():
    from sklearn.linear_model import LogisticRegression

    encoder = make_encoder().eval()
    x = randn(10, 40, 3, 28, 28, dtype=torch.float32)
    y = np.arange(40) % 4
    probe = linear_probe(encoder, x, y, C=0.5, num_classes=4)
    with torch.no_grad():
        h = torch.flatten(encoder(x), 1).double().numpy()
    h = (h - h.mean(0)) / (h.std(0) + 1e-6)
    expected = LogisticRegression(C=0.5, max_iter=5000).fit(h, y).predict(h)
    np.testing.assert_array_equal(predict(probe, x), expected)
    assert not any(p.requires_grad for p in probe.encoder.parameters())


def test_linear_probe_never_predicts_a_class_it_has_not_seen():
    encoder = make_encoder().eval()
    x = randn(11, 30, 3, 28, 28, dtype=torch.float32)
    probe = linear_probe(encoder, x[:20], np.arange(20) % 3, num_classes=10)
    assert set(predict(probe, x)) <= {0, 1, 2}


def test_train_supervised_fits_a_small_labeled_set():
    torch.manual_seed(12)
    model = Classifier(make_encoder(), 3)
    y = np.arange(30) % 3
    x = 0.5 * randn(13, 30, 3, 28, 28, dtype=torch.float32)
    for i, c in enumerate(y):  # class c: a bright square in the c-th third of the image
        x[i, :, 10:18, 9 * c:9 * c + 9] += 3
    history = train_supervised(model, x, y, epochs=40, lr=3e-3, batch_size=10, seed=0)
    assert len(history) == 40 and history[-1] < 0.1 * history[0]
    assert np.mean(predict(model, x) == y) == 1.0
    assert not model.training


def test_predict_returns_the_argmax_of_the_scores():
    model = nn.Linear(6, 4)
    x = randn(14, 9, 6, dtype=torch.float32)
    np.testing.assert_array_equal(predict(model, x, batch_size=4), model(x).argmax(1).numpy())
