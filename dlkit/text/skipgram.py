"""Skip-gram with negative sampling (SGNS; Mikolov, Sutskever, Chen, Corrado and Dean, 2013).

Every word w has two vectors: an input ("center") vector v_w (a row of W_in) and an output ("context")
vector u_w (a row of W_out). For a (center c, context o) pair seen in the text and K negative words
k_1..k_K drawn from the unigram distribution raised to the power 3/4, the loss is

    L = -log sigma(u_o . v_c) - sum_k log sigma(-u_k . v_c)

which pushes the true context's score up and the noise words' scores down. The gradients
(sigma'(x) = sigma(x)(1 - sigma(x)), d/dx -log sigma(x) = sigma(x) - 1, d/dx -log sigma(-x) = sigma(x)):

    dL/dv_c = (sigma(u_o . v_c) - 1) u_o + sum_k sigma(u_k . v_c) u_k
    dL/du_o = (sigma(u_o . v_c) - 1) v_c
    dL/du_k = sigma(u_k . v_c) v_c
"""
import numpy as np

__all__ = ["skipgram_pairs", "negative_sampling_probs", "NegativeSampler", "log_sigmoid", "sigmoid",
           "sgns_loss", "sgns_embedding_grads"]


def _check_ids(seq, name):
    arr = np.asarray(seq)
    if arr.ndim != 1 or (arr.size and not np.issubdtype(arr.dtype, np.integer)):
        raise TypeError(f"{name}: expected a 1-D sequence of int token ids, got shape {arr.shape}, dtype {arr.dtype}")
    return arr.astype(np.int64)


def skipgram_pairs(token_ids, window, rng=None):
    """(center, context) pairs of every position with every neighbour at distance 1..window.

    ``token_ids``: a 1-D sequence of ints, or a list of such sentences (pairs never cross a sentence
    boundary). With ``rng`` (a ``np.random.Generator``) the window of each center is drawn uniformly from
    1..window, as word2vec does (near words are then sampled more often); without it the window is fixed.
    Returns an int64 array (P, 2), ordered by sentence, center position, then offset -window..window.
    """
    if not isinstance(window, (int, np.integer)) or isinstance(window, bool) or window < 1:
        raise ValueError(f"window: expected a positive int, got {window!r}")
    if rng is not None and not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng: expected a numpy.random.Generator or None, got {type(rng).__name__}")
    if len(token_ids) and np.ndim(token_ids[0]) == 1:
        parts = [skipgram_pairs(s, window, rng) for s in token_ids]
        return np.concatenate(parts) if parts else np.zeros((0, 2), np.int64)
    ids = _check_ids(token_ids, "token_ids")
    pairs = []
    for i, center in enumerate(ids):
        b = window if rng is None else int(rng.integers(1, window + 1))
        for j in range(max(0, i - b), min(len(ids), i + b + 1)):
            if j != i:
                pairs.append((center, ids[j]))
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def negative_sampling_probs(counts, power=0.75):
    """Noise distribution P_n(w) = count(w)^power / sum_w' count(w')^power. counts (V,) -> probs (V,)."""
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 1 or counts.size == 0 or (counts < 0).any() or counts.sum() <= 0:
        raise ValueError("counts: expected a 1-D array of non-negative word counts with a positive sum")
    weights = counts ** power
    return weights / weights.sum()


class NegativeSampler:
    """Draws negative word ids from the unigram^power distribution with its own seeded generator.

    ``sample(shape)`` -> int64 array of that shape, e.g. ``(batch, K)``. As in word2vec, a negative may
    happen to equal the true context word (rare for a large vocabulary); it is not redrawn.
    """

    def __init__(self, counts, power=0.75, seed=0):
        self.probs = negative_sampling_probs(counts, power)
        self.rng = np.random.default_rng(seed)

    def sample(self, shape):
        return self.rng.choice(len(self.probs), size=shape, p=self.probs).astype(np.int64)


def sigmoid(x):
    """1 / (1 + exp(-x)), computed without overflow for large ``|x|``."""
    return np.exp(-np.logaddexp(0.0, -x))


