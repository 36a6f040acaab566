"""Realistic answers to ch05_optimizers (see ../mutation.py): (task, "wrong" | "correct", why, cell source)."""
ANSWERS = [
    # --- Task 1: SGD with momentum -------------------------------------------------------------------
    ("momentum", "wrong", "momentum hard-coded to 0.9 (the default) instead of the argument", '''
def momentum_step(w, g, v, lr=0.01, momentum=0.9):
    """One SGD-with-momentum step; returns (new_w, new_v)."""
    v = 0.9 * v - lr * g
    return w + v, v
'''),
    ("momentum", "wrong", "updates w, g's velocity in place (modifies the caller's arrays)", '''
def momentum_step(w, g, v, lr=0.01, momentum=0.9):
    """One SGD-with-momentum step; returns (new_w, new_v)."""
    v *= momentum
    v -= lr * g
    w += v
    return w, v
'''),
    ("momentum", "wrong", "casts to float32 'like Keras': small steps on large weights are rounded away", '''
def momentum_step(w, g, v, lr=0.01, momentum=0.9):
    """One SGD-with-momentum step; returns (new_w, new_v)."""
    w, g, v = (np.asarray(a, dtype=np.float32) for a in (w, g, v))
    v = momentum * v - lr * g
    return w + v, v
'''),
    ("momentum", "wrong", "copies with .copy() to avoid in-place bugs: breaks on plain floats", '''
def momentum_step(w, g, v, lr=0.01, momentum=0.9):
    """One SGD-with-momentum step; returns (new_w, new_v)."""
    new_v = v.copy()
    new_v *= momentum
    new_v -= lr * g
    new_w = w.copy()
    new_w += new_v
    return new_w, new_v
'''),
    ("momentum", "wrong", "lr outside the velocity (v = mu v - g; w += lr v): same w, other velocity", '''
def momentum_step(w, g, v, lr=0.01, momentum=0.9):
    """One SGD-with-momentum step; returns (new_w, new_v)."""
    v = momentum * v - g
    return w + lr * v, v
'''),
    ("momentum", "wrong", "Nesterov's update instead of plain momentum", '''
def momentum_step(w, g, v, lr=0.01, momentum=0.9):
    """One SGD-with-momentum step; returns (new_w, new_v)."""
    v = momentum * v - lr * g
    return w + momentum * v - lr * g, v
'''),
    ("momentum", "wrong", "delegates to dlkit's SGD (policy: scores 0)", '''
def momentum_step(w, g, v, lr=0.01, momentum=0.9):
    """One SGD-with-momentum step; returns (new_w, new_v)."""
    new_w = np.array(w, dtype=float)
    opt = dnp.optimizers.SGD(learning_rate=lr, momentum=momentum)
    if momentum:
        opt._get_state(new_w)["momentum"][...] = v
    opt.apply_gradients([(np.asarray(g, dtype=float), new_w)])
    return new_w, new_w - np.asarray(w)
'''),
    ("momentum", "correct", "loops over the flattened entries (works for plain floats too)", '''
def momentum_step(w, g, v, lr=0.01, momentum=0.9):
    """One SGD-with-momentum step; returns (new_w, new_v)."""
    w, g, v = (np.asarray(a, dtype=np.float64) for a in (w, g, v))
    new_w, new_v = np.empty(w.size), np.empty(w.size)
    for i, (wi, gi, vi) in enumerate(zip(w.ravel(), g.ravel(), v.ravel())):
        new_v[i] = momentum * vi - lr * gi
        new_w[i] = wi + new_v[i]
    return new_w.reshape(w.shape), new_v.reshape(w.shape)
'''),
    ("momentum", "correct", "ufuncs np.multiply / np.subtract / np.add into fresh arrays", '''
def momentum_step(w, g, v, lr=0.01, momentum=0.9):
    """One SGD-with-momentum step; returns (new_w, new_v)."""
    new_v = np.subtract(np.multiply(momentum, v), np.multiply(lr, g))
    return np.add(w, new_v), new_v
'''),

    # --- Task 2: RMSprop -----------------------------------------------------------------------------
    ("rmsprop", "wrong", "epsilon outside the square root (the paper's form, not Keras')", '''
def rmsprop_step(w, g, s, lr=0.001, rho=0.9, eps=1e-7):
    """One RMSprop step; returns (new_w, new_s)."""
    s = rho * s + (1 - rho) * g ** 2
    return w - lr * g / (np.sqrt(s) + eps), s
'''),
    ("rmsprop", "wrong", "forgets epsilon: 0 / 0 = nan for a weight with no gradient yet", '''
def rmsprop_step(w, g, s, lr=0.001, rho=0.9, eps=1e-7):
    """One RMSprop step; returns (new_w, new_s)."""
    s = rho * s + (1 - rho) * g ** 2
    return w - lr * g / np.sqrt(s), s
'''),
    ("rmsprop", "wrong", "rho hard-coded to 0.9 (the default) instead of the argument", '''
def rmsprop_step(w, g, s, lr=0.001, rho=0.9, eps=1e-7):
    """One RMSprop step; returns (new_w, new_s)."""
    s = 0.9 * s + 0.1 * g ** 2
    return w - lr * g / np.sqrt(s + eps), s
'''),
    ("rmsprop", "wrong", "accumulates s and updates w in place (modifies the caller's arrays)", '''
def rmsprop_step(w, g, s, lr=0.001, rho=0.9, eps=1e-7):
    """One RMSprop step; returns (new_w, new_s)."""
    s *= rho
    s += (1 - rho) * g ** 2
    w -= lr * g / np.sqrt(s + eps)
    return w, s
'''),
    ("rmsprop", "wrong", "divides by the root of the OLD average", '''
def rmsprop_step(w, g, s, lr=0.001, rho=0.9, eps=1e-7):
    """One RMSprop step; returns (new_w, new_s)."""
    new_w = w - lr * g / np.sqrt(s + eps)
    return new_w, rho * s + (1 - rho) * g ** 2
'''),
    ("rmsprop", "wrong", "forgets the (1 - rho) factor", '''
def rmsprop_step(w, g, s, lr=0.001, rho=0.9, eps=1e-7):
    """One RMSprop step; returns (new_w, new_s)."""
    s = rho * s + g ** 2
    return w - lr * g / np.sqrt(s + eps), s
'''),
    ("rmsprop", "wrong", "delegates to dlkit's RMSprop (policy: scores 0)", '''
def rmsprop_step(w, g, s, lr=0.001, rho=0.9, eps=1e-7):
    """One RMSprop step; returns (new_w, new_s)."""
    new_w = np.array(w, dtype=float)
    opt = dnp.optimizers.RMSprop(learning_rate=lr, rho=rho, epsilon=eps)
    state = opt._get_state(new_w)
    state["velocity"][...] = s
    opt.apply_gradients([(np.asarray(g, dtype=float), new_w)])
    return new_w, state["velocity"].copy()
'''),
    ("rmsprop", "correct", "np.square, np.sqrt and np.divide; running average written as s + (1 - rho)(g^2 - s)", '''
def rmsprop_step(w, g, s, lr=0.001, rho=0.9, eps=1e-7):
    """One RMSprop step; returns (new_w, new_s)."""
    new_s = s + (1 - rho) * (np.square(g) - s)
    step = np.divide(np.multiply(lr, g), np.sqrt(np.add(new_s, eps)))
    return np.subtract(w, step), new_s
'''),
    ("rmsprop", "correct", "loops over the flattened entries with math.sqrt", '''
import math


def rmsprop_step(w, g, s, lr=0.001, rho=0.9, eps=1e-7):
    """One RMSprop step; returns (new_w, new_s)."""
    w, g, s = (np.asarray(a, dtype=np.float64) for a in (w, g, s))
    new_w, new_s = w.ravel().copy(), s.ravel().copy()
    for i, gi in enumerate(g.ravel()):
        new_s[i] = rho * new_s[i] + (1 - rho) * gi * gi
        new_w[i] -= lr * gi / math.sqrt(new_s[i] + eps)
    return new_w.reshape(w.shape), new_s.reshape(w.shape)
'''),

    # --- Task 3: Adam --------------------------------------------------------------------------------
    ("adam", "wrong", "the paper's bias-corrected m_hat / (sqrt(v_hat) + eps): eps sits elsewhere than Keras'", '''
def adam_step(w, g, m, v, t, lr=0.001, beta_1=0.9, beta_2=0.999, eps=1e-7):
    """One Adam step (t = 1 for the first step); returns (new_w, new_m, new_v)."""
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g ** 2
    m_hat = m / (1 - beta_1 ** t)
    v_hat = v / (1 - beta_2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v
'''),
    ("adam", "wrong", "epsilon inside the square root (RMSprop's habit)", '''
def adam_step(w, g, m, v, t, lr=0.001, beta_1=0.9, beta_2=0.999, eps=1e-7):
    """One Adam step (t = 1 for the first step); returns (new_w, new_m, new_v)."""
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g ** 2
    alpha = lr * np.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
    return w - alpha * m / np.sqrt(v + eps), m, v
'''),
    ("adam", "wrong", "beta_2 hard-coded to 0.999 (the default) instead of the argument", '''
def adam_step(w, g, m, v, t, lr=0.001, beta_1=0.9, beta_2=0.999, eps=1e-7):
    """One Adam step (t = 1 for the first step); returns (new_w, new_m, new_v)."""
    m = beta_1 * m + (1 - beta_1) * g
    v = 0.999 * v + 0.001 * g ** 2
    alpha = lr * np.sqrt(1 - 0.999 ** t) / (1 - beta_1 ** t)
    return w - alpha * m / (np.sqrt(v) + eps), m, v
'''),
    ("adam", "wrong", "updates the moments and w in place (modifies the caller's arrays)", '''
def adam_step(w, g, m, v, t, lr=0.001, beta_1=0.9, beta_2=0.999, eps=1e-7):
    """One Adam step (t = 1 for the first step); returns (new_w, new_m, new_v)."""
    m *= beta_1
    m += (1 - beta_1) * g
    v *= beta_2
    v += (1 - beta_2) * g ** 2
    w -= lr * np.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t) * m / (np.sqrt(v) + eps)
    return w, m, v
'''),
    ("adam", "wrong", "works in float32 'like Keras': small steps on large weights are rounded away", '''
def adam_step(w, g, m, v, t, lr=0.001, beta_1=0.9, beta_2=0.999, eps=1e-7):
    """One Adam step (t = 1 for the first step); returns (new_w, new_m, new_v)."""
    w, g, m, v = (np.asarray(a, dtype=np.float32) for a in (w, g, m, v))
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g * g
    alpha = lr * np.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
    return w - alpha * m / (np.sqrt(v) + eps), m, v
'''),
    ("adam", "wrong", "no bias correction", '''
def adam_step(w, g, m, v, t, lr=0.001, beta_1=0.9, beta_2=0.999, eps=1e-7):
    """One Adam step (t = 1 for the first step); returns (new_w, new_m, new_v)."""
    m = beta_1 * m + (1 - beta_1) * g
    v = beta_2 * v + (1 - beta_2) * g ** 2
    return w - lr * m / (np.sqrt(v) + eps), m, v
'''),
    ("adam", "wrong", "delegates to dlkit's Adam (policy: scores 0)", '''
def adam_step(w, g, m, v, t, lr=0.001, beta_1=0.9, beta_2=0.999, eps=1e-7):
    """One Adam step (t = 1 for the first step); returns (new_w, new_m, new_v)."""
    new_w = np.array(w, dtype=float)
    opt = dnp.optimizers.Adam(learning_rate=lr, beta_1=beta_1, beta_2=beta_2, epsilon=eps)
    opt.iterations = t - 1
    state = opt._get_state(new_w)
    state["momentum"][...], state["velocity"][...] = m, v
    opt.apply_gradients([(np.asarray(g, dtype=float), new_w)])
    return new_w, state["momentum"].copy(), state["velocity"].copy()
'''),
    ("adam", "correct", "the paper's form with epsilon rescaled by 1 / sqrt(1 - beta_2^t) (equal to Keras')", '''
def adam_step(w, g, m, v, t, lr=0.001, beta_1=0.9, beta_2=0.999, eps=1e-7):
    """One Adam step (t = 1 for the first step); returns (new_w, new_m, new_v)."""
    new_m = beta_1 * m + (1 - beta_1) * g
    new_v = beta_2 * v + (1 - beta_2) * np.square(g)
    m_hat = new_m / (1 - beta_1 ** t)
    v_hat = new_v / (1 - beta_2 ** t)
    eps_hat = eps / np.sqrt(1 - beta_2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps_hat), new_m, new_v
'''),
    ("adam", "correct", "running averages written as m + (1 - beta)(g - m), as dlkit does", '''
import math


def adam_step(w, g, m, v, t, lr=0.001, beta_1=0.9, beta_2=0.999, eps=1e-7):
    """One Adam step (t = 1 for the first step); returns (new_w, new_m, new_v)."""
    m = m + (1 - beta_1) * (g - m)
    v = v + (1 - beta_2) * (g * g - v)
    alpha = lr * math.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
    return w - alpha * (m / (np.sqrt(v) + eps)), m, v
'''),

    # --- Task 4: Xavier/Glorot and He initialization -------------------------------------------------
    ("initializers", "wrong", "draws from the global np.random instead of rng (not reproducible)", '''
def glorot_uniform(fan_in, fan_out, rng):
    """Xavier/Glorot uniform kernel of shape (fan_in, fan_out)."""
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return np.random.uniform(-limit, limit, size=(fan_in, fan_out))


def he_normal(fan_in, fan_out, rng):
    """He normal kernel of shape (fan_in, fan_out)."""
    return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out))
'''),
    ("initializers", "wrong", "creates its own generator with a fixed seed, ignoring rng", '''
def glorot_uniform(fan_in, fan_out, rng):
    """Xavier/Glorot uniform kernel of shape (fan_in, fan_out)."""
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out))


def he_normal(fan_in, fan_out, rng):
    """He normal kernel of shape (fan_in, fan_out)."""
    rng = np.random.default_rng(0)
    return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out))
'''),
    ("initializers", "wrong", "forgets the minus sign: U(0, limit) instead of U(-limit, limit)", '''
def glorot_uniform(fan_in, fan_out, rng):
    """Xavier/Glorot uniform kernel of shape (fan_in, fan_out)."""
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(0, limit, size=(fan_in, fan_out))


def he_normal(fan_in, fan_out, rng):
    """He normal kernel of shape (fan_in, fan_out)."""
    return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out))
'''),
    ("initializers", "wrong", "He uniform (right variance, wrong distribution) for he_normal", '''
def glorot_uniform(fan_in, fan_out, rng):
    """Xavier/Glorot uniform kernel of shape (fan_in, fan_out)."""
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out))


def he_normal(fan_in, fan_out, rng):
    """He normal kernel of shape (fan_in, fan_out)."""
    limit = np.sqrt(6.0 / fan_in)
    return rng.uniform(-limit, limit, size=(fan_in, fan_out))
'''),
    ("initializers", "wrong", "He with the Glorot fan average (fan_in + fan_out)", '''
def glorot_uniform(fan_in, fan_out, rng):
    """Xavier/Glorot uniform kernel of shape (fan_in, fan_out)."""
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out))


def he_normal(fan_in, fan_out, rng):
    """He normal kernel of shape (fan_in, fan_out)."""
    return rng.normal(0.0, np.sqrt(4.0 / (fan_in + fan_out)), size=(fan_in, fan_out))
'''),
    ("initializers", "wrong", "passes the variance 2 / fan_in as numpy's scale (a standard deviation)", '''
def glorot_uniform(fan_in, fan_out, rng):
    """Xavier/Glorot uniform kernel of shape (fan_in, fan_out)."""
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out))


def he_normal(fan_in, fan_out, rng):
    """He normal kernel of shape (fan_in, fan_out)."""
    return rng.normal(0.0, 2.0 / fan_in, size=(fan_in, fan_out))
'''),
    ("initializers", "wrong", "transposed kernel shape (fan_out, fan_in)", '''
def glorot_uniform(fan_in, fan_out, rng):
    """Xavier/Glorot uniform kernel of shape (fan_in, fan_out)."""
    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_out, fan_in))


def he_normal(fan_in, fan_out, rng):
    """He normal kernel of shape (fan_in, fan_out)."""
    return rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_out, fan_in))
'''),
    ("initializers", "wrong", "delegates to dlkit's initializers (policy: scores 0)", '''
def glorot_uniform(fan_in, fan_out, rng):
    """Xavier/Glorot uniform kernel of shape (fan_in, fan_out)."""
    return dnp.initializers.glorot_uniform((fan_in, fan_out), dtype="float64", rng=rng)


def he_normal(fan_in, fan_out, rng):
    """He normal kernel of shape (fan_in, fan_out)."""
    return dnp.initializers.he_normal((fan_in, fan_out), dtype="float64", rng=rng)
'''),
    ("initializers", "correct", "float32 weights; He from standard_normal scaled", '''
def glorot_uniform(fan_in, fan_out, rng):
    """Xavier/Glorot uniform kernel of shape (fan_in, fan_out)."""
    limit = (6.0 / (fan_in + fan_out)) ** 0.5
    return (2 * rng.random((fan_in, fan_out)) - 1).astype(np.float32) * np.float32(limit)


def he_normal(fan_in, fan_out, rng):
    """He normal kernel of shape (fan_in, fan_out)."""
    return (rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)).astype(np.float32)
'''),
    ("initializers", "correct", "Keras' truncated normal for He (redraws beyond 2 std, rescaled)", '''
def glorot_uniform(fan_in, fan_out, rng):
    """Xavier/Glorot uniform kernel of shape (fan_in, fan_out)."""
    limit = np.sqrt(3.0 * 2.0 / (fan_in + fan_out))
    return rng.uniform(low=-limit, high=limit, size=(fan_in, fan_out))


def he_normal(fan_in, fan_out, rng):
    """He normal kernel of shape (fan_in, fan_out)."""
    z = rng.normal(size=(fan_in, fan_out))
    bad = np.abs(z) > 2
    while bad.any():
        z[bad] = rng.normal(size=int(bad.sum()))
        bad = np.abs(z) > 2
    return z * np.sqrt(2.0 / fan_in) / 0.87962566103423978
'''),
]
