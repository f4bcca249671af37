"""Training and evaluation of SimCLR.

``train`` runs one epoch of contrastive training. The rest evaluates an
encoder without training it: the weighted k-nearest-neighbour monitor of
CS231n's SimCLR notebook (``knn_predict``), a linear probe (a logistic
regression on the frozen features, ``linear_probe``), and the supervised
baseline that trains an encoder and a linear layer end to end on labeled
images (``train_supervised``).
"""
import numpy as np
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from cs231n.simclr.contrastive_loss import simclr_loss_vectorized
from cs231n.simclr.model import Classifier


def train(model, data_loader, train_optimizer, epoch, epochs, batch_size=32, temperature=0.5, device="cpu",
          progress=False):
    """One epoch of SimCLR training.

    Parameters
    ----------
    model : cs231n.simclr.model.Model
        Returns ``(feature, out)`` for a batch of images; ``out`` (N, D) is
        the projection the loss compares.
    data_loader : iterable
        Yields ``(x_i, x_j, target)``: two batches of views (N, 3, H, W) of
        the same N images, and their labels (unused: SimCLR has none).
    train_optimizer : torch.optim.Optimizer
        Over ``model.parameters()``.
    epoch, epochs : int
        This epoch's number and the total, for the progress bar.
    batch_size : int
        The loader's batch size (CS231n's signature); the mean weighs each
        batch by its actual size.
    temperature : float
        tau of the loss.
    device : str or torch.device
    progress : bool
        Show a progress bar.

    Returns
    -------
    mean_loss : float
        The loss averaged over the images of the epoch.
    """
    model.train()
    total_loss, total_num = 0.0, 0
    train_bar = tqdm(data_loader, desc=f"train epoch {epoch}/{epochs}", disable=not progress, leave=False)
    for x_i, x_j, _ in train_bar:
        x_i, x_j = x_i.to(device), x_j.to(device)
        loss = None
        # TODO: Run x_i and x_j through the model separately (two forward
        # passes: each batch normalizes with its own statistics) and take
        # the projections out_left and out_right (the second output).
        # loss = simclr_loss_vectorized(out_left, out_right, temperature,
        # device); then clear the old gradients, backpropagate and take one
        # step of train_optimizer.
        ### BEGIN SOLUTION assignment3
        _, out_left = model(x_i)
        _, out_right = model(x_j)
        loss = simclr_loss_vectorized(out_left, out_right, temperature, device)
        train_optimizer.zero_grad()
        loss.backward()
        train_optimizer.step()
        ### END SOLUTION
        total_num += x_i.shape[0]
        total_loss += loss.item() * x_i.shape[0]
        train_bar.set_postfix(loss=f"{total_loss / total_num:.4f}")
    return total_loss / total_num


# ------------------------------------------------------------------ evaluation

@torch.no_grad()
def extract_features(encoder, x, batch_size=500):
    """Features of images under an encoder, in eval mode and without gradients.

    Parameters
    ----------
    encoder : nn.Module
        Maps images (B, 3, H, W) to features that flatten to (B, F), e.g.
        ``Model().f``.
    x : torch.Tensor, shape (N, 3, H, W)
        Normalized images (``transform_images``).
    batch_size : int

    Returns
    -------
    features : torch.Tensor of float32, shape (N, F)
    """
    was_training = encoder.training
    encoder.eval()
    features = torch.cat([torch.flatten(encoder(x[i:i + batch_size]), start_dim=1)
                          for i in range(0, len(x), batch_size)])
    encoder.train(was_training)
    return features


def knn_predict(train_features, train_labels, test_features, k=200, temperature=0.5, num_classes=10):
    """Weighted k-nearest-neighbour labels: the monitor of SimCLR training.

    Each test feature votes among its k most similar training features
    (cosine similarity s), each neighbour with weight exp(s / temperature)
    for its own label (Wu et al., "Unsupervised Feature Learning via
    Non-Parametric Instance Discrimination", CVPR 2018).

    Parameters
    ----------
    train_features : torch.Tensor, shape (M, F)
    train_labels : array-like of int, shape (M,)
    test_features : torch.Tensor, shape (N, F)
    k : int
    temperature : float
    num_classes : int

    Returns
    -------
    pred : ndarray of int64, shape (N,)
    """
    train_features = F.normalize(torch.as_tensor(train_features, dtype=torch.float32), dim=1)
    test_features = F.normalize(torch.as_tensor(test_features, dtype=torch.float32), dim=1)
    labels = torch.as_tensor(np.asarray(train_labels), dtype=torch.long)
    k = min(k, len(labels))
    sim_weight, sim_index = (test_features @ train_features.T).topk(k, dim=1)  # (N, k)
    votes = torch.zeros(len(test_features), num_classes)
    votes.scatter_add_(1, labels[sim_index], (sim_weight / temperature).exp())
    return votes.argmax(dim=1).numpy()