def log_sigmoid(x):
    """log sigma(x) = -log(1 + exp(-x)) = -logaddexp(0, -x), stable for large ``|x|``."""
    return -np.logaddexp(0.0, -x)


def sgns_loss(center_vecs, context_vecs, negative_vecs):
    """Mean SGNS loss over a batch and its gradients.

    Shapes: center_vecs v (B, D), context_vecs u_o (B, D), negative_vecs u_k (B, K, D).
    Returns ``(loss, (d_center (B, D), d_context (B, D), d_negative (B, K, D)))``, the loss averaged over B.
    """
    v, u_o, u_k = (np.asarray(a) for a in (center_vecs, context_vecs, negative_vecs))
    if v.ndim != 2 or u_o.shape != v.shape:
        raise ValueError(f"center_vecs, context_vecs: expected equal shapes (B, D), got {v.shape} and {u_o.shape}")
    if u_k.ndim != 3 or u_k.shape[0] != v.shape[0] or u_k.shape[2] != v.shape[1]:
        raise ValueError(f"negative_vecs: expected (B, K, D) = ({v.shape[0]}, K, {v.shape[1]}), got {u_k.shape}")
    B = v.shape[0]
    pos = np.sum(u_o * v, axis=1)                      # (B,)   u_o . v_c
    neg = np.einsum("bkd,bd->bk", u_k, v)              # (B, K) u_k . v_c
    loss = -(log_sigmoid(pos).sum() + log_sigmoid(-neg).sum()) / B
    g_pos = (sigmoid(pos) - 1.0) / B                   # dL/d(u_o . v_c)
    g_neg = sigmoid(neg) / B                           # dL/d(u_k . v_c)
    # dL/dv_c = (sigma(pos) - 1) u_o + sum_k sigma(neg_k) u_k
    d_center = g_pos[:, None] * u_o + np.einsum("bk,bkd->bd", g_neg, u_k)
    # dL/du_o = (sigma(pos) - 1) v_c
    d_context = g_pos[:, None] * v
    # dL/du_k = sigma(neg_k) v_c
    d_negative = g_neg[:, :, None] * v[:, None, :]
    return float(loss), (d_center, d_context, d_negative)


def sgns_embedding_grads(W_in, W_out, centers, contexts, negatives):
    """Loss and gradients w.r.t. the two embedding matrices for a batch of word ids.

    Shapes: W_in, W_out (V, D); centers, contexts (B,) int; negatives (B, K) int.
    Returns ``(loss, dW_in (V, D), dW_out (V, D))``. A word used several times in the batch receives the
    sum of its row gradients (``np.add.at``: a plain ``dW[ids] += g`` would keep only one of them).
    """
    W_in, W_out = np.asarray(W_in), np.asarray(W_out)
    if W_in.ndim != 2 or W_in.shape != W_out.shape:
        raise ValueError(f"W_in, W_out: expected equal shapes (V, D), got {W_in.shape} and {W_out.shape}")
    centers, contexts = _check_ids(centers, "centers"), _check_ids(contexts, "contexts")
    negatives = np.asarray(negatives)
    if negatives.ndim != 2 or negatives.shape[0] != centers.shape[0] or contexts.shape != centers.shape:
        raise ValueError(f"negatives: expected (B, K) with B = {centers.shape[0]}, got {negatives.shape}")
    for name, ids in (("centers", centers), ("contexts", contexts), ("negatives", negatives)):
        if ids.size and (ids.min() < 0 or ids.max() >= W_in.shape[0]):
            raise ValueError(f"{name}: ids must lie in [0, {W_in.shape[0]})")
    loss, (d_c, d_o, d_k) = sgns_loss(W_in[centers], W_out[contexts], W_out[negatives])
    dW_in, dW_out = np.zeros_like(W_in), np.zeros_like(W_out)
    np.add.at(dW_in, centers, d_c)
    np.add.at(dW_out, contexts, d_o)
    np.add.at(dW_out, negatives, d_k)
    return loss, dW_in, dW_out
