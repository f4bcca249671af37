"""Time the fast (im2col) convolution and max pooling against slower baselines.

Run: ``python benchmarks/bench_conv.py``. For each shape, in float32 as the
networks train, forward + backward:

1. fast conv vs the naive layers of ``cs231n.layers`` (goal: >= 100x), and,
   for scale, vs plain loops over examples, filters and output pixels (the
   textbook first version, timed on one example and scaled per example,
   for the first shape only);
2. fast conv vs ``torch.nn.functional.conv2d`` on one CPU thread (goal: at
   most 3x torch's time);
3. fast conv GFLOP/s, counting ``2 * N * F * H' * W' * C * HH * WW`` per
   matrix product and three products for forward + backward, against one
   plain numpy matrix product of the forward's size (goal: >= 50% of it);
4. fast vs naive max pooling, on the exact-tiling path (2x2, stride 2) and
   the strided path (3x3, stride 2).

Every baseline is measured in the same run, and every result is compared
with the fast layers' ("rel. diff": largest difference over the largest
entry, for out, dx, dw, db).
"""

import os

from timing import best_of  # noqa: I001  (sets the BLAS threads before numpy loads)

import numpy as np
import torch
from cs231n.fast_layers import (
    conv_backward_fast,
    conv_forward_fast,
    max_pool_backward_fast,
    max_pool_forward_fast,
)
from cs231n.layers import (
    conv_backward_naive,
    conv_forward_naive,
    max_pool_backward_naive,
    max_pool_forward_naive,
)

DTYPE = np.float32
# name, x shape (N, C, H, W), w shape (F, C, HH, WW), pad, whether to time
# the per-pixel loops (about a minute each on a busy machine); stride 1.
CONV_CASES = [
    ("ThreeLayerConvNet, 28x28 RGB", (50, 3, 28, 28), (32, 3, 7, 7), 3, True),
    ("ThreeLayerConvNet, CIFAR-10", (50, 3, 32, 32), (32, 3, 7, 7), 3, False),
    ("CIFAR-10, inner 3x3 layer", (50, 32, 16, 16), (64, 32, 3, 3), 1, False),
]
# The naive layers are timed on at most this many examples and scaled per
# example; the shapes above fit, so they run on the whole batch.
NAIVE_MAX_BATCH = 50
# The per-pixel loops take seconds per example.
LOOPS_BATCH = 1
POOL_CASES = [
    ("2x2 stride 2 (reshape path)", (50, 32, 28, 28), {"pool_height": 2, "pool_width": 2, "stride": 2}),
    ("3x3 stride 2 (strided path)", (50, 32, 28, 28), {"pool_height": 3, "pool_width": 3, "stride": 2}),
]


def goal(met):
    return "met" if met else "NOT met"


