"""Functional core: the contrastive InfoNCE loss of SimCLR (NT-Xent), forward and hand-written backward.

Two views of the same N examples give embeddings z1, z2 (N, D). Stack them into z (2N, D), normalize
every row, u_i = z_i / ||z_i||, and compare all pairs by cosine similarity over a temperature tau:
s_ik = u_i . u_k / tau. The positive of row i is the other view of the same example, p(i) = i +- N;
the other 2N - 2 rows are its negatives. The loss is the mean over the 2N rows of a softmax
cross-entropy over k != i:

    L = 1/(2N) sum_i [ -s_{i,p(i)} + log sum_{k != i} exp(s_ik) ]

(Chen et al. 2020, "A simple framework for contrastive learning of visual representations";
van den Oord et al. 2018 for InfoNCE.)
"""
import numbers

import numpy as np

__all__ = ["info_nce_forward", "info_nce_backward"]


def _check(z1, z2, temperature, epsilon):
    for name, z in (("z1", z1), ("z2", z2)):
        if not isinstance(z, np.ndarray) or z.ndim != 2 or not np.issubdtype(z.dtype, np.floating):
            raise TypeError(f"info_nce_forward: {name} must be a float array of shape (N, D), got "
                            f"{type(z).__name__} with shape {getattr(z, 'shape', None)}")
    if z1.shape != z2.shape or z1.shape[0] < 2:
        raise ValueError(f"info_nce_forward: z1 and z2 must have the same shape (N, D) with N >= 2 "
                         f"(each example needs a negative), got {z1.shape} and {z2.shape}")
    if not np.isscalar(temperature) or not temperature > 0:
        raise ValueError(f"info_nce_forward: temperature must be a number > 0, got {temperature!r}")
    if not isinstance(epsilon, numbers.Real) or not epsilon > 0:
        raise ValueError(f"info_nce_forward: epsilon must be a number > 0, got {epsilon!r}")


def info_nce_forward(z1, z2, temperature=0.5, epsilon=1e-12):
    """NT-Xent loss of two views. z1, z2 (N, D) float -> (loss (scalar float), cache).

    Row i of z1 and row i of z2 are the two views of example i (a positive pair); every other row of
    either view is a negative. Rows are L2-normalized as ``tf.math.l2_normalize`` does
    (``z / sqrt(max(sum z^2, epsilon))``), so the loss depends only on directions. ``temperature``
    (tau > 0) scales the cosine similarities before the softmax; typical values are 0.1 to 1.
    ``epsilon`` (> 0) guards the norm of all-zero rows. The backward assumes ``||z_i||^2 > epsilon``;
    for smaller rows it differs from TensorFlow's gradient (TF treats the clipped norm as the constant
    ``sqrt(epsilon)`` and keeps the radial part).
    """
    _check(z1, z2, temperature, epsilon)
    n = z1.shape[0]
    z = np.concatenate([z1, z2], axis=0)                                   # (2N, D)
    norm = np.sqrt(np.maximum(np.sum(z * z, axis=1, keepdims=True), epsilon))  # (2N, 1)
    u = z / norm
    s = u @ u.T / temperature                                              # (2N, 2N) similarities
    np.fill_diagonal(s, -np.inf)                                           # a row is not its own negative
    pos = np.concatenate([np.arange(n, 2 * n), np.arange(n)])              # p(i): the other view
    m = s.max(axis=1, keepdims=True)                                       # stable log-sum-exp
    e = np.exp(s - m)
    log_den = m[:, 0] + np.log(e.sum(axis=1))
    rows = np.arange(2 * n)
    loss = float(np.mean(log_den - s[rows, pos]))
    p = e / e.sum(axis=1, keepdims=True)                                   # softmax over k != i; p_ii = 0
    return loss, (u, norm, p, pos, temperature)


def info_nce_backward(dloss, cache):
    """Gradients of the NT-Xent loss. dloss (scalar, usually 1.0), cache -> (dz1 (N, D), dz2 (N, D)).

    With P the row softmax (P_ii = 0), Y the one-hot positives and S = U U^T / tau:
    # dL/dS = (P - Y) / (2N)
    # dL/dU = (G + G^T) U / tau,   G = dL/dS   (S is symmetric in U: u_i appears in row i and column i)
    # dL/dz_i = (g_i - u_i (u_i . g_i)) / ||z_i||,   g_i = dL/du_i   (the normalization removes the radial part)
    """
    u, norm, p, pos, temperature = cache
    two_n = u.shape[0]
    g = p.copy()
    g[np.arange(two_n), pos] -= 1.0
    g *= float(dloss) / two_n                                              # dL/dS
    du = (g + g.T) @ u / temperature                                       # dL/dU
    dz = (du - u * np.sum(u * du, axis=1, keepdims=True)) / norm           # dL/dz
    return dz[: two_n // 2], dz[two_n // 2:]
