"""Classifiers of the assignments.

``from cs231n.classifiers import KNearestNeighbor`` works as in CS231n, but
each name is imported from its own module on first use: a syntax error in one
student file then breaks only the checks that use that file.
"""
from importlib import import_module

_MODULES = {
    "KNearestNeighbor": "k_nearest_neighbor",
    "LinearClassifier": "linear_classifier",
    "LinearSVM": "linear_classifier",
    "Softmax": "linear_classifier",
    "TwoLayerNet": "fc_net",
    "FullyConnectedNet": "fc_net",
    "ThreeLayerConvNet": "cnn",
    "CaptioningRNN": "rnn",
    "CaptioningTransformer": "transformer",
    "softmax_loss_naive": "softmax",
    "softmax_loss_vectorized": "softmax",
    "svm_loss_naive": "linear_svm",
    "svm_loss_vectorized": "linear_svm",
}

__all__ = sorted(_MODULES)


def __getattr__(name):
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"{__name__}.{_MODULES[name]}"), name)


def __dir__():
    return __all__
