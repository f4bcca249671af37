"""The SimCLR network: an encoder f and a projection head g.

``Model`` follows the layout of CS231n's SimCLR model, sized for 28x28
images on one CPU core: the encoder ``f`` is a small convolutional network
whose global average pool gives a feature vector h of ``FEATURE_CHANNELS``
numbers (the representation used after pretraining), and the head ``g`` is
the two-layer MLP of SimCLR that maps h to the vector z the contrastive loss
compares. ``Classifier`` puts a linear layer on an encoder, for the
supervised baseline and the linear probe.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

#: Output channels of the encoder's four convolutions; the last is the size of h.
ENCODER_CHANNELS = (16, 32, 64, 128)
FEATURE_CHANNELS = ENCODER_CHANNELS[-1]


def make_encoder(in_channels=3, channels=ENCODER_CHANNELS):
    """The encoder f: conv - batchnorm - relu blocks with 2x2 max pools between them, then a global average pool.

    On a 28x28 image the maps are 28, 14, 7 and 4 pixels wide (the last
    pool rounds up), and a unit of the last convolution sees a window of up
    to 38x38 pixels: a whole digit and what surrounds it. (Three convolutions with strides 1, 2, 2 and
    no pools see only 9x9 patches, smaller than a digit; the average pool
    then throws away where each patch was, and the features cannot tell the
    digits apart.)

    Parameters
    ----------
    in_channels : int
        Channels of the input images.
    channels : tuple of int
        Output channels of each 3x3 convolution.

    Returns
    -------
    f : nn.Sequential
        Maps images (N, in_channels, H, W) to (N, channels[-1], 1, 1).
    """
    layers, c_in = [], in_channels
    for i, c_out in enumerate(channels):
        if i > 0:
            layers.append(nn.MaxPool2d(2, ceil_mode=True))
        layers += [nn.Conv2d(c_in, c_out, kernel_size=3, padding=1, bias=False), nn.BatchNorm2d(c_out),
                   nn.ReLU(inplace=True)]
        c_in = c_out
    layers.append(nn.AdaptiveAvgPool2d(1))
    return nn.Sequential(*layers)


class Model(nn.Module):
    """SimCLR's encoder f and projection head g.

    Parameters
    ----------
    feature_dim : int
        Size of the projection z = g(h).
    """

    def __init__(self, feature_dim=128):
        super().__init__()
        self.f = make_encoder()
        self.g = nn.Sequential(nn.Linear(FEATURE_CHANNELS, 128, bias=False), nn.BatchNorm1d(128),
                               nn.ReLU(inplace=True), nn.Linear(128, feature_dim, bias=True))

    def forward(self, x):
        """
        Parameters
        ----------
        x : torch.Tensor, shape (N, 3, H, W)
            Normalized images.

        Returns
        -------
        feature : torch.Tensor, shape (N, FEATURE_CHANNELS)
            The representation h = f(x), scaled to unit length.
        out : torch.Tensor, shape (N, feature_dim)
            The projection z = g(h), scaled to unit length.
        """
        x = self.f(x)
        feature = torch.flatten(x, start_dim=1)
        out = self.g(feature)
        return F.normalize(feature, dim=-1), F.normalize(out, dim=-1)


class Classifier(nn.Module):
    """A linear classifier on an encoder's features: scores = W h + b.

    Parameters
    ----------
    encoder : nn.Module
        Maps images (N, 3, H, W) to features of ``in_features`` numbers
        (any shape that flattens to (N, in_features)).
    num_classes : int
    in_features : int
    freeze : bool
        If True, the encoder stays in eval mode and gets no gradient (a
        linear probe); else it trains with the linear layer.
    feature_mean, feature_std : torch.Tensor of shape (in_features,) or None
        If given, features are standardized, (h - mean) / std, before the
        linear layer (the statistics a probe was fit with).
    """

    def __init__(self, encoder, num_classes=10, in_features=FEATURE_CHANNELS, freeze=False,
                 feature_mean=None, feature_std=None):
        super().__init__()
        self.encoder = encoder
        self.freeze = freeze
        self.fc = nn.Linear(in_features, num_classes)
        if freeze:
            for p in self.encoder.parameters():
                p.requires_grad_(False)
        self.register_buffer("feature_mean", torch.zeros(in_features) if feature_mean is None
                             else torch.as_tensor(feature_mean, dtype=torch.float32))
        self.register_buffer("feature_std", torch.ones(in_features) if feature_std is None
                             else torch.as_tensor(feature_std, dtype=torch.float32))

    def train(self, mode=True):
        super().train(mode)
        if self.freeze:  # a frozen encoder keeps its batchnorm statistics
            self.encoder.eval()
        return self

    def features(self, x):
        """Standardized features h of images x (N, 3, H, W): (N, in_features)."""
        h = torch.flatten(self.encoder(x), start_dim=1)
        return (h - self.feature_mean) / self.feature_std

    def forward(self, x):
        """Class scores of images x (N, 3, H, W): (N, num_classes)."""
        return self.fc(self.features(x))
