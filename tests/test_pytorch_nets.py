import math

import numpy as np
import pytest
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

from cs231n.classifiers.pytorch_nets import (ThreeLayerConvNet, TwoLayerFC, check_accuracy_part2,
                                             check_accuracy_part34, flatten, random_weight, three_layer_convnet,
                                             train_part2, train_part34, two_layer_fc, zero_weight)


@pytest.fixture(autouse=True)
def _one_thread_and_seeded():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        yield
    torch.set_num_threads(threads)


def randn(seed, *shape):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def conv2d_loops(x, w, b, pad):
    """Stride-1 zero-padded convolution (cross-correlation) written with loops, in NumPy."""
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    Ho, Wo = H + 2 * pad - HH + 1, W + 2 * pad - WW + 1
    out = np.zeros((N, F, Ho, Wo))
    for n in range(N):
        for f in range(F):
            for i in range(Ho):
                for j in range(Wo):
                    out[n, f, i, j] = np.sum(xp[n, :, i:i + HH, j:j + WW] * w[f]) + b[f]
    return out


def relu(a):
    return np.maximum(a, 0)


# ------------------------------------------------------------------ flatten

def test_flatten_keeps_the_batch_and_c_order():
    x = torch.arange(24.0).reshape(2, 3, 2, 2)
    out = flatten(x)
    assert out.shape == (2, 12)
    np.testing.assert_array_equal(out.numpy(), np.arange(24.0).reshape(2, 12))


def test_flatten_of_a_single_example_and_of_flat_input():
    assert flatten(torch.zeros(1, 3, 4)).shape == (1, 12)
    x = randn(0, 5, 7)
    assert torch.equal(flatten(x), x)


# ------------------------------------------------------------------ barebones networks

def test_two_layer_fc_matches_numpy():
    x, w1, w2 = randn(1, 4, 2, 3), randn(2, 6, 5), randn(3, 5, 3)
    expected = relu(x.numpy().reshape(4, 6) @ w1.numpy()) @ w2.numpy()
    np.testing.assert_allclose(two_layer_fc(x, [w1, w2]).numpy(), expected, rtol=1e-12)


def test_two_layer_fc_hand_computed():
    # x = [1, -2]: hidden pre-activations x w1 = [-1, -7, 1], after the ReLU [0, 0, 1]
    x = torch.tensor([[1.0, -2.0]], dtype=torch.float64)
    w1 = torch.tensor([[1.0, -1.0, 2.0], [1.0, 3.0, 0.5]], dtype=torch.float64)
    w2 = torch.tensor([[5.0], [7.0], [3.0]], dtype=torch.float64)
    assert two_layer_fc(x, [w1, w2]).item() == 3.0  # only the third unit is active: 1 * 3


def test_two_layer_fc_gradients_match_finite_differences():
    x = randn(4, 3, 2, 2)
    w1 = randn(5, 4, 6).requires_grad_()
    w2 = randn(6, 6, 3).requires_grad_()
    assert torch.autograd.gradcheck(lambda a, b: two_layer_fc(x, [a, b]), (w1, w2))


def _conv_params(seed, C, F1, F2, H, W, K):
    return [randn(seed, F1, C, 5, 5) * 0.3, randn(seed + 1, F1), randn(seed + 2, F2, F1, 3, 3) * 0.3,
            randn(seed + 3, F2), randn(seed + 4, F2 * H * W, K) * 0.1, randn(seed + 5, K)]


def test_three_layer_convnet_matches_loops():
    N, C, H, W, F1, F2, K = 2, 3, 5, 6, 4, 2, 3
    x = randn(10, N, C, H, W)
    params = _conv_params(11, C, F1, F2, H, W, K)
    p = [t.numpy() for t in params]
    h1 = relu(conv2d_loops(x.numpy(), p[0], p[1], pad=2))
    h2 = relu(conv2d_loops(h1, p[2], p[3], pad=1))
    expected = h2.reshape(N, -1) @ p[4] + p[5]
    out = three_layer_convnet(x, params)
    assert out.shape == (N, K)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10, atol=1e-12)


def test_three_layer_convnet_gradients_match_finite_differences():
    C, H, W = 2, 4, 3
    x = randn(20, 2, C, H, W)
    params = [t.requires_grad_() for t in _conv_params(21, C, 3, 2, H, W, 2)]
    assert torch.autograd.gradcheck(lambda *ps: three_layer_convnet(x, list(ps)), tuple(params))


# ------------------------------------------------------------------ initialisation

