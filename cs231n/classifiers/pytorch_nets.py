"""Small PyTorch networks, written three ways, and the loops that train them.

- The *barebones* functional API: a model is a plain function of its input and
  of a list of parameter tensors (``two_layer_fc``, ``three_layer_convnet``),
  trained by ``train_part2`` with hand-written SGD updates.
- ``nn.Module`` subclasses (``TwoLayerFC``, ``ThreeLayerConvNet``) that own
  their layers and parameters, trained by ``train_part34`` with any
  ``torch.optim`` optimizer.

Images are float32 tensors in the (N, C, H, W) layout and labels int64
tensors of shape (N,), as yielded by a ``torch.utils.data.DataLoader``.
"""
import math
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from tqdm.auto import tqdm

DTYPE = torch.float32


# ------------------------------------------------------------------ barebones

def flatten(x):
    """Flatten every example of a batch into a row.

    Parameters
    ----------
    x : torch.Tensor, shape (N, d_1, ..., d_k)
        A batch of N examples.

    Returns
    -------
    out : torch.Tensor, shape (N, d_1 * ... * d_k)
        The same values, each example as one row (C order, so an image
        (C, H, W) becomes channel 0's rows first).
    """
    out = None
    # TODO: Reshape x to (N, D) with D the product of all its dimensions but
    # the first. Keep the batch size N even when N is 1.
    ### BEGIN SOLUTION assignment2
    out = x.reshape(x.shape[0], -1)
    ### END SOLUTION
    return out


def two_layer_fc(x, params):
    """Scores of a two-layer fully connected network: affine - relu - affine.

    The network has no biases.

    Parameters
    ----------
    x : torch.Tensor, shape (N, d_1, ..., d_k)
        A batch of inputs, with D = d_1 * ... * d_k.
    params : list of torch.Tensor
        ``[w1, w2]`` with ``w1`` of shape (D, H) and ``w2`` of shape (H, C).

    Returns
    -------
    scores : torch.Tensor, shape (N, C)
        Class scores (before the softmax).
    """
    w1, w2 = params
    scores = None
    # TODO: Flatten x to (N, D), multiply by w1 to get the hidden layer
    # (N, H), apply the ReLU, and multiply by w2 to get the scores (N, C).
    # Use torch operations only, so that autograd can follow them.
    ### BEGIN SOLUTION assignment2
    hidden = F.relu(flatten(x).mm(w1))
    scores = hidden.mm(w2)
    ### END SOLUTION
    return scores


def three_layer_convnet(x, params):
    """Scores of a three-layer convolutional network.

    conv 5x5 (zero padding 2) - relu - conv 3x3 (zero padding 1) - relu -
    fully connected. Both convolutions have stride 1 and keep H and W.

    Parameters
    ----------
    x : torch.Tensor, shape (N, C, H, W)
        A batch of images.
    params : list of torch.Tensor
        ``[conv_w1, conv_b1, conv_w2, conv_b2, fc_w, fc_b]``:
        ``conv_w1`` (F1, C, 5, 5) and ``conv_b1`` (F1,) for the first
        convolution, ``conv_w2`` (F2, F1, 3, 3) and ``conv_b2`` (F2,) for the
        second, ``fc_w`` (F2 * H * W, K) and ``fc_b`` (K,) for the fully
        connected layer.

    Returns
    -------
    scores : torch.Tensor, shape (N, K)
        Class scores.
    """
    conv_w1, conv_b1, conv_w2, conv_b2, fc_w, fc_b = params
    scores = None
    # TODO: Run the forward pass with torch.nn.functional (imported as F):
    # F.conv2d with conv_w1, conv_b1 and padding 2 -> (N, F1, H, W), ReLU,
    # F.conv2d with conv_w2, conv_b2 and padding 1 -> (N, F2, H, W), ReLU,
    # then flatten to (N, F2 * H * W) and apply fc_w (F2 * H * W, K) and
    # fc_b (K,) to get the scores (N, K).
    ### BEGIN SOLUTION assignment2
    hidden = F.relu(F.conv2d(x, conv_w1, conv_b1, padding=2))
    hidden = F.relu(F.conv2d(hidden, conv_w2, conv_b2, padding=1))
    scores = flatten(hidden).mm(fc_w) + fc_b
    ### END SOLUTION
    return scores


