"""The contrastive loss of SimCLR (NT-Xent), naive and vectorized.

A batch of N images gives 2N augmented views: ``out_left[k]`` and
``out_right[k]`` are the projections z of two views of image k, a *positive
pair*; every other view in the batch is a negative for them. Stack the views
as ``out = [out_left; out_right]`` (2N, D), so that view k and view k + N
(k < N) are the two views of image k. With

    sim(u, v) = u . v / (||u|| ||v||)                      (cosine similarity)

    l(i, j) = -log( exp(sim(z_i, z_j) / tau)
                    / sum_{k = 1..2N, k != i} exp(sim(z_i, z_k) / tau) )

the loss of the batch averages over both directions of every positive pair:

    L = 1 / (2N) * sum_{k = 1..N} [ l(k, k + N) + l(k + N, k) ].

The denominator runs over the 2N - 1 views other than z_i itself: the one
positive and the 2N - 2 negatives. (Chen et al., "A Simple Framework for
Contrastive Learning of Visual Representations", ICML 2020, Algorithm 1.)

All functions take and return torch tensors, and use torch operations only,
so that autograd can differentiate the loss.
"""
import torch


def sim(z_i, z_j):
    """Cosine similarity (normalized dot product) of two vectors.

    Parameters
    ----------
    z_i : torch.Tensor, shape (D,)
    z_j : torch.Tensor, shape (D,)

    Returns
    -------
    norm_dot_product : torch.Tensor, shape ()
        z_i . z_j / (||z_i|| ||z_j||), a number in [-1, 1].
    """
    norm_dot_product = None
    # TODO: Divide the dot product of z_i and z_j by the product of their
    # Euclidean norms (torch.dot, torch.linalg.norm). Do not assume the
    # inputs already have norm 1.
    ### BEGIN SOLUTION assignment3
    norm_dot_product = torch.dot(z_i, z_j) / (torch.linalg.norm(z_i) * torch.linalg.norm(z_j))
    ### END SOLUTION
    return norm_dot_product


def simclr_loss_naive(out_left, out_right, tau):
    """The SimCLR loss of a batch, with loops (see the module docstring).

    Parameters
    ----------
    out_left : torch.Tensor, shape (N, D)
        Projections of the first view of each image (left branch).
    out_right : torch.Tensor, shape (N, D)
        Projections of the second view; ``(out_left[k], out_right[k])`` is
        a positive pair for every k = 0 .. N-1.
    tau : float
        Temperature, > 0.

    Returns
    -------
    total_loss : torch.Tensor, shape ()
        L, the mean of l(k, k + N) and l(k + N, k) over the N pairs.
    """
    N = out_left.shape[0]
    out = torch.cat([out_left, out_right], dim=0)  # (2N, D): view k and view k + N are a positive pair
    total_loss = 0
    for k in range(N):
        z_k, z_k_N = out[k], out[k + N]
        # TODO: Add l(k, k + N) and l(k + N, k) to total_loss. Use sim() for
        # every similarity; each denominator sums exp(sim(z_i, z_m) / tau)
        # over the 2N - 1 views m != i (loop over m).
        ### BEGIN SOLUTION assignment3
        for i, z_i, z_pos in ((k, z_k, z_k_N), (k + N, z_k_N, z_k)):
            denominator = 0
            for m in range(2 * N):
                if m != i:
                    denominator = denominator + torch.exp(sim(z_i, out[m]) / tau)
            total_loss = total_loss - torch.log(torch.exp(sim(z_i, z_pos) / tau) / denominator)
        ### END SOLUTION
    # Each of the 2N views contributed one term.
    total_loss = total_loss / (2 * N)
    return total_loss


def sim_positive_pairs(out_left, out_right):
    """Cosine similarity of each positive pair.

    Parameters
    ----------
    out_left : torch.Tensor, shape (N, D)
    out_right : torch.Tensor, shape (N, D)

    Returns
    -------
    pos_pairs : torch.Tensor, shape (N, 1)
        Row k is sim(out_left[k], out_right[k]).
    """
    pos_pairs = None
    # TODO: Normalize the rows of both inputs to unit length, then take the
    # row-wise dot products. No loops; keep the shape (N, 1) (keepdim=True).
    ### BEGIN SOLUTION assignment3
    left = out_left / torch.linalg.norm(out_left, dim=1, keepdim=True)
    right = out_right / torch.linalg.norm(out_right, dim=1, keepdim=True)
    pos_pairs = torch.sum(left * right, dim=1, keepdim=True)
    ### END SOLUTION
    return pos_pairs


def compute_sim_matrix(out):
    """Cosine similarities of all pairs of views of a batch.

    Parameters
    ----------
    out : torch.Tensor, shape (2N, D)
        One projection z per row.

    Returns
    -------
    sim_matrix : torch.Tensor, shape (2N, 2N)
        ``sim_matrix[i, j]`` = sim(out[i], out[j]); symmetric, with ones on
        the diagonal.
    """
    sim_matrix = None
    # TODO: Normalize the rows of out to unit length; then one matrix
    # product gives every dot product. No loops.
    ### BEGIN SOLUTION assignment3
    unit = out / torch.linalg.norm(out, dim=1, keepdim=True)
    sim_matrix = unit @ unit.T
    ### END SOLUTION
    return sim_matrix


def simclr_loss_vectorized(out_left, out_right, tau, device="cpu"):
    """The SimCLR loss of a batch, without loops (see the module docstring).

    Parameters
    ----------
    out_left : torch.Tensor, shape (N, D)
        Projections of the first view of each image.
    out_right : torch.Tensor, shape (N, D)
        Projections of the second view; rows k form positive pairs.
    tau : float
        Temperature, > 0.
    device : str or torch.device
        Where the mask below is made: the device of the inputs.

    Returns
    -------
    loss : torch.Tensor, shape ()
        The same value as ``simclr_loss_naive``.
    """
    N = out_left.shape[0]
    out = torch.cat([out_left, out_right], dim=0)  # (2N, D)
    sim_matrix = compute_sim_matrix(out)  # (2N, 2N)
    loss = None
    # TODO: Compute the loss in four steps, with no loops.
    # 1. exponential = exp(sim_matrix / tau), shape (2N, 2N).
    # 2. Drop the diagonal (the similarity of each view with itself, which is
    #    not part of the denominator): with the boolean mask
    #        mask = ~torch.eye(2 * N, dtype=torch.bool, device=device)
    #    exponential.masked_select(mask).view(2 * N, -1) has shape (2N, 2N - 1);
    #    sum its rows into denom, shape (2N, 1) (keepdim=True).
    # 3. numerator = exp(sim / tau) of each view's positive, shape (2N, 1):
    #    view k < N pairs with k + N and view k + N with k (sim_positive_pairs
    #    gives the N similarities; each counts for both views of the pair).
    # 4. loss = mean over the 2N views of -log(numerator / denom).
    ### BEGIN SOLUTION assignment3
    exponential = torch.exp(sim_matrix / tau)
    mask = ~torch.eye(2 * N, dtype=torch.bool, device=device)
    denom = exponential.masked_select(mask).view(2 * N, -1).sum(dim=1, keepdim=True)
    pos = sim_positive_pairs(out_left, out_right)
    numerator = torch.exp(torch.cat([pos, pos], dim=0) / tau)
    loss = torch.mean(-torch.log(numerator / denom))
    ### END SOLUTION
    return loss