def few_label_indices(labels, per_class, seed):
    """A class-balanced subset of labeled examples: ``per_class`` of each class.

    Parameters
    ----------
    labels : array-like of int, shape (N,)
    per_class : int
    seed : int
        Different seeds give different subsets.

    Returns
    -------
    indices : ndarray of int64, shape (per_class * num_classes,), sorted
    """
    labels = np.asarray(labels)
    rng = np.random.RandomState(seed)
    chosen = [rng.choice(np.flatnonzero(labels == c), per_class, replace=False) for c in np.unique(labels)]
    return np.sort(np.concatenate(chosen)).astype(np.int64)


def linear_probe(encoder, x, y, C=1.0, num_classes=10):
    """A linear probe: logistic regression on the frozen, standardized features of an encoder.

    Parameters
    ----------
    encoder : nn.Module
        Left unchanged (it is frozen in the returned classifier).
    x : torch.Tensor, shape (N, 3, H, W)
        Labeled, normalized images.
    y : array-like of int, shape (N,)
    C : float
        Inverse strength of the L2 penalty of ``sklearn.linear_model.LogisticRegression``.
    num_classes : int

    Returns
    -------
    probe : cs231n.simclr.model.Classifier
        The encoder, frozen, with the fitted linear layer: ``probe(x)`` gives
        scores (N, num_classes).
    """
    from sklearn.linear_model import LogisticRegression

    h = extract_features(encoder, x).double().numpy()
    mean, std = h.mean(axis=0), h.std(axis=0) + 1e-6
    y = np.asarray(y)
    fit = LogisticRegression(C=C, max_iter=5000).fit((h - mean) / std, y)
    probe = Classifier(encoder, num_classes, h.shape[1], freeze=True, feature_mean=mean, feature_std=std)
    weight, bias = np.zeros((num_classes, h.shape[1])), np.full(num_classes, -1e9)
    weight[fit.classes_], bias[fit.classes_] = fit.coef_, fit.intercept_  # classes never seen: never predicted
    with torch.no_grad():
        probe.fc.weight.copy_(torch.as_tensor(weight))
        probe.fc.bias.copy_(torch.as_tensor(bias))
    return probe.eval()


def train_supervised(model, x, y, epochs=100, lr=1e-3, weight_decay=1e-4, batch_size=50, seed=0):
    """Train a classifier end to end on labeled images (Adam, cross-entropy).

    Parameters
    ----------
    model : nn.Module
        Maps images (B, 3, H, W) to scores (B, C), e.g.
        ``Classifier(Model().f)``.
    x : torch.Tensor, shape (N, 3, H, W)
    y : array-like of int, shape (N,)
    epochs, batch_size : int
    lr, weight_decay : float
        Of ``torch.optim.Adam``.
    seed : int
        Seeds the minibatch order.

    Returns
    -------
    loss_history : list of float
        The mean training loss of every epoch.
    """
    y = torch.as_tensor(np.asarray(y), dtype=torch.long)
    optimizer = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr,
                                 weight_decay=weight_decay)
    generator = torch.Generator().manual_seed(seed)
    loss_history = []
    model.train()
    for _ in range(epochs):
        order, total = torch.randperm(len(y), generator=generator), 0.0
        for start in range(0, len(y), batch_size):
            idx = order[start:start + batch_size]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
        loss_history.append(total / len(y))
    model.eval()
    return loss_history


@torch.no_grad()
def predict(model, x, batch_size=500):
    """Predicted labels of a classifier (in eval mode).

    Parameters
    ----------
    model : nn.Module
        Maps images (B, 3, H, W) to scores (B, C).
    x : torch.Tensor, shape (N, 3, H, W)

    Returns
    -------
    pred : ndarray of int64, shape (N,)
    """
    model.eval()
    return torch.cat([model(x[i:i + batch_size]).argmax(dim=1) for i in range(0, len(x), batch_size)]).numpy()