def random_weight(shape):
    """A weight tensor drawn with Kaiming He's normal initialisation, for a ReLU network.

    The entries are Gaussian with mean 0 and standard deviation
    ``sqrt(2 / fan_in)``, where fan_in is the number of inputs that each
    output sums over. The layout decides which dimensions those are:

    - a weight of the barebones fully connected layers, multiplied as
      ``x.mm(w)``, has shape (D, M): fan_in = D = ``shape[0]``;
    - a convolution weight has shape (F, C, HH, WW) (and in general
      (F, C, k_1, ..., k_d)): each output sums over a C x HH x WW window,
      fan_in = C * HH * WW = the product of ``shape[1:]``.

    Draws from torch's global random generator (``torch.manual_seed`` fixes it).

    Parameters
    ----------
    shape : tuple of int
        (D, M) for a fully connected weight, (F, C, HH, WW) for a convolution.

    Returns
    -------
    w : torch.Tensor of float32, shape ``shape``
        A leaf tensor with ``requires_grad=True``.
    """
    shape = tuple(int(s) for s in shape)
    if len(shape) < 2 or min(shape) < 1:
        raise ValueError(f"shape must have at least 2 positive dimensions, (D, M) or (F, C, HH, WW); got {shape}")
    w = None
    # TODO: Compute fan_in for the layout of `shape` (see the docstring), draw
    # a float32 tensor of that shape from torch.randn scaled by
    # sqrt(2 / fan_in), and make it a leaf that requires gradients.
    ### BEGIN SOLUTION assignment2
    fan_in = shape[0] if len(shape) == 2 else math.prod(shape[1:])
    w = torch.randn(shape, dtype=DTYPE) * math.sqrt(2.0 / fan_in)
    w.requires_grad_()
    ### END SOLUTION
    return w


def zero_weight(shape):
    """A tensor of zeros to learn, such as a bias.

    Parameters
    ----------
    shape : tuple of int
        Its shape, e.g. (M,) for the bias of a layer with M outputs.

    Returns
    -------
    b : torch.Tensor of float32, shape ``shape``
        Zeros, a leaf tensor with ``requires_grad=True``.
    """
    b = None
    # TODO: Create a float32 tensor of zeros of this shape that requires
    # gradients.
    ### BEGIN SOLUTION assignment2
    b = torch.zeros(shape, dtype=DTYPE, requires_grad=True)
    ### END SOLUTION
    return b


def check_accuracy_part2(loader, model_fn, params, name="val"):
    """Accuracy of a barebones model on every example of a loader.

    Parameters
    ----------
    loader : torch.utils.data.DataLoader
        Yields batches ``(x, y)``, x (B, C, H, W) and y (B,).
    model_fn : callable
        ``model_fn(x, params) -> scores`` of shape (B, K).
    params : list of torch.Tensor
        The model's parameters.
    name : str
        Name of the split, for the printed line.

    Returns
    -------
    acc : float
        The share of the examples whose highest score is their label.
    """
    num_correct, num_samples = 0, 0
    with torch.no_grad():  # no graph: evaluation needs no gradients
        for x, y in loader:
            preds = model_fn(x.to(DTYPE), params).argmax(dim=1)
            num_correct += int((preds == y).sum())
            num_samples += preds.shape[0]
    acc = num_correct / num_samples
    print(f"{name}: {num_correct} / {num_samples} correct ({100 * acc:.2f}%)")
    return acc


