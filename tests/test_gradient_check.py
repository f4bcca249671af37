import numpy as np
import pytest

from cs231n.gradient_check import (
    eval_numerical_gradient,
    eval_numerical_gradient_array,
    grad_check_sparse,
    rel_error,
)


def test_rel_error_known_values():
    assert rel_error(np.array([1.0]), np.array([3.0])) == pytest.approx(0.5)
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0
    # The largest entry wins: |2 - 1| / 3 beats |1 - 1| / 2.
    assert rel_error([1.0, 2.0], [1.0, 1.0]) == pytest.approx(1 / 3)


def test_eval_numerical_gradient_cubic_and_restores_x(rng):
    x = rng.randn(3, 4)
    x0 = x.copy()
    grad = eval_numerical_gradient(lambda z: np.sum(z**3), x, verbose=False)
    assert rel_error(grad, 3 * x0**2) < 1e-8
    np.testing.assert_array_equal(x, x0)


def test_eval_numerical_gradient_verbose_prints(capsys):
    eval_numerical_gradient(lambda z: float(np.sum(z)), np.zeros(2), verbose=True)
    assert capsys.readouterr().out.count("\n") == 2


def test_eval_numerical_gradient_array_contracts_with_df(rng):
    x = rng.randn(2, 3)
    df = rng.randn(2, 3)
    grad = eval_numerical_gradient_array(lambda z: z**2, x, df)
    assert rel_error(grad, 2 * x * df) < 1e-8


def test_eval_numerical_gradient_array_matrix_product(rng):
    # f(x) = x A, so d(sum(f * df))/dx = df A^T.
    A = rng.randn(4, 5)
    x = rng.randn(3, 4)
    df = rng.randn(3, 5)
    grad = eval_numerical_gradient_array(lambda z: z @ A, x, df)
    assert rel_error(grad, df @ A.T) < 1e-8


def test_grad_check_sparse_right_and_wrong_gradients(rng, capsys):
    x = rng.randn(5, 6)
    f = lambda z: np.sum(np.sin(z))  # noqa: E731
    errs = grad_check_sparse(f, x, np.cos(x), num_checks=7, seed=0)
    assert len(errs) == 7
    assert max(errs) < 1e-7
    assert capsys.readouterr().out.count("relative error") == 7

    wrong = grad_check_sparse(f, x, np.cos(x) + 0.1, num_checks=7, seed=0)
    assert min(wrong) > 1e-3


def test_grad_check_sparse_seed_picks_same_coordinates(rng):
    x = rng.randn(10, 10)
    g = rng.randn(10, 10)  # deliberately not the gradient: errors depend on the coordinate
    a = grad_check_sparse(lambda z: np.sum(z), x, g, num_checks=5, seed=3)
    b = grad_check_sparse(lambda z: np.sum(z), x, g, num_checks=5, seed=3)
    assert a == b
