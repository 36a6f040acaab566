"""Realistic answers to ch01_perceptron (see ../mutation.py): (task, "wrong" | "correct", why, cell source)."""
ANSWERS = [
    # ---- Task 1: perceptron_predict -------------------------------------------------------------------------
    ("perceptron_predict", "wrong", "z >= 0: points on the boundary predicted as class 1", '''
def perceptron_predict(X, w, b):
    """Perceptron predictions (0 or 1) for every row of X; shape (n,)."""
    return (np.asarray(X) @ np.asarray(w) + b >= 0).astype(int)
'''),
    ("perceptron_predict", "wrong", "returns the boolean comparison, not integers", '''
def perceptron_predict(X, w, b):
    """Perceptron predictions (0 or 1) for every row of X; shape (n,)."""
    return np.asarray(X) @ np.asarray(w) + b > 0
'''),
    ("perceptron_predict", "wrong", "sums over the wrong axis (one value per feature)", '''
def perceptron_predict(X, w, b):
    """Perceptron predictions (0 or 1) for every row of X; shape (n,)."""
    z = np.sum(np.asarray(X) * w, axis=0) + b
    return (z > 0).astype(int)
'''),
    ("perceptron_predict", "wrong", "multiplies X by w in place (modifies the caller's X)", '''
def perceptron_predict(X, w, b):
    """Perceptron predictions (0 or 1) for every row of X; shape (n,)."""
    X = np.asarray(X)
    X *= w
    return (X.sum(axis=1) + b > 0).astype(int)
'''),
    ("perceptron_predict", "wrong", "computes z in float32: points near the boundary flip", '''
def perceptron_predict(X, w, b):
    """Perceptron predictions (0 or 1) for every row of X; shape (n,)."""
    X32, w32 = np.asarray(X, dtype=np.float32), np.asarray(w, dtype=np.float32)
    z = X32 @ w32 + np.float32(b)
    return (z > 0).astype(int)
'''),
    ("perceptron_predict", "wrong", "casts X to int to get an integer result", '''
def perceptron_predict(X, w, b):
    """Perceptron predictions (0 or 1) for every row of X; shape (n,)."""
    X = np.asarray(X, dtype=int)
    return (X @ w + b > 0).astype(int)
'''),
    ("perceptron_predict", "wrong", "np.sign: predicts -1 for class 0", '''
def perceptron_predict(X, w, b):
    """Perceptron predictions (0 or 1) for every row of X; shape (n,)."""
    return np.sign(np.asarray(X) @ np.asarray(w) + b).astype(int)
'''),
    ("perceptron_predict", "wrong", "a tolerance against rounding noise: z > 1e-9", '''
def perceptron_predict(X, w, b):
    """Perceptron predictions (0 or 1) for every row of X; shape (n,)."""
    z = np.asarray(X) @ np.asarray(w) + b
    return (z > 1e-9).astype(int)
'''),
    ("perceptron_predict", "wrong", "treats values np.isclose to 0 as on the boundary", '''
def perceptron_predict(X, w, b):
    """Perceptron predictions (0 or 1) for every row of X; shape (n,)."""
    z = np.asarray(X) @ np.asarray(w) + b
    return ((z > 0) & ~np.isclose(z, 0)).astype(int)
'''),
    ("perceptron_predict", "wrong", "delegates to dlkit.np.Perceptron", '''
def perceptron_predict(X, w, b):
    """Perceptron predictions (0 or 1) for every row of X; shape (n,)."""
    p = dnp.Perceptron()
    p.w_, p.b_, p.classes_ = np.asarray(w, dtype=float), float(b), np.array([0, 1])
    return p.predict(X)
'''),
    ("perceptron_predict", "correct", "einsum and np.where", '''
def perceptron_predict(X, w, b):
    """Perceptron predictions (0 or 1) for every row of X; shape (n,)."""
    z = np.einsum("nd,d->n", np.asarray(X, dtype=np.float64), np.asarray(w, dtype=np.float64)) + b
    return np.where(z > 0, 1, 0)
'''),
    ("perceptron_predict", "correct", "a Python loop over the rows", '''
def perceptron_predict(X, w, b):
    """Perceptron predictions (0 or 1) for every row of X; shape (n,)."""
    out = []
    for x in np.asarray(X, dtype=float):
        out.append(1 if np.dot(x, w) + b > 0 else 0)
    return np.array(out, dtype=np.int64)
'''),
    ("perceptron_predict", "correct", "np.dot and np.heaviside with value 0 on the boundary, int32 result", '''
def perceptron_predict(X, w, b):
    """Perceptron predictions (0 or 1) for every row of X; shape (n,)."""
    z = np.dot(np.asarray(X, dtype=float), w) + b
    return np.heaviside(z, 0).astype(np.int32)
'''),
    # ---- Task 2: perceptron_update --------------------------------------------------------------------------
    ("perceptron_update", "wrong", "t * z < 0: the boundary is not a mistake", '''
def perceptron_update(w, b, x, y, lr=1.0):
    """One perceptron learning step on example (x, y); returns (new_w, new_b)."""
    w, x = np.asarray(w, dtype=float), np.asarray(x, dtype=float)
    t = 1.0 if y == 1 else -1.0
    if t * (x @ w + b) < 0:
        return w + lr * t * x, b + lr * t
    return w.copy(), b
'''),
    ("perceptron_update", "wrong", "uses y instead of t in the mistake test (every negative is a mistake)", '''
def perceptron_update(w, b, x, y, lr=1.0):
    """One perceptron learning step on example (x, y); returns (new_w, new_b)."""
    w, x = np.asarray(w, dtype=float), np.asarray(x, dtype=float)
    t = 1.0 if y == 1 else -1.0
    if y * (x @ w + b) <= 0:
        return w + lr * t * x, b + lr * t
    return w.copy(), b
'''),
    ("perceptron_update", "wrong", "operator precedence: t * (w . x) + b instead of t * (w . x + b)", '''
def perceptron_update(w, b, x, y, lr=1.0):
    """One perceptron learning step on example (x, y); returns (new_w, new_b)."""
    w, x = np.asarray(w, dtype=float), np.asarray(x, dtype=float)
    t = 2 * y - 1
    if t * np.dot(w, x) + b <= 0:
        return w + lr * t * x, b + lr * t
    return w.copy(), b
'''),
    ("perceptron_update", "wrong", "returns the caller's w itself when there is no mistake", '''
def perceptron_update(w, b, x, y, lr=1.0):
    """One perceptron learning step on example (x, y); returns (new_w, new_b)."""
    w, x = np.asarray(w, dtype=float), np.asarray(x, dtype=float)
    t = 1.0 if y == 1 else -1.0
    if t * (x @ w + b) <= 0:
        return w + lr * t * x, b + lr * t
    return w, b
'''),
    ("perceptron_update", "wrong", "scales x in place (modifies the caller's x)", '''
def perceptron_update(w, b, x, y, lr=1.0):
    """One perceptron learning step on example (x, y); returns (new_w, new_b)."""
    w, x = np.asarray(w, dtype=float), np.asarray(x, dtype=float)
    t = 1.0 if y == 1 else -1.0
    if t * (x @ w + b) <= 0:
        x *= lr * t
        return w + x, b + lr * t
    return w.copy(), b
'''),
    ("perceptron_update", "wrong", "forgets the learning rate in the bias update", '''
def perceptron_update(w, b, x, y, lr=1.0):
    """One perceptron learning step on example (x, y); returns (new_w, new_b)."""
    w, x = np.asarray(w, dtype=float), np.asarray(x, dtype=float)
    t = 1.0 if y == 1 else -1.0
    if t * (x @ w + b) <= 0:
        return w + lr * t * x, b + t
    return w.copy(), b
'''),
    ("perceptron_update", "wrong", "mistake = prediction != y (Rosenblatt's y - y_hat): misses z == 0 with y = 0", '''
def perceptron_update(w, b, x, y, lr=1.0):
    """One perceptron learning step on example (x, y); returns (new_w, new_b)."""
    w, x = np.asarray(w, dtype=float), np.asarray(x, dtype=float)
    y_hat = 1 if x @ w + b > 0 else 0
    return w + lr * (y - y_hat) * x, b + lr * (y - y_hat)
'''),
    ("perceptron_update", "wrong", "updates w in place with +=", '''
def perceptron_update(w, b, x, y, lr=1.0):
    """One perceptron learning step on example (x, y); returns (new_w, new_b)."""
    w = np.asarray(w, dtype=float)
    t = 1.0 if y == 1 else -1.0
    if t * (np.dot(x, w) + b) <= 0:
        w += lr * t * np.asarray(x)
        b += lr * t
    return w, b
'''),
    ("perceptron_update", "correct", "t = 2y - 1, np.sign for the mistake test, a copy via np.array", '''
def perceptron_update(w, b, x, y, lr=1.0):
    """One perceptron learning step on example (x, y); returns (new_w, new_b)."""
    new_w = np.array(w, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    t = 2 * int(y) - 1
    if np.sign(np.dot(new_w, x) + b) != t:
        new_w = new_w + lr * t * x
        b = b + lr * t
    return new_w, b
'''),
    ("perceptron_update", "correct", "branch-free: multiplies the step by the mistake indicator", '''
def perceptron_update(w, b, x, y, lr=1.0):
    """One perceptron learning step on example (x, y); returns (new_w, new_b)."""
    t = np.where(y == 1, 1.0, -1.0)
    mistake = float(t * (np.sum(np.asarray(w) * np.asarray(x)) + b) <= 0)
    step = lr * t * mistake
    return np.asarray(w, dtype=float) + step * np.asarray(x, dtype=float), float(b + step)
'''),
    # ---- Task 3: train_perceptron ---------------------------------------------------------------------------
    ("train_perceptron", "wrong", "forgets the learning rate in the bias update (invisible with lr = 1)", '''
def train_perceptron(X, y, lr=1.0, max_epochs=100):
    """Train a perceptron with the perceptron rule; returns (w, b, epochs)."""
    X = np.asarray(X, dtype=float)
    w, b = np.zeros(X.shape[1]), 0.0
    for epoch in range(1, max_epochs + 1):
        mistakes = 0
        for xi, yi in zip(X, y):
            t = 1.0 if yi == 1 else -1.0
            if t * (xi @ w + b) <= 0:
                mistakes += 1
                w = w + lr * t * xi
                b = b + t
        if mistakes == 0:
            return w, b, epoch
    return w, b, max_epochs
'''),
    ("train_perceptron", "wrong", "w = zeros_like(X[0]) and w += ...: integer X gives an integer w", '''
def train_perceptron(X, y, lr=1.0, max_epochs=100):
    """Train a perceptron with the perceptron rule; returns (w, b, epochs)."""
    X = np.asarray(X)
    w, b = np.zeros_like(X[0]), 0.0
    for epoch in range(1, max_epochs + 1):
        mistakes = 0
        for xi, yi in zip(X, y):
            t = 1 if yi == 1 else -1
            if t * (xi @ w + b) <= 0:
                mistakes += 1
                w += lr * t * xi
                b += lr * t
        if mistakes == 0:
            return w, b, epoch
    return w, b, max_epochs
'''),
    ("train_perceptron", "wrong", "pre-scales X by lr in place (modifies the caller's X)", '''
def train_perceptron(X, y, lr=1.0, max_epochs=100):
    """Train a perceptron with the perceptron rule; returns (w, b, epochs)."""
    X = np.asarray(X, dtype=float)
    X *= lr  # every update adds lr * x: scale once
    w, b = np.zeros(X.shape[1]), 0.0
    for epoch in range(1, max_epochs + 1):
        mistakes = 0
        for xi, yi in zip(X, y):
            t = 1.0 if yi == 1 else -1.0
            if t * (xi @ w / lr + b) <= 0:
                mistakes += 1
                w = w + t * xi
                b = b + lr * t
        if mistakes == 0:
            return w, b, epoch
    return w, b, max_epochs
'''),
    ("train_perceptron", "wrong", "counts mistakes as prediction != y but updates on t * z <= 0 (stops too early)", '''
def train_perceptron(X, y, lr=1.0, max_epochs=100):
    """Train a perceptron with the perceptron rule; returns (w, b, epochs)."""
    X = np.asarray(X, dtype=float)
    w, b = np.zeros(X.shape[1]), 0.0
    for epoch in range(1, max_epochs + 1):
        errors = 0
        for xi, yi in zip(X, y):
            z = xi @ w + b
            errors += int((z > 0) != yi)
            t = 1.0 if yi == 1 else -1.0
            if t * z <= 0:
                w, b = w + lr * t * xi, b + lr * t
        if errors == 0:
            return w, b, epoch
    return w, b, max_epochs
'''),
    ("train_perceptron", "wrong", "never stops early: always runs max_epochs", '''
def train_perceptron(X, y, lr=1.0, max_epochs=100):
    """Train a perceptron with the perceptron rule; returns (w, b, epochs)."""
    X = np.asarray(X, dtype=float)
    w, b = np.zeros(X.shape[1]), 0.0
    for epoch in range(max_epochs):
        for xi, yi in zip(X, y):
            t = 1.0 if yi == 1 else -1.0
            if t * (xi @ w + b) <= 0:
                w, b = w + lr * t * xi, b + lr * t
    return w, b, max_epochs
'''),
    ("train_perceptron", "wrong", "0-based epoch count: the error-free epoch is not counted", '''
def train_perceptron(X, y, lr=1.0, max_epochs=100):
    """Train a perceptron with the perceptron rule; returns (w, b, epochs)."""
    X = np.asarray(X, dtype=float)
    w, b = np.zeros(X.shape[1]), 0.0
    for epoch in range(max_epochs):
        mistakes = 0
        for xi, yi in zip(X, y):
            t = 1.0 if yi == 1 else -1.0
            if t * (xi @ w + b) <= 0:
                mistakes += 1
                w, b = w + lr * t * xi, b + lr * t
        if mistakes == 0:
            return w, b, epoch
    return w, b, max_epochs
'''),
    ("train_perceptron", "wrong", "batch perceptron: one summed update per epoch", '''
def train_perceptron(X, y, lr=1.0, max_epochs=100):
    """Train a perceptron with the perceptron rule; returns (w, b, epochs)."""
    X = np.asarray(X, dtype=float)
    t = np.where(np.asarray(y) == 1, 1.0, -1.0)
    w, b = np.zeros(X.shape[1]), 0.0
    for epoch in range(1, max_epochs + 1):
        wrong = t * (X @ w + b) <= 0
        if not wrong.any():
            return w, b, epoch
        w = w + lr * (t[wrong] @ X[wrong])
        b = b + lr * t[wrong].sum()
    return w, b, max_epochs
'''),
    ("train_perceptron", "wrong", "ignores lr altogether (same epochs, w and b off by a factor 1/lr)", '''
def train_perceptron(X, y, lr=1.0, max_epochs=100):
    """Train a perceptron with the perceptron rule; returns (w, b, epochs)."""
    X = np.asarray(X, dtype=float)
    w, b = np.zeros(X.shape[1]), 0.0
    for epoch in range(1, max_epochs + 1):
        mistakes = 0
        for xi, yi in zip(X, y):
            t = 1.0 if yi == 1 else -1.0
            if t * (xi @ w + b) <= 0:
                mistakes += 1
                w, b = w + t * xi, b + t
        if mistakes == 0:
            return w, b, epoch
    return w, b, max_epochs
'''),
    ("train_perceptron", "wrong", "computes z = X @ w + b once per epoch, so later examples see a stale w", '''
def train_perceptron(X, y, lr=1.0, max_epochs=100):
    """Train a perceptron with the perceptron rule; returns (w, b, epochs)."""
    X = np.asarray(X, dtype=float)
    t = np.where(np.asarray(y) == 1, 1.0, -1.0)
    w, b = np.zeros(X.shape[1]), 0.0
    for epoch in range(1, max_epochs + 1):
        z = X @ w + b
        mistakes = 0
        for i in range(len(X)):
            if t[i] * z[i] <= 0:
                mistakes += 1
                w, b = w + lr * t[i] * X[i], b + lr * t[i]
        if mistakes == 0:
            return w, b, epoch
    return w, b, max_epochs
'''),
    ("train_perceptron", "wrong", "t = 2 * y - 1 wraps around to 255 for uint8 labels", '''
def train_perceptron(X, y, lr=1.0, max_epochs=100):
    """Train a perceptron with the perceptron rule; returns (w, b, epochs)."""
    X = np.asarray(X, dtype=float)
    w, b = np.zeros(X.shape[1]), 0.0
    for epoch in range(1, max_epochs + 1):
        mistakes = 0
        for xi, yi in zip(X, y):
            t = 2 * yi - 1
            if t * (xi @ w + b) <= 0:
                mistakes += 1
                w, b = w + lr * t * xi, b + lr * t
        if mistakes == 0:
            return w, b, epoch
    return w, b, max_epochs
'''),
    ("train_perceptron", "wrong", "range(1, max_epochs) runs one epoch too few but reports max_epochs", '''
def train_perceptron(X, y, lr=1.0, max_epochs=100):
    """Train a perceptron with the perceptron rule; returns (w, b, epochs)."""
    X = np.asarray(X, dtype=float)
    w, b = np.zeros(X.shape[1]), 0.0
    for epoch in range(1, max_epochs):
        mistakes = 0
        for xi, yi in zip(X, y):
            t = 1.0 if yi == 1 else -1.0
            if t * (xi @ w + b) <= 0:
                mistakes += 1
                w, b = w + lr * t * xi, b + lr * t
        if mistakes == 0:
            return w, b, epoch
    return w, b, max_epochs
'''),
    ("train_perceptron", "wrong", "delegates to dlkit.np.Perceptron", '''
def train_perceptron(X, y, lr=1.0, max_epochs=100):
    """Train a perceptron with the perceptron rule; returns (w, b, epochs)."""
    p = dnp.Perceptron(learning_rate=lr, max_epochs=max_epochs).fit(X, y)
    return p.w_, p.b_, p.n_epochs_
'''),
    ("train_perceptron", "correct", "calls perceptron_update and detects a mistake by the change of b", '''
def train_perceptron(X, y, lr=1.0, max_epochs=100):
    """Train a perceptron with the perceptron rule; returns (w, b, epochs)."""
    X = np.asarray(X, dtype=np.float64)
    w, b = np.zeros(X.shape[1]), 0.0
    epochs = 0
    while epochs < max_epochs:
        epochs += 1
        changed = False
        for i in range(len(X)):
            w, new_b = perceptron_update(w, b, X[i], y[i], lr)
            changed = changed or new_b != b
            b = new_b
        if not changed:
            break
    return w, b, epochs
'''),
    ("train_perceptron", "correct", "signs precomputed, np.dot, mistakes counted in a list", '''
def train_perceptron(X, y, lr=1.0, max_epochs=100):
    """Train a perceptron with the perceptron rule; returns (w, b, epochs)."""
    X = np.array(X, dtype=float)
    t = 2.0 * (np.asarray(y) == 1) - 1.0
    w = np.zeros(X.shape[1])
    b = 0.0
    for epoch in range(max_epochs):
        errors = []
        for i, xi in enumerate(X):
            if t[i] * (np.dot(w, xi) + b) <= 0:
                errors.append(i)
                w = w + lr * t[i] * xi
                b += lr * t[i]
        if not errors:
            break
    return w, b, epoch + 1
'''),
]