def train_part2(model_fn, params, learning_rate, loader_train, loader_val=None, epochs=1, print_every=100):
    """Train a barebones model with plain minibatch SGD on the softmax loss.

    Parameters
    ----------
    model_fn : callable
        ``model_fn(x, params) -> scores`` of shape (B, K).
    params : list of torch.Tensor
        Leaf tensors with ``requires_grad=True``; updated in place.
    learning_rate : float
        SGD step size.
    loader_train : torch.utils.data.DataLoader
        Training batches ``(x, y)``.
    loader_val : torch.utils.data.DataLoader or None
        If given, the validation accuracy is printed every ``print_every``
        iterations and at the end.
    epochs : int
        Passes over the training data.
    print_every : int
        Iterations between progress lines.

    Returns
    -------
    loss_history : list of float
        The loss of every iteration.
    """
    if learning_rate <= 0:
        raise ValueError(f"learning_rate must be positive, got {learning_rate}")
    loss_history = []
    t = 0
    for epoch in range(epochs):
        for x, y in loader_train:
            loss = F.cross_entropy(model_fn(x.to(DTYPE), params), y)
            loss.backward()
            # The update itself must not become part of the graph.
            with torch.no_grad():
                for w in params:
                    w -= learning_rate * w.grad
                    w.grad.zero_()  # backward accumulates into .grad
            loss_history.append(loss.item())
            if t % print_every == 0:
                print(f"epoch {epoch + 1}, iteration {t}, loss {loss.item():.4f}")
                if loader_val is not None:
                    check_accuracy_part2(loader_val, model_fn, params)
            t += 1
    if loader_val is not None:
        check_accuracy_part2(loader_val, model_fn, params)
    return loss_history


# ------------------------------------------------------------------ nn.Module

class TwoLayerFC(nn.Module):
    """Two-layer fully connected network: linear - relu - linear.

    Parameters
    ----------
    input_size : int
        Size D of a flattened input, e.g. C * H * W for images.
    hidden_size : int
        Size H of the hidden layer.
    num_classes : int
        Number K of classes.

    Notes
    -----
    Both ``nn.Linear`` layers have Kaiming normal weights
    (std ``sqrt(2 / fan_in)``) and zero biases.
    """

    def __init__(self, input_size, hidden_size, num_classes):
        super().__init__()
        # TODO: Create two nn.Linear layers, D -> H and H -> K, as attributes
        # of self (so that the module registers their parameters). Initialise
        # their weights with nn.init.kaiming_normal_ (std sqrt(2 / fan_in))
        # and their biases with zeros (nn.init.zeros_).
        ### BEGIN SOLUTION assignment2
        self.fc1 = nn.Linear(input_size, hidden_size)
        self.fc2 = nn.Linear(hidden_size, num_classes)
        for layer in (self.fc1, self.fc2):
            nn.init.kaiming_normal_(layer.weight)
            nn.init.zeros_(layer.bias)
        ### END SOLUTION

    def forward(self, x):
        """Scores (N, K) of a batch x (N, d_1, ..., d_k) with d_1 * ... * d_k = D."""
        scores = None
        # TODO: Flatten x to (N, D), then linear - relu - linear: (N, K).
        ### BEGIN SOLUTION assignment2
        scores = self.fc2(F.relu(self.fc1(flatten(x))))
        ### END SOLUTION
        return scores


class ThreeLayerConvNet(nn.Module):
    """Three-layer convolutional network, the ``nn.Module`` twin of ``three_layer_convnet``.

    conv 5x5 (``channel_1`` filters, zero padding 2) - relu - conv 3x3
    (``channel_2`` filters, zero padding 1) - relu - linear to the scores.
    Both convolutions have stride 1 and keep the image size.

    Parameters
    ----------
    in_channel : int
        Channels C of the input images.
    channel_1 : int
        Filters F1 of the first convolution.
    channel_2 : int
        Filters F2 of the second convolution.
    num_classes : int
        Number K of classes.
    image_size : int or tuple of int
        (H, W) of the input images (an int means square images); the linear
        layer has F2 * H * W inputs.

    Notes
    -----
    Every weight is Kaiming normal (std ``sqrt(2 / fan_in)``), every bias zero.
    """

    def __init__(self, in_channel, channel_1, channel_2, num_classes, image_size=32):
        super().__init__()
        height, width = (image_size, image_size) if np.isscalar(image_size) else image_size
        # TODO: Create the layers as attributes of self: nn.Conv2d C -> F1
        # with 5x5 kernels and padding 2, nn.Conv2d F1 -> F2 with 3x3 kernels
        # and padding 1, and nn.Linear F2 * height * width -> K. Initialise
        # every weight with nn.init.kaiming_normal_ and every bias with
        # zeros.
        ### BEGIN SOLUTION assignment2
        self.conv1 = nn.Conv2d(in_channel, channel_1, kernel_size=5, padding=2)
        self.conv2 = nn.Conv2d(channel_1, channel_2, kernel_size=3, padding=1)
        self.fc = nn.Linear(channel_2 * height * width, num_classes)
        for layer in (self.conv1, self.conv2, self.fc):
            nn.init.kaiming_normal_(layer.weight)
            nn.init.zeros_(layer.bias)
        ### END SOLUTION

    def forward(self, x):
        """Scores (N, K) of a batch of images x (N, C, H, W)."""
        scores = None
        # TODO: conv1 - relu - conv2 - relu - flatten to (N, F2 * H * W) -
        # linear: (N, K).
        ### BEGIN SOLUTION assignment2
        hidden = F.relu(self.conv2(F.relu(self.conv1(x))))
        scores = self.fc(flatten(hidden))
        ### END SOLUTION
        return scores


