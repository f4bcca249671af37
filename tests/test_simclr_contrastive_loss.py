"""The SimCLR loss (cs231n/simclr/contrastive_loss.py) against independent formulations.

The references here are written differently from the package: the loss as a
cross-entropy over the rows of the similarity matrix with the diagonal set to
-inf, and the similarities with NumPy.
"""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cs231n.simclr.contrastive_loss import (compute_sim_matrix, sim, sim_positive_pairs, simclr_loss_naive,
                                            simclr_loss_vectorized)


def randn(seed, *shape):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def batches(seed, N, D):
    """Two (N, D) float64 batches with rows of unequal length."""
    scale = 0.3 + 3 * randn(seed + 2, N, 1).abs()
    left = randn(seed, N, D) * scale
    return left, 0.5 * left + randn(seed + 1, N, D)


def nt_xent_cross_entropy(left, right, tau):
    """NT-Xent as the mean cross-entropy of each view's row, the view itself excluded, the positive the target."""
    N = left.shape[0]
    z = F.normalize(torch.cat([left, right]), dim=1)
    logits = (z @ z.T / tau).masked_fill(torch.eye(2 * N, dtype=torch.bool), float("-inf"))
    targets = torch.cat([torch.arange(N, 2 * N), torch.arange(N)])
    return F.cross_entropy(logits, targets)


def nt_xent_numpy(left, right, tau):
    """The formula of the notebook, term by term, in NumPy."""
    z = np.concatenate([left, right])
    z = z / np.linalg.norm(z, axis=1, keepdims=True)
    N, total = left.shape[0], 0.0
    for i in range(2 * N):
        j = (i + N) % (2 * N)
        others = [m for m in range(2 * N) if m != i]
        total -= np.log(np.exp(z[i] @ z[j] / tau) / np.sum(np.exp(z[others] @ z[i] / tau)))
    return total / (2 * N)


# ------------------------------------------------------------------ sim

def test_sim_is_the_cosine_similarity():
    a, b = randn(0, 7), randn(1, 7)
    expected = a.numpy() @ b.numpy() / (np.linalg.norm(a.numpy()) * np.linalg.norm(b.numpy()))
    out = sim(a, b)
    assert out.shape == ()
    assert math.isclose(float(out), expected, rel_tol=1e-12)


def test_sim_ignores_lengths_and_is_one_for_parallel_vectors():
    a = randn(2, 5)
    assert math.isclose(float(sim(a, 3 * a)), 1.0, rel_tol=1e-12)
    assert math.isclose(float(sim(a, -0.2 * a)), -1.0, rel_tol=1e-12)
    assert math.isclose(float(sim(10 * a, randn(3, 5))), float(sim(a, randn(3, 5))), rel_tol=1e-12)


# ------------------------------------------------------------------ similarity matrices

def test_sim_positive_pairs_shape_and_values():
    left, right = batches(10, 6, 4)
    out = sim_positive_pairs(left, right)
    assert out.shape == (6, 1)
    expected = [float(F.cosine_similarity(left[k], right[k], dim=0)) for k in range(6)]
    np.testing.assert_allclose(out[:, 0].numpy(), expected, rtol=1e-12)


