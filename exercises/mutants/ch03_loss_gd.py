"""Realistic answers to ch03_loss_gd (see ../mutation.py): (task, "wrong" | "correct", why, cell source)."""
ANSWERS = [
    # ---------------------------------------------------------------- Task 1: mse
    ("mse", "wrong", "sums instead of averaging", '''
def mse(y_pred, y_true):
    d = np.asarray(y_pred, dtype=float) - np.asarray(y_true, dtype=float)
    return float(np.sum(d ** 2)), 2 * d
'''),
    ("mse", "wrong", "averages over the rows only (len = shape[0]), fine for (n, 1) targets", '''
def mse(y_pred, y_true):
    d = y_pred - y_true
    n = len(d)
    return float(np.sum(d ** 2) / n), 2 * d / n
'''),
    ("mse", "wrong", "sums the last axis then averages over the batch (wrong axis)", '''
def mse(y_pred, y_true):
    d = y_pred - y_true
    per_sample = np.sum(d ** 2, axis=-1)
    return float(np.mean(per_sample)), 2 * d / per_sample.size
'''),
    ("mse", "wrong", "subtracts in place: modifies the caller's y_pred", '''
def mse(y_pred, y_true):
    d = y_pred
    d -= y_true
    return float(np.mean(d ** 2)), 2 * d / d.size
'''),
    ("mse", "wrong", "forgets the factor 2 of the derivative", '''
def mse(y_pred, y_true):
    d = y_pred - y_true
    return float(np.mean(d ** 2)), d / d.size
'''),
    ("mse", "wrong", "gradient with the wrong sign (y_true - y_pred)", '''
def mse(y_pred, y_true):
    d = y_true - y_pred
    return float(np.mean(d ** 2)), 2 * d / d.size
'''),
    ("mse", "wrong", "one-line call to dlkit's MeanSquaredError", '''
def mse(y_pred, y_true):
    loss = dnp.losses.MeanSquaredError()
    return float(loss(y_true, y_pred)), loss.backward()
'''),
    ("mse", "wrong", "unpacks n, m = y_pred.shape: works for 2-D arrays only", '''
def mse(y_pred, y_true):
    n, m = y_pred.shape
    d = y_pred - y_true
    return float(np.sum(d ** 2) / (n * m)), 2 * d / (n * m)
'''),
    ("mse", "correct", "loops over the flattened entries", '''
def mse(y_pred, y_true):
    p, t = np.ravel(y_pred).astype(float), np.ravel(y_true).astype(float)
    total, grad = 0.0, np.empty_like(p)
    for i in range(p.size):
        total += (p[i] - t[i]) ** 2
        grad[i] = 2 * (p[i] - t[i]) / p.size
    return total / p.size, grad.reshape(np.shape(y_pred))
'''),
    ("mse", "correct", "np.subtract into a new array, vdot for the sum of squares", '''
def mse(y_pred, y_true):
    diff = np.subtract(y_pred, y_true, dtype=np.float64)
    n = np.size(diff)
    return np.vdot(diff, diff) / n, (2.0 / n) * diff
'''),
    ("mse", "correct", "float32 arithmetic (precise enough for an MSE)", '''
def mse(y_pred, y_true):
    d = np.asarray(y_pred, dtype=np.float32) - np.asarray(y_true, dtype=np.float32)
    return float(np.mean(d * d)), np.float32(2) * d / np.float32(d.size)
'''),

    # ---------------------------------------------------------------- Task 2: softmax_cross_entropy
    ("softmax_cross_entropy", "wrong", "no max subtraction: exp(1000) overflows", '''
def softmax_cross_entropy(z, y):
    n = z.shape[0]
    e = np.exp(z)
    p = e / e.sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(p[np.arange(n), y]))
    dz = p.copy()
    dz[np.arange(n), y] -= 1
    return float(loss), dz / n
'''),
    ("softmax_cross_entropy", "wrong", "subtracts the global max, not each row's: a row near -1000 underflows", '''
def softmax_cross_entropy(z, y):
    n = z.shape[0]
    shifted = z - np.max(z)
    log_p = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    dz = np.exp(log_p)
    dz[np.arange(n), y] -= 1
    return float(-np.mean(log_p[np.arange(n), y])), dz / n
'''),
    ("softmax_cross_entropy", "wrong", "stable loss but dz from the unshifted exp (nan for large logits)", '''
def softmax_cross_entropy(z, y):
    n = z.shape[0]
    shifted = z - z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_p[np.arange(n), y].mean()
    e = np.exp(z)
    dz = e / e.sum(axis=1, keepdims=True)
    dz[np.arange(n), y] -= 1
    return float(loss), dz / n
'''),
    ("softmax_cross_entropy", "wrong", "shifts z in place: modifies the caller's logits", '''
def softmax_cross_entropy(z, y):
    n = len(y)
    z -= z.max(axis=1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    dz = np.exp(log_p)
    dz[np.arange(n), y] -= 1
    return float(-log_p[np.arange(n), y].mean()), dz / n
'''),
    ("softmax_cross_entropy", "wrong", "np.empty_like(z) keeps an integer dtype for integer logits", '''
def softmax_cross_entropy(z, y):
    n = z.shape[0]
    dz = np.empty_like(z)
    loss = 0.0
    for i in range(n):
        s = z[i] - np.max(z[i])
        log_p = s - np.log(np.sum(np.exp(s)))
        loss -= log_p[y[i]]
        dz[i] = np.exp(log_p)
        dz[i, y[i]] -= 1
    return loss / n, dz / n
'''),
    ("softmax_cross_entropy", "wrong", "centres each row by its mean instead of its max: exp(800) still overflows", '''
def softmax_cross_entropy(z, y):
    n = z.shape[0]
    c = z - z.mean(axis=1, keepdims=True)
    log_p = c - np.log(np.exp(c).sum(axis=1, keepdims=True))
    dz = np.exp(log_p)
    dz[np.arange(n), y] -= 1
    return float(-log_p[np.arange(n), y].mean()), dz / n
'''),
    ("softmax_cross_entropy", "wrong", "forgets the 1/n of the mean in dz", '''
def softmax_cross_entropy(z, y):
    n = z.shape[0]
    shifted = z - z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    dz = np.exp(log_p)
    dz[np.arange(n), y] -= 1
    return float(-log_p[np.arange(n), y].mean()), dz
'''),
    ("softmax_cross_entropy", "wrong", "log of the clipped softmax: loses the loss of very wrong predictions", '''
def softmax_cross_entropy(z, y):
    n = z.shape[0]
    e = np.exp(z - z.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(np.clip(p[np.arange(n), y], 1e-12, 1.0)))
    dz = p.copy()
    dz[np.arange(n), y] -= 1
    return float(loss), dz / n
'''),
    ("softmax_cross_entropy", "wrong", "one-line call to dlkit's SparseCategoricalCrossentropy", '''
def softmax_cross_entropy(z, y):
    loss = dnp.losses.SparseCategoricalCrossentropy(from_logits=True)
    return float(loss(y, z)), loss.backward()
'''),
    ("softmax_cross_entropy", "wrong", "uses dlkit's log_softmax for the stable part", '''
from dlkit.np.losses import log_softmax


def softmax_cross_entropy(z, y):
    z = np.asarray(z, dtype=float)
    n = z.shape[0]
    log_p = log_softmax(z, axis=1)
    dz = np.exp(log_p)
    dz[np.arange(n), y] -= 1
    return float(-log_p[np.arange(n), y].mean()), dz / n
'''),
    ("softmax_cross_entropy", "correct", "row by row with np.eye one-hot labels", '''
def softmax_cross_entropy(z, y):
    z = np.array(z, dtype=np.float64)
    n, c = z.shape
    onehot = np.eye(c)[y]
    loss, dz = 0.0, np.zeros_like(z)
    for i in range(n):
        m = z[i].max()
        lse = m + np.log(np.sum(np.exp(z[i] - m)))
        loss += lse - z[i] @ onehot[i]
        dz[i] = np.exp(z[i] - lse) - onehot[i]
    return loss / n, dz / n
'''),
    ("softmax_cross_entropy", "correct", "np.logaddexp.reduce for the log-sum-exp, take_along_axis", '''
def softmax_cross_entropy(z, y):
    z = np.asarray(z, dtype=float)
    y = np.asarray(y)
    lse = np.logaddexp.reduce(z, axis=1, keepdims=True)
    log_p = z - lse
    loss = -np.take_along_axis(log_p, y[:, None], axis=1).mean()
    onehot = (np.arange(z.shape[1]) == y[:, None])
    return float(loss), (np.exp(log_p) - onehot) / len(y)
'''),
    ("softmax_cross_entropy", "correct", "float32 arithmetic (stable, accurate enough)", '''
def softmax_cross_entropy(z, y):
    z = np.asarray(z, dtype=np.float32)
    n = z.shape[0]
    shifted = z - z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    dz = np.exp(log_p)
    dz[np.arange(n), y] -= 1
    return float(-log_p[np.arange(n), y].mean()), dz / np.float32(n)
'''),

    # ---------------------------------------------------------------- Task 3: fit_linear_gd
    ("fit_linear_gd", "wrong", "records the loss after the update", '''
def fit_linear_gd(X, y, lr=0.1, epochs=100):
    n, d = X.shape
    w, b, losses = np.zeros(d), 0.0, []
    for _ in range(epochs):
        err = X @ w + b - y
        w = w - lr * 2 / n * (X.T @ err)
        b = b - lr * 2 / n * err.sum()
        losses.append(float(np.mean((X @ w + b - y) ** 2)))
    return w, b, losses
'''),
    ("fit_linear_gd", "wrong", "forgets the factor 2 in both gradients (still converges on the toy data)", '''
def fit_linear_gd(X, y, lr=0.1, epochs=100):
    n, d = X.shape
    w, b, losses = np.zeros(d), 0.0, []
    for _ in range(epochs):
        err = X @ w + b - y
        losses.append(np.mean(err ** 2))
        w = w - lr * (X.T @ err) / n
        b = b - lr * err.mean()
    return w, b, losses
'''),
    ("fit_linear_gd", "wrong", "updates b with the error of the already-updated w", '''
def fit_linear_gd(X, y, lr=0.1, epochs=100):
    n, d = X.shape
    w, b, losses = np.zeros(d), 0.0, []
    for _ in range(epochs):
        err = X @ w + b - y
        losses.append(np.mean(err ** 2))
        w -= lr * 2 / n * (X.T @ err)
        err = X @ w + b - y
        b -= lr * 2 / n * np.sum(err)
    return w, b, losses
'''),
    ("fit_linear_gd", "wrong", "stochastic updates, one sample at a time, instead of full batch", '''
def fit_linear_gd(X, y, lr=0.1, epochs=100):
    n, d = X.shape
    w, b, losses = np.zeros(d), 0.0, []
    for _ in range(epochs):
        losses.append(np.mean((X @ w + b - y) ** 2))
        for i in range(n):
            e = X[i] @ w + b - y[i]
            w = w - lr * 2 * e * X[i] / n
            b = b - lr * 2 * e / n
    return w, b, losses
'''),
    ("fit_linear_gd", "wrong", "divides the mse gradient by n a second time", '''
def fit_linear_gd(X, y, lr=0.1, epochs=100):
    n, d = X.shape
    w, b, losses = np.zeros(d), 0.0, []
    for _ in range(epochs):
        loss, g = mse(X @ w + b, y)
        losses.append(loss)
        w = w - lr * (X.T @ g) / n
        b = b - lr * g.sum() / n
    return w, b, losses
'''),
    ("fit_linear_gd", "wrong", "one epoch too many (range(epochs + 1))", '''
def fit_linear_gd(X, y, lr=0.1, epochs=100):
    n, d = X.shape
    w, b, losses = np.zeros(d), 0.0, []
    for _ in range(epochs + 1):
        err = X @ w + b - y
        losses.append(np.mean(err ** 2))
        w, b = w - lr * 2 / n * (X.T @ err), b - lr * 2 / n * err.sum()
    return w, b, losses
'''),
    ("fit_linear_gd", "wrong", "centres X in place (modifies the caller's X, and fits another model)", '''
def fit_linear_gd(X, y, lr=0.1, epochs=100):
    n, d = X.shape
    X -= X.mean(axis=0)
    w, b, losses = np.zeros(d), 0.0, []
    for _ in range(epochs):
        err = X @ w + b - y
        losses.append(np.mean(err ** 2))
        w, b = w - lr * 2 / n * (X.T @ err), b - lr * 2 / n * err.sum()
    return w, b, losses
'''),
    ("fit_linear_gd", "correct", "uses the student's mse and its gradient (the chain rule)", '''
def fit_linear_gd(X, y, lr=0.1, epochs=100):
    n, d = X.shape
    w, b, losses = np.zeros(d), 0.0, []
    for _ in range(epochs):
        loss, g = mse(X @ w + b, y)
        losses.append(loss)
        w, b = w - lr * X.T @ g, b - lr * np.sum(g)
    return w, b, losses
'''),
    ("fit_linear_gd", "correct", "bias folded into an augmented design matrix, einsum gradient", '''
def fit_linear_gd(X, y, lr=0.1, epochs=100):
    Xa = np.hstack([X, np.ones((X.shape[0], 1))])
    theta = np.zeros(Xa.shape[1])
    losses = []
    for _ in range(epochs):
        r = Xa @ theta - y
        losses.append(r @ r / len(y))
        theta = theta - lr * 2 * np.einsum("ij,i->j", Xa, r) / len(y)
    return theta[:-1], float(theta[-1]), losses
'''),
    ("fit_linear_gd", "correct", "in-place updates on its own w, y_hat - y written as residual = y - y_hat", '''
def fit_linear_gd(X, y, lr=0.1, epochs=100):
    X = np.asarray(X, dtype=float)
    n = len(y)
    w = np.zeros(X.shape[1])
    b = 0.0
    losses = []
    for epoch in range(epochs):
        residual = y - (X.dot(w) + b)
        losses.append(np.mean(residual ** 2))
        grad_w = -2 * X.T.dot(residual) / n
        grad_b = -2 * residual.mean()
        w -= lr * grad_w
        b -= lr * grad_b
    return w, b, losses
'''),
]