def check_accuracy_part34(loader, model, name="val"):
    """Accuracy of an ``nn.Module`` on every example of a loader, in eval mode.

    Parameters
    ----------
    loader : torch.utils.data.DataLoader
        Yields batches ``(x, y)``.
    model : torch.nn.Module
        Maps x (B, C, H, W) to scores (B, K). Left in eval mode.
    name : str
        Name of the split, for the printed line.

    Returns
    -------
    acc : float
        The share of the examples whose highest score is their label.
    """
    model.eval()  # dropout off, batch norm on its running statistics
    num_correct, num_samples = 0, 0
    with torch.no_grad():
        for x, y in loader:
            preds = model(x.to(DTYPE)).argmax(dim=1)
            num_correct += int((preds == y).sum())
            num_samples += preds.shape[0]
    acc = num_correct / num_samples
    print(f"{name}: {num_correct} / {num_samples} correct ({100 * acc:.2f}%)")
    return acc


def train_part34(model, optimizer, loader_train, loader_val=None, epochs=1, max_seconds=None,
                 scheduler=None, progress=True):
    """Train an ``nn.Module`` on the softmax loss with a ``torch.optim`` optimizer.

    A progress bar shows the running loss. The validation accuracy is printed
    after every epoch.

    Parameters
    ----------
    model : torch.nn.Module
        Maps x (B, C, H, W) to scores (B, K). Left in eval mode at the end.
    optimizer : torch.optim.Optimizer
        Built on ``model.parameters()``.
    loader_train : torch.utils.data.DataLoader
        Training batches ``(x, y)``.
    loader_val : torch.utils.data.DataLoader or None
        Validation batches, for the accuracy after each epoch.
    epochs : int
        Passes over the training data.
    max_seconds : float or None
        Time budget: training stops after the first iteration that ends
        later than this many seconds after the start (None: no limit).
    scheduler : torch.optim.lr_scheduler.LRScheduler or None
        If given, ``scheduler.step()`` is called after every iteration.
    progress : bool
        Show a progress bar.

    Returns
    -------
    history : dict
        ``loss`` (list of float, one per iteration), ``val_acc`` (list of
        float, one per finished epoch when ``loader_val`` is given) and
        ``seconds`` (float, the training time).
    """
    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}")
    history = {"loss": [], "val_acc": [], "seconds": 0.0}
    start = time.perf_counter()
    out_of_time = False
    for epoch in range(epochs):
        model.train()  # check_accuracy_part34 leaves the model in eval mode
        bar = tqdm(loader_train, desc=f"epoch {epoch + 1}/{epochs}", disable=not progress, leave=True)
        for x, y in bar:
            loss = F.cross_entropy(model(x.to(DTYPE)), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            history["loss"].append(loss.item())
            bar.set_postfix(loss=f"{loss.item():.3f}")
            if max_seconds is not None and time.perf_counter() - start > max_seconds:
                out_of_time = True
                break
        bar.close()
        if loader_val is not None:
            history["val_acc"].append(check_accuracy_part34(loader_val, model))
        if out_of_time:
            print(f"time budget of {max_seconds:g} s used up in epoch {epoch + 1}")
            break
    model.eval()
    history["seconds"] = time.perf_counter() - start
    return history