@pytest.mark.parametrize("shape, fan_in", [((800, 100), 800), ((100, 800), 100), ((64, 16, 3, 3), 144),
                                           ((32, 4, 5, 5), 100), ((20, 8, 7), 56)])
def test_random_weight_is_kaiming_normal_for_its_layout(shape, fan_in):
    w = random_weight(shape)
    assert w.shape == shape and w.dtype == torch.float32
    assert w.requires_grad and w.is_leaf
    values = w.detach().double().numpy()
    std = math.sqrt(2.0 / fan_in)
    assert abs(values.std() / std - 1) < 0.05
    assert abs(values.mean()) < 5 * std / math.sqrt(values.size)


def test_random_weight_follows_torch_manual_seed():
    torch.manual_seed(3)
    a = random_weight((10, 4))
    torch.manual_seed(3)
    b = random_weight((10, 4))
    assert torch.equal(a, b)
    assert not torch.equal(a, random_weight((10, 4)))


@pytest.mark.parametrize("shape", [(5,), (0, 3), ()])
def test_random_weight_rejects_bad_shapes(shape):
    with pytest.raises(ValueError, match="shape"):
        random_weight(shape)


def test_zero_weight():
    b = zero_weight((3, 2))
    assert b.shape == (3, 2) and b.dtype == torch.float32 and b.requires_grad and b.is_leaf
    assert torch.count_nonzero(b) == 0
    assert zero_weight((7,)).shape == (7,)


# ------------------------------------------------------------------ nn.Module networks

def _shapes(model):
    return sorted(tuple(p.shape) for p in model.parameters())


def test_two_layer_fc_module_parameters_and_init():
    model = TwoLayerFC(1000, 400, 10)
    assert _shapes(model) == sorted([(400, 1000), (400,), (10, 400), (10,)])
    for p in model.parameters():
        if p.dim() == 1:
            assert torch.count_nonzero(p) == 0
        else:
            assert abs(p.detach().std().item() / math.sqrt(2.0 / p.shape[1]) - 1) < 0.05


def test_two_layer_fc_module_forward_matches_numpy():
    model = TwoLayerFC(12, 5, 3).double()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(randn(p.numel(), *p.shape))
    x = randn(30, 4, 3, 2, 2)
    layers = [m for m in model.modules() if isinstance(m, nn.Linear)]
    assert len(layers) == 2
    first, second = sorted(layers, key=lambda m: m.in_features != 12)
    W1, b1 = first.weight.detach().numpy(), first.bias.detach().numpy()
    W2, b2 = second.weight.detach().numpy(), second.bias.detach().numpy()
    expected = relu(x.numpy().reshape(4, 12) @ W1.T + b1) @ W2.T + b2
    np.testing.assert_allclose(model(x).detach().numpy(), expected, rtol=1e-10)


def test_three_layer_convnet_module_parameters_and_init():
    model = ThreeLayerConvNet(3, 32, 16, 10, image_size=(20, 12))
    assert _shapes(model) == sorted([(32, 3, 5, 5), (32,), (16, 32, 3, 3), (16,), (10, 16 * 20 * 12), (10,)])
    for p in model.parameters():
        if p.dim() == 1:
            assert torch.count_nonzero(p) == 0
        else:
            fan_in = int(np.prod(p.shape[1:]))
            assert abs(p.detach().std().item() / math.sqrt(2.0 / fan_in) - 1) < 0.05
    assert _shapes(ThreeLayerConvNet(1, 2, 3, 4, image_size=9))[-1] == (4, 3 * 9 * 9)


def test_three_layer_convnet_module_matches_the_functional_version():
    C, H, W = 2, 7, 5
    model = ThreeLayerConvNet(C, 4, 3, 6, image_size=(H, W)).double()
    with torch.no_grad():
        for i, p in enumerate(model.parameters()):
            p.copy_(randn(40 + i, *p.shape) * 0.3)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    fc = next(m for m in model.modules() if isinstance(m, nn.Linear))
    conv1, conv2 = sorted(convs, key=lambda m: m.kernel_size[0], reverse=True)
    params = [conv1.weight, conv1.bias, conv2.weight, conv2.bias, fc.weight.t(), fc.bias]
    x = randn(50, 3, C, H, W)
    p = [t.detach().numpy() for t in params]
    hidden = relu(conv2d_loops(relu(conv2d_loops(x.numpy(), p[0], p[1], 2)), p[2], p[3], 1))
    expected = hidden.reshape(3, -1) @ p[4] + p[5]
    np.testing.assert_allclose(model(x).detach().numpy(), expected, rtol=1e-10, atol=1e-12)


