"""Realistic answers to ch08_rnn (see ../mutation.py): (task, "wrong" | "correct", why, cell source)."""
ANSWERS = [
    # ---------------------------------------------------------------- Task 1: one step
    ("rnn_step", "wrong", "tanh written with exp: overflows (nan) for pre-activations beyond 709", '''
def rnn_step(x_t, h_prev, kernel, recurrent_kernel, bias):
    a = x_t @ kernel + h_prev @ recurrent_kernel + bias
    return (np.exp(a) - np.exp(-a)) / (np.exp(a) + np.exp(-a))
'''),
    ("rnn_step", "wrong", "updates the state in place: h_prev is overwritten", '''
def rnn_step(x_t, h_prev, kernel, recurrent_kernel, bias):
    h_prev[...] = np.tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias)
    return h_prev
'''),
    ("rnn_step", "wrong", "computes in float32 (Keras' default) although the task asks for float64", '''
def rnn_step(x_t, h_prev, kernel, recurrent_kernel, bias):
    a = (x_t @ kernel + h_prev @ recurrent_kernel + bias).astype(np.float32)
    return np.tanh(a)
'''),
    ("rnn_step", "wrong", "recurrent kernel transposed (h_prev @ W_h.T)", '''
def rnn_step(x_t, h_prev, kernel, recurrent_kernel, bias):
    return np.tanh(x_t @ kernel + h_prev @ recurrent_kernel.T + bias)
'''),
    ("rnn_step", "wrong", "bias forgotten", '''
def rnn_step(x_t, h_prev, kernel, recurrent_kernel, bias):
    return np.tanh(x_t @ kernel + h_prev @ recurrent_kernel)
'''),
    ("rnn_step", "wrong", "one-line call to dlkit's rnn_step_forward (policy: 0 points)", '''
def rnn_step(x_t, h_prev, kernel, recurrent_kernel, bias):
    return dnp.functional.rnn_step_forward(x_t, h_prev, kernel, recurrent_kernel, bias)[0]
'''),
    ("rnn_step", "correct", "einsum, and tanh as 1 - 2 / (exp(2a) + 1) (finite for any a)", '''
def rnn_step(x_t, h_prev, kernel, recurrent_kernel, bias):
    a = np.einsum("nd,du->nu", x_t, kernel) + np.einsum("nv,vu->nu", h_prev, recurrent_kernel) + bias
    with np.errstate(over="ignore"):
        return 1.0 - 2.0 / (np.exp(2.0 * a) + 1.0)
'''),
    ("rnn_step", "correct", "np.dot with the bias added first, np.tanh on a fresh array", '''
def rnn_step(x_t, h_prev, kernel, recurrent_kernel, bias):
    z = bias + np.dot(h_prev, recurrent_kernel)
    z = z + np.dot(x_t, kernel)
    return np.tanh(z)
'''),
    # ---------------------------------------------------------------- Task 2: forward over a sequence
    ("rnn_forward", "wrong", "ignores h0: starts from a zero state", '''
def rnn_forward(x, h0, kernel, recurrent_kernel, bias):
    N, T, D = x.shape
    hs = np.zeros((N, T, h0.shape[1]))
    h = np.zeros_like(h0)
    for t in range(T):
        h = rnn_step(x[:, t], h, kernel, recurrent_kernel, bias)
        hs[:, t] = h
    return hs
'''),
    ("rnn_forward", "wrong", "states stored in np.zeros_like(x) (assumes U == D)", '''
def rnn_forward(x, h0, kernel, recurrent_kernel, bias):
    hs = np.zeros_like(x)
    h = h0
    for t in range(x.shape[1]):
        h = rnn_step(x[:, t], h, kernel, recurrent_kernel, bias)
        hs[:, t] = h
    return hs
'''),
    ("rnn_forward", "wrong", "updates h0 in place while stepping", '''
def rnn_forward(x, h0, kernel, recurrent_kernel, bias):
    N, T, D = x.shape
    hs = np.zeros((N, T, h0.shape[1]))
    for t in range(T):
        h0[...] = rnn_step(x[:, t], h0, kernel, recurrent_kernel, bias)
        hs[:, t] = h0
    return hs
'''),
    ("rnn_forward", "wrong", "float32 buffer for the states", '''
def rnn_forward(x, h0, kernel, recurrent_kernel, bias):
    N, T, D = x.shape
    hs = np.zeros((N, T, h0.shape[1]), dtype=np.float32)
    h = h0
    for t in range(T):
        h = rnn_step(x[:, t], h, kernel, recurrent_kernel, bias)
        hs[:, t] = h
    return hs
'''),
    ("rnn_forward", "wrong", "returns h0 too: shape (N, T + 1, U)", '''
def rnn_forward(x, h0, kernel, recurrent_kernel, bias):
    states = [h0]
    for t in range(x.shape[1]):
        states.append(rnn_step(x[:, t], states[-1], kernel, recurrent_kernel, bias))
    return np.stack(states, axis=1)
'''),
    ("rnn_forward", "wrong", "stores the state before the update (h_{t-1} instead of h_t)", '''
def rnn_forward(x, h0, kernel, recurrent_kernel, bias):
    N, T, D = x.shape
    hs = np.zeros((N, T, h0.shape[1]))
    h = h0
    for t in range(T):
        hs[:, t] = h
        h = rnn_step(x[:, t], h, kernel, recurrent_kernel, bias)
    return hs
'''),
    ("rnn_forward", "wrong", "one-line call to dlkit's rnn_forward (policy: 0 points)", '''
def rnn_forward(x, h0, kernel, recurrent_kernel, bias):
    return dnp.functional.rnn_forward(x, h0, kernel, recurrent_kernel, bias)[0]
'''),
    ("rnn_forward", "correct", "list of states and np.stack, tanh written inline", '''
def rnn_forward(x, h0, kernel, recurrent_kernel, bias):
    h, states = h0, []
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t, :] @ kernel + h @ recurrent_kernel + bias)
        states.append(h)
    return np.stack(states, axis=1)
'''),
    ("rnn_forward", "correct", "input projection of all steps at once (einsum), one product per step", '''
def rnn_forward(x, h0, kernel, recurrent_kernel, bias):
    a = np.einsum("ntd,du->ntu", x, kernel) + bias
    hs = np.empty(a.shape)
    h = h0.copy()
    for t in range(x.shape[1]):
        h = np.tanh(a[:, t] + h @ recurrent_kernel)
        hs[:, t] = h
    return hs
'''),
    # ---------------------------------------------------------------- Task 3: backward of one step
    ("rnn_step_backward", "wrong", "dbias averaged over the batch (extra 1/N)", '''
def rnn_step_backward(dh, x_t, h_prev, kernel, recurrent_kernel, bias):
    h = rnn_step(x_t, h_prev, kernel, recurrent_kernel, bias)
    da = dh * (1.0 - h ** 2)
    return da @ kernel.T, da @ recurrent_kernel.T, x_t.T @ da, h_prev.T @ da, da.mean(axis=0)
'''),
    ("rnn_step_backward", "wrong", "multiplies dh in place by tanh' (the caller's dh is modified)", '''
def rnn_step_backward(dh, x_t, h_prev, kernel, recurrent_kernel, bias):
    h = rnn_step(x_t, h_prev, kernel, recurrent_kernel, bias)
    dh *= 1.0 - h ** 2
    return dh @ kernel.T, dh @ recurrent_kernel.T, x_t.T @ dh, h_prev.T @ dh, dh.sum(axis=0)
'''),
    ("rnn_step_backward", "wrong", "weight gradients divided by the batch size", '''
def rnn_step_backward(dh, x_t, h_prev, kernel, recurrent_kernel, bias):
    N = x_t.shape[0]
    h = rnn_step(x_t, h_prev, kernel, recurrent_kernel, bias)
    da = dh * (1.0 - h ** 2)
    return da @ kernel.T, da @ recurrent_kernel.T, x_t.T @ da / N, h_prev.T @ da / N, da.sum(axis=0) / N
'''),
    ("rnn_step_backward", "wrong", "float32 gradient at the pre-activation", '''
def rnn_step_backward(dh, x_t, h_prev, kernel, recurrent_kernel, bias):
    h = rnn_step(x_t, h_prev, kernel, recurrent_kernel, bias)
    da = (dh * (1.0 - h ** 2)).astype(np.float32)
    return da @ kernel.T, da @ recurrent_kernel.T, x_t.T @ da, h_prev.T @ da, da.sum(axis=0)
'''),
    ("rnn_step_backward", "wrong", "dbias = da.squeeze() (right only for a batch of one)", '''
def rnn_step_backward(dh, x_t, h_prev, kernel, recurrent_kernel, bias):
    h = rnn_step(x_t, h_prev, kernel, recurrent_kernel, bias)
    da = dh * (1.0 - h ** 2)
    return da @ kernel.T, da @ recurrent_kernel.T, x_t.T @ da, h_prev.T @ da, da.squeeze()
'''),
    ("rnn_step_backward", "wrong", "dbias with keepdims: shape (1, U)", '''
def rnn_step_backward(dh, x_t, h_prev, kernel, recurrent_kernel, bias):
    h = rnn_step(x_t, h_prev, kernel, recurrent_kernel, bias)
    da = dh * (1.0 - h ** 2)
    return da @ kernel.T, da @ recurrent_kernel.T, x_t.T @ da, h_prev.T @ da, da.sum(axis=0, keepdims=True)
'''),
    ("rnn_step_backward", "wrong", "tanh' taken at the pre-activation: 1 - a**2", '''
def rnn_step_backward(dh, x_t, h_prev, kernel, recurrent_kernel, bias):
    a = x_t @ kernel + h_prev @ recurrent_kernel + bias
    da = dh * (1.0 - a ** 2)
    return da @ kernel.T, da @ recurrent_kernel.T, x_t.T @ da, h_prev.T @ da, da.sum(axis=0)
'''),
    ("rnn_step_backward", "wrong", "dh_prev without the transpose (da @ W_h)", '''
def rnn_step_backward(dh, x_t, h_prev, kernel, recurrent_kernel, bias):
    h = rnn_step(x_t, h_prev, kernel, recurrent_kernel, bias)
    da = dh * (1.0 - h ** 2)
    return da @ kernel.T, da @ recurrent_kernel, x_t.T @ da, h_prev.T @ da, da.sum(axis=0)
'''),
    ("rnn_step_backward", "wrong", "tanh' written with h_prev (h_t not recomputed)", '''
def rnn_step_backward(dh, x_t, h_prev, kernel, recurrent_kernel, bias):
    da = dh * (1.0 - h_prev ** 2)
    return da @ kernel.T, da @ recurrent_kernel.T, x_t.T @ da, h_prev.T @ da, da.sum(axis=0)
'''),
    ("rnn_step_backward", "wrong", "dlkit's rnn_step_forward + rnn_step_backward (policy: 0 points)", '''
def rnn_step_backward(dh, x_t, h_prev, kernel, recurrent_kernel, bias):
    _, cache = dnp.functional.rnn_step_forward(x_t, h_prev, kernel, recurrent_kernel, bias)
    return dnp.functional.rnn_step_backward(dh, cache)
'''),
    ("rnn_step_backward", "correct", "h recomputed inline, einsum products, da = dh - dh * h * h", '''
def rnn_step_backward(dh, x_t, h_prev, kernel, recurrent_kernel, bias):
    h = np.tanh(x_t @ kernel + h_prev @ recurrent_kernel + bias)
    da = dh - dh * h * h
    dx = np.einsum("nu,du->nd", da, kernel)
    dh_prev = np.einsum("nu,vu->nv", da, recurrent_kernel)
    dk = np.einsum("nd,nu->du", x_t, da)
    dr = np.einsum("nv,nu->vu", h_prev, da)
    return dx, dh_prev, dk, dr, np.einsum("nu->u", da)
'''),
    ("rnn_step_backward", "correct", "np.dot with transposes, bias gradient as ones @ da", '''
def rnn_step_backward(dh, x_t, h_prev, kernel, recurrent_kernel, bias):
    h = rnn_step(x_t, h_prev, kernel, recurrent_kernel, bias)
    da = np.multiply(dh, 1.0 - np.square(h))
    return (np.dot(da, kernel.T), np.dot(da, recurrent_kernel.T), np.dot(x_t.T, da), np.dot(h_prev.T, da),
            np.ones(da.shape[0]) @ da)
'''),
    # ---------------------------------------------------------------- Task 4: BPTT
    ("rnn_bptt", "wrong", "dbias overwritten at every step instead of accumulated", '''
def rnn_bptt(dhs, x, h0, kernel, recurrent_kernel, bias):
    N, T, D = x.shape
    hs = rnn_forward(x, h0, kernel, recurrent_kernel, bias)
    prev = np.concatenate([h0[:, None, :], hs[:, :-1]], axis=1)
    dx = np.zeros(x.shape)
    dK, dR, db = np.zeros(kernel.shape), np.zeros(recurrent_kernel.shape), np.zeros(bias.shape)
    dh_next = np.zeros(h0.shape)
    for t in range(T - 1, -1, -1):
        dxt, dh_next, dKt, dRt, dbt = rnn_step_backward(dhs[:, t] + dh_next, x[:, t], prev[:, t],
                                                        kernel, recurrent_kernel, bias)
        dx[:, t] = dxt
        dK += dKt
        dR += dRt
        db = dbt
    return dx, dh_next, dK, dR, db
'''),
    ("rnn_bptt", "wrong", "state before the first step taken as zeros instead of h0", '''
def rnn_bptt(dhs, x, h0, kernel, recurrent_kernel, bias):
    N, T, D = x.shape
    hs = rnn_forward(x, h0, kernel, recurrent_kernel, bias)
    prev = np.concatenate([np.zeros_like(h0)[:, None, :], hs[:, :-1]], axis=1)
    dx = np.zeros(x.shape)
    dK, dR, db = np.zeros(kernel.shape), np.zeros(recurrent_kernel.shape), np.zeros(bias.shape)
    dh_next = np.zeros(h0.shape)
    for t in range(T - 1, -1, -1):
        dxt, dh_next, dKt, dRt, dbt = rnn_step_backward(dhs[:, t] + dh_next, x[:, t], prev[:, t],
                                                        kernel, recurrent_kernel, bias)
        dx[:, t] = dxt
        dK += dKt
        dR += dRt
        db += dbt
    return dx, dh_next, dK, dR, db
'''),
    ("rnn_bptt", "wrong", "adds the carried gradient into dhs in place (the caller's dhs is modified)", '''
def rnn_bptt(dhs, x, h0, kernel, recurrent_kernel, bias):
    N, T, D = x.shape
    hs = rnn_forward(x, h0, kernel, recurrent_kernel, bias)
    prev = np.concatenate([h0[:, None, :], hs[:, :-1]], axis=1)
    dx = np.zeros(x.shape)
    dK, dR, db = np.zeros(kernel.shape), np.zeros(recurrent_kernel.shape), np.zeros(bias.shape)
    dh_next = np.zeros(h0.shape)
    for t in range(T - 1, -1, -1):
        dhs[:, t] += dh_next
        dxt, dh_next, dKt, dRt, dbt = rnn_step_backward(dhs[:, t], x[:, t], prev[:, t],
                                                        kernel, recurrent_kernel, bias)
        dx[:, t] = dxt
        dK += dKt
        dR += dRt
        db += dbt
    return dx, dh_next, dK, dR, db
'''),
    ("rnn_bptt", "wrong", "weight gradients averaged over the batch (extra 1/N)", '''
def rnn_bptt(dhs, x, h0, kernel, recurrent_kernel, bias):
    N, T, D = x.shape
    hs = rnn_forward(x, h0, kernel, recurrent_kernel, bias)
    prev = np.concatenate([h0[:, None, :], hs[:, :-1]], axis=1)
    dx = np.zeros(x.shape)
    dK, dR, db = np.zeros(kernel.shape), np.zeros(recurrent_kernel.shape), np.zeros(bias.shape)
    dh_next = np.zeros(h0.shape)
    for t in range(T - 1, -1, -1):
        dxt, dh_next, dKt, dRt, dbt = rnn_step_backward(dhs[:, t] + dh_next, x[:, t], prev[:, t],
                                                        kernel, recurrent_kernel, bias)
        dx[:, t] = dxt
        dK += dKt
        dR += dRt
        db += dbt
    return dx, dh_next, dK / N, dR / N, db / N
'''),
    ("rnn_bptt", "wrong", "float32 accumulators for the weight gradients", '''
def rnn_bptt(dhs, x, h0, kernel, recurrent_kernel, bias):
    N, T, D = x.shape
    hs = rnn_forward(x, h0, kernel, recurrent_kernel, bias)
    prev = np.concatenate([h0[:, None, :], hs[:, :-1]], axis=1)
    dx = np.zeros(x.shape)
    dK = np.zeros(kernel.shape, dtype=np.float32)
    dR = np.zeros(recurrent_kernel.shape, dtype=np.float32)
    db = np.zeros(bias.shape, dtype=np.float32)
    dh_next = np.zeros(h0.shape)
    for t in range(T - 1, -1, -1):
        dxt, dh_next, dKt, dRt, dbt = rnn_step_backward(dhs[:, t] + dh_next, x[:, t], prev[:, t],
                                                        kernel, recurrent_kernel, bias)
        dx[:, t] = dxt
        dK += dKt
        dR += dRt
        db += dbt
    return dx, dh_next, dK, dR, db
'''),
    ("rnn_bptt", "wrong", "only the last state's gradient dhs[:, -1] is used", '''
def rnn_bptt(dhs, x, h0, kernel, recurrent_kernel, bias):
    N, T, D = x.shape
    hs = rnn_forward(x, h0, kernel, recurrent_kernel, bias)
    prev = np.concatenate([h0[:, None, :], hs[:, :-1]], axis=1)
    dx = np.zeros(x.shape)
    dK, dR, db = np.zeros(kernel.shape), np.zeros(recurrent_kernel.shape), np.zeros(bias.shape)
    dh = dhs[:, -1]
    for t in range(T - 1, -1, -1):
        dxt, dh, dKt, dRt, dbt = rnn_step_backward(dh, x[:, t], prev[:, t], kernel, recurrent_kernel, bias)
        dx[:, t] = dxt
        dK += dKt
        dR += dRt
        db += dbt
    return dx, dh, dK, dR, db
'''),
    ("rnn_bptt", "wrong", "weight gradients overwritten instead of summed over the steps", '''
def rnn_bptt(dhs, x, h0, kernel, recurrent_kernel, bias):
    N, T, D = x.shape
    hs = rnn_forward(x, h0, kernel, recurrent_kernel, bias)
    prev = np.concatenate([h0[:, None, :], hs[:, :-1]], axis=1)
    dx = np.zeros(x.shape)
    dh_next = np.zeros(h0.shape)
    for t in range(T - 1, -1, -1):
        dxt, dh_next, dK, dR, db = rnn_step_backward(dhs[:, t] + dh_next, x[:, t], prev[:, t],
                                                     kernel, recurrent_kernel, bias)
        dx[:, t] = dxt
    return dx, dh_next, dK, dR, db
'''),
    ("rnn_bptt", "wrong", "walks forward in time (t = 0 .. T-1) instead of backwards", '''
def rnn_bptt(dhs, x, h0, kernel, recurrent_kernel, bias):
    N, T, D = x.shape
    hs = rnn_forward(x, h0, kernel, recurrent_kernel, bias)
    prev = np.concatenate([h0[:, None, :], hs[:, :-1]], axis=1)
    dx = np.zeros(x.shape)
    dK, dR, db = np.zeros(kernel.shape), np.zeros(recurrent_kernel.shape), np.zeros(bias.shape)
    dh_next = np.zeros(h0.shape)
    for t in range(T):
        dxt, dh_next, dKt, dRt, dbt = rnn_step_backward(dhs[:, t] + dh_next, x[:, t], prev[:, t],
                                                        kernel, recurrent_kernel, bias)
        dx[:, t] = dxt
        dK += dKt
        dR += dRt
        db += dbt
    return dx, dh_next, dK, dR, db
'''),
    ("rnn_bptt", "wrong", "dlkit's rnn_forward + rnn_backward (policy: 0 points)", '''
def rnn_bptt(dhs, x, h0, kernel, recurrent_kernel, bias):
    _, cache = dnp.functional.rnn_forward(x, h0, kernel, recurrent_kernel, bias)
    return dnp.functional.rnn_backward(dhs, cache)
'''),
    ("rnn_bptt", "correct", "self-contained: forward and backward inline, weight gradients as sums of products", '''
def rnn_bptt(dhs, x, h0, kernel, recurrent_kernel, bias):
    N, T, D = x.shape
    H = [h0]
    for t in range(T):
        H.append(np.tanh(x[:, t] @ kernel + H[-1] @ recurrent_kernel + bias))
    das = [None] * T
    carry = np.zeros_like(h0)
    for t in reversed(range(T)):
        das[t] = (dhs[:, t] + carry) * (1 - H[t + 1] ** 2)
        carry = das[t] @ recurrent_kernel.T
    dx = np.stack([da @ kernel.T for da in das], axis=1)
    dK = sum(x[:, t].T @ das[t] for t in range(T))
    dR = sum(H[t].T @ das[t] for t in range(T))
    db = sum(da.sum(axis=0) for da in das)
    return dx, carry, dK, dR, db
'''),
    ("rnn_bptt", "correct", "uses the earlier functions; copies dhs[:, t] and adds the carried gradient to it", '''
def rnn_bptt(dhs, x, h0, kernel, recurrent_kernel, bias):
    T = x.shape[1]
    hs = rnn_forward(x, h0, kernel, recurrent_kernel, bias)
    grads = [np.zeros(kernel.shape), np.zeros(recurrent_kernel.shape), np.zeros(bias.shape)]
    dx = np.empty(x.shape)
    dh_next = 0.0
    for t in range(T - 1, -1, -1):
        dh = dhs[:, t].copy()
        dh += dh_next
        h_prev = hs[:, t - 1] if t > 0 else h0
        dx[:, t], dh_next, *step = rnn_step_backward(dh, x[:, t], h_prev, kernel, recurrent_kernel, bias)
        for g, s in zip(grads, step):
            g += s
    return (dx, dh_next, *grads)
'''),
]