def test_compute_sim_matrix_is_symmetric_with_unit_diagonal():
    left, right = batches(20, 5, 3)
    out = torch.cat([left, right])
    m = compute_sim_matrix(out)
    assert m.shape == (10, 10)
    z = out.numpy() / np.linalg.norm(out.numpy(), axis=1, keepdims=True)
    np.testing.assert_allclose(m.numpy(), z @ z.T, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(np.diag(m.numpy()), 1.0, rtol=1e-12)


def test_positive_pairs_are_the_off_diagonal_blocks_of_the_matrix():
    left, right = batches(30, 4, 6)
    m = compute_sim_matrix(torch.cat([left, right]))
    pos = sim_positive_pairs(left, right)[:, 0]
    np.testing.assert_allclose(torch.diagonal(m, offset=4).numpy(), pos.numpy(), rtol=1e-12)
    np.testing.assert_allclose(torch.diagonal(m, offset=-4).numpy(), pos.numpy(), rtol=1e-12)


# ------------------------------------------------------------------ the loss

@pytest.mark.parametrize("tau", [0.05, 0.5, 1.0, 3.0])
@pytest.mark.parametrize("N,D", [(1, 3), (4, 6), (9, 2)])
def test_naive_and_vectorized_losses_equal_the_independent_references(N, D, tau):
    left, right = batches(40 + N, N, D)
    expected = float(nt_xent_cross_entropy(left, right, tau))
    assert math.isclose(expected, nt_xent_numpy(left.numpy(), right.numpy(), tau), rel_tol=1e-10)
    assert math.isclose(float(simclr_loss_naive(left, right, tau)), expected, rel_tol=1e-10)
    assert math.isclose(float(simclr_loss_vectorized(left, right, tau, "cpu")), expected, rel_tol=1e-10)


def test_the_loss_does_not_count_a_view_against_itself():
    """Including k = i in the denominator would add exp(1 / tau) to every sum: a different value."""
    left, right = batches(50, 5, 4)
    tau = 0.5
    z = F.normalize(torch.cat([left, right]), dim=1)
    logits = z @ z.T / tau
    with_self = F.cross_entropy(logits, torch.cat([torch.arange(5, 10), torch.arange(5)]))
    loss = simclr_loss_vectorized(left, right, tau, "cpu")
    assert abs(float(loss) - float(with_self)) > 0.05
    assert math.isclose(float(loss), float(nt_xent_cross_entropy(left, right, tau)), rel_tol=1e-10)


def test_the_loss_is_symmetric_in_the_two_views_and_invariant_to_lengths():
    left, right = batches(60, 6, 5)
    loss = float(simclr_loss_vectorized(left, right, 0.3, "cpu"))
    assert math.isclose(float(simclr_loss_vectorized(right, left, 0.3, "cpu")), loss, rel_tol=1e-12)
    assert math.isclose(float(simclr_loss_vectorized(4 * left, 0.1 * right, 0.3, "cpu")), loss, rel_tol=1e-10)


def test_identical_well_separated_views_give_a_small_loss_and_random_ones_about_log_2n_minus_1():
    N = 8
    views = torch.eye(N, dtype=torch.float64) * 5  # orthogonal, identical pairs
    assert float(simclr_loss_vectorized(views, views.clone(), 0.1, "cpu")) < 1e-3
    # at a large temperature all similarities look alike: log(2N - 1), the loss of guessing
    left, right = batches(70, N, 16)
    assert math.isclose(float(simclr_loss_vectorized(left, right, 1e4, "cpu")), math.log(2 * N - 1), rel_tol=1e-3)


def test_the_vectorized_gradient_matches_the_reference_and_finite_differences():
    left, right = (t.requires_grad_() for t in batches(80, 4, 3))
    simclr_loss_vectorized(left, right, 0.5, "cpu").backward()
    ref_left, ref_right = (t.detach().clone().requires_grad_() for t in (left, right))
    nt_xent_cross_entropy(ref_left, ref_right, 0.5).backward()
    np.testing.assert_allclose(left.grad.numpy(), ref_left.grad.numpy(), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(right.grad.numpy(), ref_right.grad.numpy(), rtol=1e-9, atol=1e-12)
    assert torch.autograd.gradcheck(lambda a, b: simclr_loss_vectorized(a, b, 0.5, "cpu"),
                                    (left.detach().requires_grad_(), right.detach().requires_grad_()))


def test_float32_inputs_give_a_float32_loss():
    left, right = (t.float() for t in batches(90, 5, 8))
    loss = simclr_loss_vectorized(left, right, 0.5, "cpu")
    assert loss.dtype == torch.float32
    assert math.isclose(float(loss), float(nt_xent_cross_entropy(left.double(), right.double(), 0.5)), rel_tol=1e-5)
