"""Realistic answers to ch04_backprop (see ../mutation.py): (task, "wrong" | "correct", why, cell source)."""
ANSWERS = [
    # ---------------------------------------------------------------- Task 1: dense
    ("dense", "wrong", "db averages over the batch instead of summing (right for n = 1 only)", '''
def dense_forward(x, W, b):
    return x @ W + b, (x, W, b)


def dense_backward(dout, cache):
    x, W, b = cache
    return dout @ W.T, x.T @ dout, dout.mean(axis=0)
'''),
    ("dense", "wrong", "divides dW by the batch size", '''
def dense_forward(x, W, b):
    return x @ W + b, (x, W, b)


def dense_backward(dout, cache):
    x, W, b = cache
    n = x.shape[0]
    return dout @ W.T, x.T @ dout / n, dout.sum(axis=0)
'''),
    ("dense", "wrong", "cache holds only x; the backward pass reads the notebook's global W", '''
def dense_forward(x, W, b):
    return x @ W + b, x


def dense_backward(dout, cache):
    x = cache
    return dout @ W.T, x.T @ dout, dout.sum(axis=0)
'''),
    ("dense", "wrong", "dW as np.outer(x, dout): the single-sample formula", '''
def dense_forward(x, W, b):
    return x @ W + b, (x, W)


def dense_backward(dout, cache):
    x, W = cache
    return dout @ W.T, np.outer(x, dout), np.sum(dout, axis=0)
'''),
    ("dense", "wrong", "dW transposed (dout.T @ x), shape (m, d)", '''
def dense_forward(x, W, b):
    return x @ W + b, (x, W, b)


def dense_backward(dout, cache):
    x, W, b = cache
    return dout @ W.T, dout.T @ x, dout.sum(axis=0)
'''),
    ("dense", "wrong", "db with keepdims=True: shape (1, m) instead of (m,)", '''
def dense_forward(x, W, b):
    return x @ W + b, (x, W, b)


def dense_backward(dout, cache):
    x, W, b = cache
    return dout @ W.T, x.T @ dout, dout.sum(axis=0, keepdims=True)
'''),
    ("dense", "wrong", "one-line calls to dlkit's dense_forward / dense_backward", '''
from dlkit.np.functional import dense_forward as _fwd, dense_backward as _bwd


def dense_forward(x, W, b):
    return _fwd(x, W, b)


def dense_backward(dout, cache):
    return _bwd(dout, cache)
'''),
    ("dense", "correct", "einsum with the index formulas, cache as a dict", '''
def dense_forward(x, W, b):
    out = np.einsum("ik,kj->ij", x, W) + b[None, :]
    return out, {"x": x, "W": W}


def dense_backward(dout, cache):
    dx = np.einsum("ij,kj->ik", dout, cache["W"])
    dW = np.einsum("ik,ij->kj", cache["x"], dout)
    db = np.einsum("ij->j", dout)
    return dx, dW, db
'''),
    ("dense", "correct", "accumulates dW sample by sample with outer products", '''
def dense_forward(x, W, b):
    out = np.dot(x, W)
    out += b
    return out, (x.copy(), W.copy())


def dense_backward(dout, cache):
    x, W = cache
    dW = np.zeros_like(W, dtype=float)
    for i in range(x.shape[0]):
        dW += np.outer(x[i], dout[i])
    return np.dot(dout, W.T), dW, dout.sum(axis=0)
'''),

    # ---------------------------------------------------------------- Task 2: two_layer
    ("two_layer", "wrong", "ReLU mask a >= 0: passes the gradient at exactly 0", '''
def two_layer_loss(X, y, params):
    n = X.shape[0]
    a, c1 = dense_forward(X, params["W1"], params["b1"])
    h = np.maximum(a, 0)
    z, c2 = dense_forward(h, params["W2"], params["b2"])
    shifted = z - z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_p[np.arange(n), y].mean()
    dz = np.exp(log_p)
    dz[np.arange(n), y] -= 1
    dh, dW2, db2 = dense_backward(dz / n, c2)
    _, dW1, db1 = dense_backward(dh * (a >= 0), c1)
    return float(loss), {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
'''),
    ("two_layer", "wrong", "forgets the ReLU mask in the backward pass", '''
def two_layer_loss(X, y, params):
    n = X.shape[0]
    a, c1 = dense_forward(X, params["W1"], params["b1"])
    h = np.maximum(a, 0)
    z, c2 = dense_forward(h, params["W2"], params["b2"])
    shifted = z - z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_p[np.arange(n), y].mean()
    dz = np.exp(log_p)
    dz[np.arange(n), y] -= 1
    dh, dW2, db2 = dense_backward(dz / n, c2)
    _, dW1, db1 = dense_backward(dh, c1)
    return float(loss), {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
'''),
    ("two_layer", "wrong", "softmax without subtracting the max: overflows for logits ~1000", '''
def two_layer_loss(X, y, params):
    n = X.shape[0]
    a, c1 = dense_forward(X, params["W1"], params["b1"])
    h = np.maximum(a, 0)
    z, c2 = dense_forward(h, params["W2"], params["b2"])
    e = np.exp(z)
    p = e / e.sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(p[np.arange(n), y]))
    dz = p.copy()
    dz[np.arange(n), y] -= 1
    dh, dW2, db2 = dense_backward(dz / n, c2)
    _, dW1, db1 = dense_backward(dh * (a > 0), c1)
    return float(loss), {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
'''),
    ("two_layer", "wrong", "writes layer 1 by hand: db1 from dh before the ReLU mask", '''
def two_layer_loss(X, y, params):
    n = X.shape[0]
    a = X @ params["W1"] + params["b1"]
    h = np.maximum(a, 0)
    z, c2 = dense_forward(h, params["W2"], params["b2"])
    shifted = z - z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_p[np.arange(n), y].mean()
    dz = np.exp(log_p)
    dz[np.arange(n), y] -= 1
    dh, dW2, db2 = dense_backward(dz / n, c2)
    dW1 = X.T @ (dh * (a > 0))
    db1 = dh.sum(axis=0)
    return float(loss), {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
'''),
    ("two_layer", "wrong", "forgets the 1/n of the mean in dL/dz", '''
def two_layer_loss(X, y, params):
    n = X.shape[0]
    a, c1 = dense_forward(X, params["W1"], params["b1"])
    h = np.maximum(a, 0)
    z, c2 = dense_forward(h, params["W2"], params["b2"])
    shifted = z - z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_p[np.arange(n), y].mean()
    dz = np.exp(log_p)
    dz[np.arange(n), y] -= 1
    dh, dW2, db2 = dense_backward(dz, c2)
    _, dW1, db1 = dense_backward(dh * (a > 0), c1)
    return float(loss), {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
'''),
    ("two_layer", "wrong", "softmax normalised over the batch axis (axis=0)", '''
def two_layer_loss(X, y, params):
    n = X.shape[0]
    a, c1 = dense_forward(X, params["W1"], params["b1"])
    h = np.maximum(a, 0)
    z, c2 = dense_forward(h, params["W2"], params["b2"])
    shifted = z - z.max(axis=0, keepdims=True)
    p = np.exp(shifted) / np.exp(shifted).sum(axis=0, keepdims=True)
    loss = -np.log(p[np.arange(n), y]).mean()
    dz = p.copy()
    dz[np.arange(n), y] -= 1
    dh, dW2, db2 = dense_backward(dz / n, c2)
    _, dW1, db1 = dense_backward(dh * (a > 0), c1)
    return float(loss), {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
'''),
    ("two_layer", "wrong", "W2 gradient transposed (dz.T @ h)", '''
def two_layer_loss(X, y, params):
    n = X.shape[0]
    a, c1 = dense_forward(X, params["W1"], params["b1"])
    h = np.maximum(a, 0)
    z, _ = dense_forward(h, params["W2"], params["b2"])
    shifted = z - z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_p[np.arange(n), y].mean()
    dz = (np.exp(log_p) - np.eye(z.shape[1])[y]) / n
    dW2, db2 = dz.T @ h, dz.sum(axis=0)
    dh = dz @ params["W2"].T
    _, dW1, db1 = dense_backward(dh * (a > 0), c1)
    return float(loss), {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
'''),
    ("two_layer", "wrong", "delegates the loss and dL/dz to dlkit's SparseCategoricalCrossentropy", '''
def two_layer_loss(X, y, params):
    a, c1 = dense_forward(X, params["W1"], params["b1"])
    z, c2 = dense_forward(np.maximum(a, 0), params["W2"], params["b2"])
    ce = dnp.losses.SparseCategoricalCrossentropy(from_logits=True)
    loss = ce(y, z)
    dh, dW2, db2 = dense_backward(ce.backward(), c2)
    _, dW1, db1 = dense_backward(dh * (a > 0), c1)
    return float(loss), {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}
'''),
    ("two_layer", "correct", "mask from the ReLU output (h > 0), one-hot with np.eye", '''
def two_layer_loss(X, y, params):
    n = len(y)
    a, cache1 = dense_forward(X, params["W1"], params["b1"])
    h = np.where(a > 0, a, 0.0)
    z, cache2 = dense_forward(h, params["W2"], params["b2"])
    m = np.max(z, axis=1, keepdims=True)
    lse = m + np.log(np.sum(np.exp(z - m), axis=1, keepdims=True))
    onehot = np.eye(z.shape[1])[y]
    loss = np.sum(onehot * (lse - z)) / n
    dz = (np.exp(z - lse) - onehot) / n
    dh, dW2, db2 = dense_backward(dz, cache2)
    da = np.where(h > 0, dh, 0.0)
    dX, dW1, db1 = dense_backward(da, cache1)
    return loss, dict(W1=dW1, b1=db1, W2=dW2, b2=db2)
'''),
    ("two_layer", "correct", "no Dense helpers: plain matrix products written out", '''
def two_layer_loss(X, y, params):
    W1, b1, W2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    n = X.shape[0]
    a = X @ W1 + b1
    mask = a > 0
    h = a * mask
    z = h @ W2 + b2
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    loss = np.mean(np.log(np.exp(z).sum(axis=1)) - z[np.arange(n), y])
    p[np.arange(n), y] -= 1
    dz = p / n
    dh = dz @ W2.T
    da = dh * mask
    return float(loss), {"W1": X.T @ da, "b1": da.sum(0), "W2": h.T @ dz, "b2": dz.sum(0)}
'''),

    # ---------------------------------------------------------------- Task 3: gradcheck
    ("gradcheck", "wrong", "forward differences (f(x + h) - f(x)) / h", '''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    fx = f(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        grad[i] = (f(x) - fx) / h
        x[i] = old
    return grad


def relative_error(a, b):
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))
'''),
    ("gradcheck", "wrong", "restores x only at the end: each entry is evaluated with the earlier ones moved", '''
def numerical_gradient(f, x, h=1e-5):
    x0 = x.copy()
    grad = np.zeros_like(x, dtype=float)
    for i in np.ndindex(x.shape):
        x[i] = x0[i] + h
        fp = f(x)
        x[i] = x0[i] - h
        fm = f(x)
        grad[i] = (fp - fm) / (2 * h)
    x[...] = x0
    return grad


def relative_error(a, b):
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))
'''),
    ("gradcheck", "wrong", "never restores x", '''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x, dtype=float)
    for i in np.ndindex(x.shape):
        x[i] += h
        fp = f(x)
        x[i] -= 2 * h
        fm = f(x)
        grad[i] = (fp - fm) / (2 * h)
    return grad


def relative_error(a, b):
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))
'''),
    ("gradcheck", "wrong", "loops over the first axis only (range(len(x)))", '''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros_like(x, dtype=float)
    for i in range(len(x)):
        old = x[i].copy()
        x[i] = old + h
        fp = f(x)
        x[i] = old - h
        fm = f(x)
        x[i] = old
        grad[i] = (fp - fm) / (2 * h)
    return grad


def relative_error(a, b):
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))
'''),
    ("gradcheck", "wrong", "ignores the argument h (uses a fixed 1e-5)", '''
def numerical_gradient(f, x, h=1e-5):
    eps = 1e-5
    grad = np.zeros_like(x, dtype=float)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        fp = f(x)
        x[i] = old - eps
        fm = f(x)
        x[i] = old
        grad[i] = (fp - fm) / (2 * eps)
    return grad


def relative_error(a, b):
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))
'''),
    ("gradcheck", "wrong", "perturbs x.reshape(-1): a copy, not a view, when x is not contiguous", '''
def numerical_gradient(f, x, h=1e-5):
    flat = x.reshape(-1)
    grad = np.zeros(flat.size)
    for k in range(flat.size):
        old = flat[k]
        flat[k] = old + h
        fp = f(x)
        flat[k] = old - h
        fm = f(x)
        flat[k] = old
        grad[k] = (fp - fm) / (2 * h)
    return grad.reshape(x.shape)


def relative_error(a, b):
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))
'''),
    ("gradcheck", "wrong", "relative_error without the 1e-8 floor: nan for zeros", '''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape, dtype=float)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        fp = f(x)
        x[i] = old - h
        fm = f(x)
        x[i] = old
        grad[i] = (fp - fm) / (2 * h)
    return grad


def relative_error(a, b):
    return float(np.max(np.abs(a - b) / (np.abs(a) + np.abs(b))))
'''),
    ("gradcheck", "wrong", "relative_error as max |a - b| over max (|a| + |b|)", '''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape, dtype=float)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        fp = f(x)
        x[i] = old - h
        fm = f(x)
        x[i] = old
        grad[i] = (fp - fm) / (2 * h)
    return grad


def relative_error(a, b):
    return float(np.max(np.abs(a - b)) / max(1e-8, np.max(np.abs(a) + np.abs(b))))
'''),
    ("gradcheck", "wrong", "relative_error with |a + b| in the denominator", '''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape, dtype=float)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        fp = f(x)
        x[i] = old - h
        fm = f(x)
        x[i] = old
        grad[i] = (fp - fm) / (2 * h)
    return grad


def relative_error(a, b):
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a + b))))
'''),
    ("gradcheck", "wrong", "one-line calls to dlkit.gradcheck", '''
from dlkit.gradcheck import eval_numerical_gradient, rel_error


def numerical_gradient(f, x, h=1e-5):
    return eval_numerical_gradient(f, x, h=h)


def relative_error(a, b):
    return rel_error(a, b)
'''),
    ("gradcheck", "wrong", "relative_error returns the mean ratio", '''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape, dtype=float)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        fp = f(x)
        x[i] = old - h
        fm = f(x)
        x[i] = old
        grad[i] = (fp - fm) / (2 * h)
    return grad


def relative_error(a, b):
    return float(np.mean(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))
'''),
    ("gradcheck", "wrong", "perturbs a float32 copy of x: the step h drowns in float32 rounding", '''
def numerical_gradient(f, x, h=1e-5):
    x32 = x.astype(np.float32)
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        old = x32[i]
        x32[i] = old + h
        fp = f(x32)
        x32[i] = old - h
        fm = f(x32)
        x32[i] = old
        grad[i] = (fp - fm) / (2 * h)
    return grad


def relative_error(a, b):
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))
'''),
    ("gradcheck", "correct", "works on copies of x (x itself is never touched), np.nditer", '''
def numerical_gradient(f, x, h=1e-5):
    grad = np.empty(x.shape)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        xp, xm = x.copy(), x.copy()
        xp[i] += h
        xm[i] -= h
        grad[i] = (f(xp) - f(xm)) / (2 * h)
    return grad


def relative_error(a, b):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    num = np.abs(a - b)
    den = np.maximum(np.abs(a) + np.abs(b), 1e-8)
    return float((num / den).max())
'''),
    ("gradcheck", "correct", "flat index with np.unravel_index, x[i] += h / -= 2h / += h", '''
def numerical_gradient(f, x, h=1e-5):
    grad = np.zeros(x.shape)
    for k in range(x.size):
        i = np.unravel_index(k, x.shape)
        x[i] += h
        fp = f(x)
        x[i] -= 2 * h
        fm = f(x)
        x[i] += h
        grad[i] = (fp - fm) / (2 * h)
    return grad


def relative_error(a, b):
    ratios = [abs(p - q) / max(1e-8, abs(p) + abs(q)) for p, q in zip(np.ravel(a), np.ravel(b))]
    return max(ratios)
'''),
]
