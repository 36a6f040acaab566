"""Realistic answers to ch17_autoencoders (see ../mutation.py): (task, "wrong" | "correct", why, cell source)."""
_AE = '''
def ae_forward(x, params, activation="relu"):
    x = np.asarray(x, dtype=np.float64)
    z = x @ params["W1"] + params["b1"]
    if activation == "relu":
        h = np.maximum(z, 0.0)
    elif activation == "tanh":
        h = np.tanh(z)
    else:
        h = z
    x_hat = h @ params["W2"] + params["b2"]
    loss = np.mean((x_hat - x) ** 2)
    return float(loss), x_hat, (x, z, h, x_hat, params["W2"], activation)


def ae_backward(cache):
    x, z, h, x_hat, W2, activation = cache
    B, D = x.shape
    dx_hat = 2.0 * (x_hat - x) / (B * D)
    dW2 = h.T @ dx_hat
    db2 = dx_hat.sum(axis=0)
    dh = dx_hat @ W2.T
    if activation == "relu":
        dz = dh * (z > 0)
    elif activation == "tanh":
        dz = dh * (1.0 - h ** 2)
    else:
        dz = dh
    return {"W1": x.T @ dz, "b1": dz.sum(axis=0), "W2": dW2, "b2": db2}
'''
_NCE = '''
def info_nce(z1, z2, temperature=0.5):
    z = np.concatenate([z1, z2], axis=0).astype(np.float64)
    u = z / np.linalg.norm(z, axis=1, keepdims=True)
    s = u @ u.T / temperature
    np.fill_diagonal(s, -np.inf)
    n2 = s.shape[0]
    pos = (np.arange(n2) + n2 // 2) % n2
    m = s.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(s - m).sum(axis=1))
    return float(np.mean(lse - s[np.arange(n2), pos]))
'''
_GRAD = '''
def info_nce_backward(z1, z2, temperature=0.5):
    z = np.concatenate([z1, z2], axis=0).astype(np.float64)
    norm = np.linalg.norm(z, axis=1, keepdims=True)
    u = z / norm
    s = u @ u.T / temperature
    np.fill_diagonal(s, -np.inf)
    n2 = s.shape[0]
    rows, pos = np.arange(n2), (np.arange(n2) + n2 // 2) % n2
    p = np.exp(s - s.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    g = p.copy()
    g[rows, pos] -= 1.0
    g /= n2
    du = (g + g.T) @ u / temperature
    dz = (du - u * np.sum(u * du, axis=1, keepdims=True)) / norm
    return dz[: n2 // 2], dz[n2 // 2:]
'''


def _edit(source, *pairs):
    """The reference cell with realistic mistakes: each `old` (which must occur exactly once) becomes `new`."""
    for old, new in zip(pairs[::2], pairs[1::2]):
        assert source.count(old) == 1, old
        source = source.replace(old, new)
    return source