def rel_diff(a, b):
    """Largest difference relative to the largest entry of ``b``."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-30))


def rel_diffs(results, reference):
    return " ".join(f"{rel_diff(r, ref):.0e}" for r, ref in zip(results, reference))


def conv_fast(x, w, b, conv_param, dout):
    out, cache = conv_forward_fast(x, w, b, conv_param)
    return (out, *conv_backward_fast(dout, cache))


def conv_naive(x, w, b, conv_param, dout):
    out, cache = conv_forward_naive(x, w, b, conv_param)
    return (out, *conv_backward_naive(dout, cache))


def conv_torch(x, w, b, conv_param, dout):
    xt, wt, bt = (torch.from_numpy(a).requires_grad_() for a in (x, w, b))
    out = torch.nn.functional.conv2d(
        xt, wt, bt, stride=conv_param["stride"], padding=conv_param["pad"]
    )
    out.backward(torch.from_numpy(dout))
    return out.detach().numpy(), xt.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()


def conv_loops(x, w, b, conv_param, dout):
    """Forward and backward with a Python loop over every (n, f, i, j)."""
    stride, pad = conv_param["stride"], conv_param["pad"]
    _, _, H, W = x.shape
    F, _, HH, WW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros(dout.shape, dtype=x.dtype)
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    for n in range(x.shape[0]):
        for f in range(F):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    rows = slice(i * stride, i * stride + HH)
                    cols = slice(j * stride, j * stride + WW)
                    out[n, f, i, j] = np.sum(xp[n, :, rows, cols] * w[f]) + b[f]
                    dw[f] += dout[n, f, i, j] * xp[n, :, rows, cols]
                    dxp[n, :, rows, cols] += dout[n, f, i, j] * w[f]
    return out, dxp[:, :, pad:pad + H, pad:pad + W], dw, dout.sum(axis=(0, 2, 3))


def pool_fast(x, pool_param, dout):
    out, cache = max_pool_forward_fast(x, pool_param)
    return out, max_pool_backward_fast(dout, cache)


def pool_naive(x, pool_param, dout):
    out, cache = max_pool_forward_naive(x, pool_param)
    return out, max_pool_backward_naive(dout, cache)


def pool_torch(x, pool_param, dout):
    xt = torch.from_numpy(x).requires_grad_()
    out = torch.nn.functional.max_pool2d(
        xt, (pool_param["pool_height"], pool_param["pool_width"]), stride=pool_param["stride"]
    )
    out.backward(torch.from_numpy(dout))
    return out.detach().numpy(), xt.grad.numpy()


def print_table(rows, t_fast):
    """rows: (implementation, seconds, rel. diffs to fast or '')."""
    print(f"{'implementation':<30}{'fwd+bwd s':>11}{'fast is':>10}   rel. diff")
    for name, seconds, diffs in rows:
        print(f"{name:<30}{seconds:>11.4f}{seconds / t_fast:>9.2f}x   {diffs}")


def bench_conv(name, x_shape, w_shape, pad, time_loops, rng):
    x = rng.randn(*x_shape).astype(DTYPE)
    w = (rng.randn(*w_shape) / np.sqrt(np.prod(w_shape[1:]))).astype(DTYPE)
    b = rng.randn(w_shape[0]).astype(DTYPE)
    conv_param = {"stride": 1, "pad": pad}
    N, C, H, W = x_shape
    F, _, HH, WW = w_shape
    H_out, W_out = 1 + H + 2 * pad - HH, 1 + W + 2 * pad - WW
    dout = rng.randn(N, F, H_out, W_out).astype(DTYPE)
    print(f"\n== conv, {name}: x {x_shape}, w {w_shape}, pad {pad}, stride 1, {np.dtype(DTYPE).name}")

    t_fast, fast = best_of(lambda: conv_fast(x, w, b, conv_param, dout), 10)
    rows = [("fast (im2col)", t_fast, "")]

    n = min(N, NAIVE_MAX_BATCH)
    t_naive, naive = best_of(lambda: conv_naive(x[:n], w, b, conv_param, dout[:n]), 2)
    t_naive *= N / n
    label = "naive" if n == N else f"naive ({n} examples, x{N / n:g})"
    rows.append((label, t_naive, rel_diffs(conv_fast(x[:n], w, b, conv_param, dout[:n]), naive)))

    if time_loops:
        m = min(N, LOOPS_BATCH)
        t_loops, loops = best_of(lambda: conv_loops(x[:m], w, b, conv_param, dout[:m]), 1)
        t_loops *= N / m
        rows.append((f"loops ({m} example, x{N / m:g})", t_loops,
                     rel_diffs(conv_fast(x[:m], w, b, conv_param, dout[:m]), loops)))

    t_torch, reference = best_of(lambda: conv_torch(x, w, b, conv_param, dout), 10)
    rows.append(("torch conv2d (1 thread)", t_torch, rel_diffs(fast, reference)))

    # One plain matrix product of the forward's size, as a ceiling.
    K, M = C * HH * WW, N * H_out * W_out
    a = rng.randn(F, K).astype(DTYPE)
    cols = rng.randn(K, M).astype(DTYPE)
    t_matmul, _ = best_of(lambda: a @ cols, 10)
    gflops_fast = 3 * 2 * F * K * M / t_fast / 1e9
    gflops_matmul = 2 * F * K * M / t_matmul / 1e9
    efficiency = gflops_fast / gflops_matmul

    print_table(rows, t_fast)
    speedup = t_naive / t_fast
    loops_note = f"; vs per-pixel loops: {t_loops / t_fast:.0f}x" if time_loops else ""
    print(f"(1) fast vs naive: {speedup:.1f}x (goal >= 100x: {goal(speedup >= 100)}){loops_note}")
    ratio = t_fast / t_torch
    print(f"(2) fast takes {ratio:.2f}x torch's time (goal <= 3x: {goal(ratio <= 3)})")
    print(f"(3) fast conv {gflops_fast:.1f} GFLOP/s vs numpy matmul ({F}x{K} @ {K}x{M}) "
          f"{gflops_matmul:.1f} GFLOP/s: {100 * efficiency:.0f}% "
          f"(goal >= 50%: {goal(efficiency >= 0.5)})")


def bench_pool(name, x_shape, pool_param, rng):
    x = rng.randn(*x_shape).astype(DTYPE)
    out, _ = max_pool_forward_fast(x, pool_param)
    dout = rng.randn(*out.shape).astype(DTYPE)
    print(f"\n== max pool {name}: x {x_shape}")
    t_fast, fast = best_of(lambda: pool_fast(x, pool_param, dout), 10)
    t_naive, naive = best_of(lambda: pool_naive(x, pool_param, dout), 2)
    rows = [("fast", t_fast, ""), ("naive", t_naive, rel_diffs(fast, naive))]
    t_torch, reference = best_of(lambda: pool_torch(x, pool_param, dout), 10)
    rows.append(("torch max_pool2d (1 thread)", t_torch, rel_diffs(fast, reference)))
    print_table(rows, t_fast)
    print(f"(4) fast vs naive max pool: {t_naive / t_fast:.1f}x")


def main():
    rng = np.random.RandomState(0)
    print(f"BLAS threads: {os.environ['OPENBLAS_NUM_THREADS']}")
    # Other processes slow the memory-bound parts (im2col, col2im) more than
    # the matrix products, so the figures are only comparable at low load.
    print(f"load average (1 min): {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    torch.set_num_threads(1)
    print(f"torch {torch.__version__}, threads: {torch.get_num_threads()}")
    for name, x_shape, w_shape, pad, time_loops in CONV_CASES:
        bench_conv(name, x_shape, w_shape, pad, time_loops, rng)
    for name, x_shape, pool_param in POOL_CASES:
        bench_pool(name, x_shape, pool_param, rng)


if __name__ == "__main__":
    main()