def test_gradients_reach_every_parameter_of_the_modules():
    for model, x in [(TwoLayerFC(12, 5, 3), torch.randn(4, 3, 2, 2)),
                     (ThreeLayerConvNet(3, 4, 5, 2, image_size=6), torch.randn(2, 3, 6, 6))]:
        model(x).sum().backward()
        for name, p in model.named_parameters():
            assert p.grad is not None and torch.count_nonzero(p.grad) > 0, name


# ------------------------------------------------------------------ accuracy and training loops

class PickFirstFeature(nn.Module):
    """Scores (N, 2): [-x0, x0], so the prediction is 1 exactly where x0 > 0."""

    def forward(self, x):
        x0 = flatten(x)[:, :1]
        return torch.cat([-x0, x0], dim=1)


def _labelled_loader():
    x = torch.tensor([[1.0], [2.0], [-1.0], [-3.0], [4.0]])
    y = torch.tensor([1, 1, 0, 1, 0])  # 3 of 5 right for PickFirstFeature
    return DataLoader(TensorDataset(x, y), batch_size=2)


def test_check_accuracy_counts_every_example(capsys):
    loader = _labelled_loader()
    assert check_accuracy_part34(loader, PickFirstFeature()) == pytest.approx(0.6)
    assert check_accuracy_part2(loader, lambda x, params: PickFirstFeature()(x), []) == pytest.approx(0.6)
    assert "3 / 5" in capsys.readouterr().out


def _blobs(n=400, seed=0):
    """Two well separated Gaussian classes in 2-D, shaped as (N, 1, 1, 2) images."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 2
    x = torch.randn(n, 1, 1, 2, generator=g) + (2.0 * y - 1.0).view(-1, 1, 1, 1) * 2.0
    return DataLoader(TensorDataset(x, y), batch_size=32, shuffle=True, generator=torch.Generator().manual_seed(0))


def test_train_part2_learns_and_leaves_no_stale_gradients(capsys):
    loader = _blobs()
    params = [random_weight((2, 16)), random_weight((16, 2))]
    history = train_part2(two_layer_fc, params, 0.05, loader, epochs=3, print_every=1000)
    assert len(history) == 3 * len(loader)
    assert np.mean(history[-5:]) < 0.5 * np.mean(history[:5])
    assert all(torch.count_nonzero(p.grad) == 0 for p in params)
    assert check_accuracy_part2(loader, two_layer_fc, params) > 0.95


def test_train_part34_learns_and_reports():
    loader = _blobs()
    model = TwoLayerFC(2, 16, 2)
    history = train_part34(model, torch.optim.SGD(model.parameters(), lr=0.05), loader, loader, epochs=2,
                           progress=False)
    assert len(history["loss"]) == 2 * len(loader) and len(history["val_acc"]) == 2
    assert history["val_acc"][-1] > 0.95
    assert not model.training


def test_train_part34_stops_at_its_time_budget(capsys):
    loader = _blobs()
    model = TwoLayerFC(2, 4, 2)
    history = train_part34(model, torch.optim.SGD(model.parameters(), lr=0.01), loader, epochs=5, max_seconds=0,
                           progress=False)
    assert len(history["loss"]) == 1  # every iteration ends after a budget of 0 s
    assert "time budget" in capsys.readouterr().out


def test_train_part34_trains_in_train_mode():
    modes = []

    class Spy(TwoLayerFC):
        def forward(self, x):
            modes.append(self.training)
            return super().forward(x)

    loader = _blobs(64)
    model = Spy(2, 4, 2)
    model.eval()
    train_part34(model, torch.optim.SGD(model.parameters(), lr=0.01), loader, loader, epochs=2, progress=False)
    assert modes[:2] == [True, True] and modes.count(False) == 2 * 2  # the 2 validation batches of each epoch


def test_train_part34_steps_the_scheduler_every_iteration():
    loader = _blobs(96)  # 3 batches of 32
    model = TwoLayerFC(2, 4, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=1.0)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    train_part34(model, optimizer, loader, epochs=2, scheduler=scheduler, progress=False)
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.5 ** 6)


def test_train_part34_rejects_zero_epochs():
    model = TwoLayerFC(2, 4, 2)
    with pytest.raises(ValueError, match="epochs"):
        train_part34(model, torch.optim.SGD(model.parameters(), lr=0.1), _blobs(32), epochs=0)
