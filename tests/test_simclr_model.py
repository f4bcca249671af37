"""The SimCLR network and the linear classifier on its encoder (cs231n/simclr/model.py)."""
import pytest
import torch
import torch.nn as nn

from cs231n.simclr.model import ENCODER_CHANNELS, FEATURE_CHANNELS, Classifier, Model, make_encoder


@pytest.fixture(autouse=True)
def _one_thread_and_seeded():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        yield
    torch.set_num_threads(threads)


def test_encoder_maps_images_to_one_feature_vector():
    f = make_encoder()
    out = f(torch.randn(3, 3, 28, 28))
    assert out.shape == (3, FEATURE_CHANNELS, 1, 1)
    assert FEATURE_CHANNELS == ENCODER_CHANNELS[-1]
    convs = [m for m in f if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == list(ENCODER_CHANNELS)


def test_a_unit_of_the_last_map_sees_a_whole_digit():
    """The receptive field of the last convolution is large: every unit of the 4x4 map depends on a span
    of more than 18 rows and 18 columns of the 28x28 image (a digit is 12 to 18 pixels wide)."""
    f = make_encoder().eval()
    f = nn.Sequential(*list(f)[:-1])  # the last map, before the average pool
    for unit in ((0, 0), (1, 2), (3, 3)):
        x = torch.randn(1, 3, 28, 28, requires_grad=True)
        f(x)[0, :, unit[0], unit[1]].sum().backward()
        grad = x.grad[0].abs().sum(dim=0)
        for axis in (0, 1):
            seen = torch.nonzero(grad.sum(dim=axis)).flatten()
            assert seen.max() - seen.min() + 1 > 18, (unit, axis, seen)


def test_model_returns_unit_length_feature_and_projection():
    m = Model(feature_dim=32)
    feature, out = m(torch.randn(5, 3, 28, 28))
    assert feature.shape == (5, FEATURE_CHANNELS) and out.shape == (5, 32)
    torch.testing.assert_close(feature.norm(dim=1), torch.ones(5))
    torch.testing.assert_close(out.norm(dim=1), torch.ones(5))
    assert isinstance(m.f, nn.Sequential) and isinstance(m.g, nn.Sequential)


def test_model_is_small_enough_to_ship():
    params = sum(p.numel() for p in Model().parameters())
    assert params * 4 < 2 * 2**20, params


def test_classifier_trains_its_encoder_unless_frozen():
    x, y = torch.randn(8, 3, 28, 28), torch.randint(0, 10, (8,))
    for freeze in (False, True):
        encoder = make_encoder()
        clf = Classifier(encoder, 10, freeze=freeze).train()
        assert clf(x).shape == (8, 10)
        assert encoder.training != freeze  # a frozen encoder stays in eval mode
        nn.functional.cross_entropy(clf(x), y).backward()
        grads = [p.grad for p in encoder.parameters()]
        assert all(g is None for g in grads) == freeze
        assert clf.fc.weight.grad is not None


def test_classifier_standardizes_features_with_the_given_statistics():
    encoder = make_encoder().eval()
    x = torch.randn(4, 3, 28, 28)
    h = torch.flatten(encoder(x), 1).detach()
    mean, std = h.mean(0), h.std(0) + 1
    clf = Classifier(encoder, 10, freeze=True, feature_mean=mean, feature_std=std)
    torch.testing.assert_close(clf.features(x), (h - mean) / std)