ANSWERS = [
    # -- Task 1: the autoencoder ------------------------------------------------------------------------------------
    ("autoencoder", "wrong", "MSE summed over the features and averaged over the batch only (loss and gradient)",
     _edit(_AE, "loss = np.mean((x_hat - x) ** 2)", "loss = np.sum((x_hat - x) ** 2) / x.shape[0]",
           "dx_hat = 2.0 * (x_hat - x) / (B * D)", "dx_hat = 2.0 * (x_hat - x) / B")),
    ("autoencoder", "wrong", "forgets the factor 2 of the square's derivative",
     _edit(_AE, "dx_hat = 2.0 * (x_hat - x) / (B * D)", "dx_hat = (x_hat - x) / (B * D)")),
    ("autoencoder", "wrong", "bias gradients averaged over the batch instead of summed",
     _edit(_AE, "db2 = dx_hat.sum(axis=0)", "db2 = dx_hat.mean(axis=0)",
           '"b1": dz.sum(axis=0)', '"b1": dz.mean(axis=0)')),
    ("autoencoder", "wrong", "tanh derivative at the wrong place: 1 - z**2 (the pre-activation) for 1 - tanh(z)**2",
     _edit(_AE, "dz = dh * (1.0 - h ** 2)", "dz = dh * (1.0 - z ** 2)")),
    ("autoencoder", "wrong", "ReLU derivative applied to the linear output layer (mask x_hat > 0) instead of z > 0",
     _edit(_AE, "dh = dx_hat @ W2.T", "dh = (dx_hat * (x_hat > 0)) @ W2.T",
           "dz = dh * (z > 0)", "dz = dh")),
    ("autoencoder", "wrong", "transposed weight gradient: dW2 = dx_hat^T h, shape (D, H)",
     _edit(_AE, "dW2 = h.T @ dx_hat", "dW2 = dx_hat.T @ h")),
    ("autoencoder", "wrong", "backward reads the last forward call from global variables, not from its cache", '''
_last = {}


def ae_forward(x, params, activation="relu"):
    z = x @ params["W1"] + params["b1"]
    h = np.maximum(z, 0.0) if activation == "relu" else (np.tanh(z) if activation == "tanh" else z)
    x_hat = h @ params["W2"] + params["b2"]
    _last.update(x=x, z=z, h=h, x_hat=x_hat, W2=params["W2"], activation=activation)
    return float(np.mean((x_hat - x) ** 2)), x_hat, None


def ae_backward(cache):
    x, z, h, x_hat, W2 = _last["x"], _last["z"], _last["h"], _last["x_hat"], _last["W2"]
    d = 2.0 * (x_hat - x) / x.size
    dh = d @ W2.T
    dz = dh * ((z > 0) if _last["activation"] == "relu" else (1 - h ** 2 if _last["activation"] == "tanh" else 1.0))
    return {"W1": x.T @ dz, "b1": dz.sum(axis=0), "W2": h.T @ d, "b2": d.sum(axis=0)}
'''),
    ("autoencoder", "wrong", "dlkit's dense_forward/dense_backward and MeanSquaredError (policy: scores 0)", '''
import dlkit.np as dnp
from dlkit.np.functional import dense_backward, dense_forward


def ae_forward(x, params, activation="relu"):
    z, c1 = dense_forward(x, params["W1"], params["b1"])
    h = np.maximum(z, 0.0) if activation == "relu" else (np.tanh(z) if activation == "tanh" else z)
    x_hat, c2 = dense_forward(h, params["W2"], params["b2"])
    mse = dnp.losses.MeanSquaredError()
    loss = float(mse(x, x_hat))
    return loss, x_hat, (c1, c2, z, h, mse, activation)


def ae_backward(cache):
    c1, c2, z, h, mse, activation = cache
    dh, dW2, db2 = dense_backward(mse.backward(), c2)
    dz = dh * ((z > 0) if activation == "relu" else (1 - h ** 2 if activation == "tanh" else 1.0))
    _, dW1, db1 = dense_backward(dz, c1)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
'''),
    ("autoencoder", "correct", "one example at a time: outer products, a dict cache, the derivative stored in it", '''
def ae_forward(x, params, activation="relu"):
    x = np.asarray(x, dtype=float)
    act = {"relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(float)),
           "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
           "linear": (lambda z: z, lambda z: np.ones_like(z))}[activation]
    z = x @ params["W1"] + params["b1"]
    h = act[0](z)
    x_hat = h @ params["W2"] + params["b2"]
    loss = ((x_hat - x) ** 2).sum() / x.size
    return loss, x_hat, {"x": x, "h": h, "fprime": act[1](z), "err": x_hat - x, "W2": params["W2"].copy()}


def ae_backward(cache):
    x, h, fp, err, W2 = cache["x"], cache["h"], cache["fprime"], cache["err"], cache["W2"]
    grads = {"W1": np.zeros((x.shape[1], h.shape[1])), "b1": np.zeros(h.shape[1]),
             "W2": np.zeros(W2.shape), "b2": np.zeros(x.shape[1])}
    for n in range(x.shape[0]):
        g = 2 * err[n] / err.size
        grads["W2"] += np.outer(h[n], g)
        grads["b2"] += g
        gz = (W2 @ g) * fp[n]
        grads["W1"] += np.outer(x[n], gz)
        grads["b1"] += gz
    return grads
'''),
    ("autoencoder", "correct", "own dense helpers named like dlkit's, einsum and np.where", '''
def dense_forward(x, W, b):
    return np.einsum("nd,dh->nh", x, W) + b


def dense_backward(dout, x, W):
    return dout @ W.T, np.einsum("nd,nh->dh", x, dout), dout.sum(0)


def ae_forward(x, params, activation="relu"):
    z = dense_forward(x, params["W1"], params["b1"])
    if activation == "relu":
        h = np.where(z > 0, z, 0.0)
    elif activation == "tanh":
        h = np.tanh(z)
    else:
        h = z.copy()
    x_hat = dense_forward(h, params["W2"], params["b2"])
    return np.mean(np.square(x - x_hat)), x_hat, [x, params, z, h, x_hat, activation]


def ae_backward(cache):
    x, params, z, h, x_hat, activation = cache
    d = 2 * (x_hat - x) / np.prod(x.shape)
    dh, dW2, db2 = dense_backward(d, h, params["W2"])
    deriv = {"relu": np.heaviside(z, 0.0), "tanh": 1 - np.tanh(z) ** 2, "linear": 1.0}[activation]
    _, dW1, db1 = dense_backward(dh * deriv, x, params["W1"])
    return dict(W1=dW1, b1=db1, W2=dW2, b2=db2)
'''),
    # -- Task 2: the InfoNCE loss -----------------------------------------------------------------------------------
    ("info_nce", "wrong", "the anchor's own similarity kept in the denominator (no k != i)",
     _edit(_NCE, "    np.fill_diagonal(s, -np.inf)\n", "")),
    ("info_nce", "wrong", "self-similarity 'removed' by setting the diagonal to 0 (e^0 = 1 is still a term)",
     _edit(_NCE, "np.fill_diagonal(s, -np.inf)", "np.fill_diagonal(s, 0.0)",
           "m = s.max(axis=1, keepdims=True)", "m = np.maximum(s.max(axis=1, keepdims=True), 0.0)")),
    ("info_nce", "wrong", "no L2 normalization: dot products instead of cosine similarities",
     _edit(_NCE, "u = z / np.linalg.norm(z, axis=1, keepdims=True)", "u = z")),
    ("info_nce", "wrong", "temperature applied twice: the similarities divided by tau**2",
     _edit(_NCE, "s = u @ u.T / temperature", "s = u @ u.T / temperature ** 2")),
    ("info_nce", "wrong", "only the N anchors of z1 (the mean over N rows, z2's anchors ignored)",
     _edit(_NCE, "return float(np.mean(lse - s[np.arange(n2), pos]))",
           "return float(np.mean((lse - s[np.arange(n2), pos])[: n2 // 2]))")),
    ("info_nce", "wrong", "naive log of a sum of exp (no max subtracted): inf - inf = nan at tau = 0.001",
     _edit(_NCE, "lse = m[:, 0] + np.log(np.exp(s - m).sum(axis=1))", "lse = np.log(np.exp(s).sum(axis=1))")),
    ("info_nce", "wrong", "the positive left out of the denominator (only the 2N - 2 negatives, as in DCL)", '''
def info_nce(z1, z2, temperature=0.5):
    z = np.concatenate([z1, z2])
    u = z / np.linalg.norm(z, axis=1, keepdims=True)
    s = u @ u.T / temperature
    n2 = len(z)
    pos = (np.arange(n2) + n2 // 2) % n2
    masked = s.copy()
    masked[np.arange(n2), np.arange(n2)] = -np.inf
    masked[np.arange(n2), pos] = -np.inf
    m = masked.max(axis=1)
    lse = m + np.log(np.exp(masked - m[:, None]).sum(axis=1))
    return float(np.mean(lse - s[np.arange(n2), pos]))
'''),
    ("info_nce", "wrong", "calls dlkit.np.functional.contrastive.info_nce_forward (policy: scores 0)", '''
from dlkit.np.functional.contrastive import info_nce_forward


def info_nce(z1, z2, temperature=0.5):
    return info_nce_forward(z1, z2, temperature)[0]
'''),
    ("info_nce", "correct", "one anchor at a time with scipy.special.logsumexp", '''
from scipy.special import logsumexp


def info_nce(z1, z2, temperature=0.5):
    z = np.vstack([z1, z2])
    z = z / np.sqrt((z ** 2).sum(axis=1))[:, None]
    n = len(z1)
    total = 0.0
    for i in range(2 * n):
        others = [k for k in range(2 * n) if k != i]
        s = z[others] @ z[i] / temperature
        total += logsumexp(s) - z[(i + n) % (2 * n)] @ z[i] / temperature
    return total / (2 * n)
'''),
    ("info_nce", "correct", "four blocks of similarities, a -1e9 mask, logaddexp.reduce, ||z|| + 1e-8", '''
def info_nce(z1, z2, temperature=0.5):
    a = z1 / (np.linalg.norm(z1, axis=-1, keepdims=True) + 1e-8)   # an epsilon "for safety"
    b = z2 / (np.linalg.norm(z2, axis=-1, keepdims=True) + 1e-8)
    n = a.shape[0]
    eye = np.eye(n) * 1e9
    logits_a = np.hstack([a @ b.T, a @ a.T - eye * temperature]) / temperature   # anchors of view 1
    logits_b = np.hstack([b @ a.T, b @ b.T - eye * temperature]) / temperature   # anchors of view 2
    loss = 0.0
    for logits in (logits_a, logits_b):
        lse = np.logaddexp.reduce(logits, axis=1)
        loss += np.sum(lse - np.diag(logits[:, :n]))
    return loss / (2 * n)
'''),
    # -- Task 3: the gradient of InfoNCE ----------------------------------------------------------------------------
    ("info_nce_grad", "wrong", "ignores the normalization: returns dL/du as dL/dz",
     _edit(_GRAD, "dz = (du - u * np.sum(u * du, axis=1, keepdims=True)) / norm", "dz = du")),
    ("info_nce_grad", "wrong", "projects on the tangent plane but forgets to divide by ||z||",
     _edit(_GRAD, "dz = (du - u * np.sum(u * du, axis=1, keepdims=True)) / norm",
           "dz = du - u * np.sum(u * du, axis=1, keepdims=True)")),
    ("info_nce_grad", "wrong", "forgets that u_k is also a key: dL/dU = G U / tau instead of (G + G^T) U / tau",
     _edit(_GRAD, "du = (g + g.T) @ u / temperature", "du = g @ u / temperature")),
    ("info_nce_grad", "wrong", "sign error: Y - P instead of P - Y",
     _edit(_GRAD, "du = (g + g.T) @ u / temperature", "du = -(g + g.T) @ u / temperature")),
    ("info_nce_grad", "wrong", "the gradient of the sum over anchors, not of the mean (no 1/(2N))",
     _edit(_GRAD, "    g /= n2\n", "")),
    ("info_nce_grad", "wrong", "softmax without subtracting the row maximum: nan at tau = 0.001",
     _edit(_GRAD, "p = np.exp(s - s.max(axis=1, keepdims=True))", "p = np.exp(s)")),
    ("info_nce_grad", "wrong", "central differences of info_nce instead of the analytic gradient (h = 1e-6)", '''
def info_nce_backward(z1, z2, temperature=0.5):
    grads = []
    for which in range(2):
        z = (z1, z2)[which].astype(float).copy()
        g = np.zeros_like(z)
        for idx in np.ndindex(z.shape):
            old = z[idx]
            z[idx] = old + 1e-6
            up = info_nce(*((z, z2) if which == 0 else (z1, z)), temperature)
            z[idx] = old - 1e-6
            down = info_nce(*((z, z2) if which == 0 else (z1, z)), temperature)
            z[idx] = old
            g[idx] = (up - down) / 2e-6
        grads.append(g)
    return grads[0], grads[1]
'''),
    ("info_nce_grad", "wrong", "calls dlkit's info_nce_forward/info_nce_backward (policy: scores 0)", '''
import dlkit.np.functional as F


def info_nce_backward(z1, z2, temperature=0.5):
    loss, cache = F.info_nce_forward(z1, z2, temperature)
    return F.info_nce_backward(1.0, cache)
'''),
    ("info_nce_grad", "correct", "one anchor at a time (query and key terms), tangent projection per row", '''
import math


def info_nce_backward(z1, z2, temperature=0.5):
    z = np.concatenate([z1, z2]).astype(float)
    n2 = len(z)
    norms = np.sqrt((z * z).sum(axis=1))
    u = z / norms[:, None]
    du = np.zeros_like(u)
    for i in range(n2):
        ks = [k for k in range(n2) if k != i]
        s = np.array([u[i] @ u[k] for k in ks]) / temperature
        w = np.exp(s - s.max())
        w /= w.sum()
        for k, wk in zip(ks, w):
            c = (wk - (k == (i + n2 // 2) % n2)) / (n2 * temperature)
            du[i] += c * u[k]
            du[k] += c * u[i]
    dz = np.stack([(du[i] - u[i] * (u[i] @ du[i])) / norms[i] for i in range(n2)])
    return dz[: n2 // 2], dz[n2 // 2:]
'''),
    ("info_nce_grad", "correct", "scipy softmax, boolean mask, Jacobian (I - u u^T)/||z|| in an einsum, ||z|| + 1e-8",
     '''
from scipy.special import softmax


def info_nce_backward(z1, z2, temperature=0.5):
    z = np.concatenate([z1, z2], axis=0)
    n2, D = z.shape
    r = np.linalg.norm(z, axis=1) + 1e-8                # an epsilon "for safety"
    u = z / r[:, None]
    logits = np.where(np.eye(n2, dtype=bool), -np.inf, u @ u.T / temperature)
    P = softmax(logits, axis=1)
    Y = np.roll(np.eye(n2), n2 // 2, axis=1)
    G = (P - Y) / n2
    dU = (G @ u + G.T @ u) / temperature
    J = (np.eye(D)[None] - np.einsum("ni,nj->nij", u, u)) / r[:, None, None]
    dz = np.einsum("nij,nj->ni", J, dU)
    return dz[: n2 // 2], dz[n2 // 2:]
'''),
]
