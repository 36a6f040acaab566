"""Realistic answers to ch12_modern_cnn (see ../mutation.py): (task, "wrong" | "correct", why, cell source)."""

_GAP_FORWARD = '''
def global_avg_pool_forward(x):
    return x.mean(axis=(1, 2))
'''

_GAP_BACKWARD = '''
def global_avg_pool_backward(dout, input_shape):
    N, H, W, C = input_shape
    return np.broadcast_to(dout[:, None, None, :] / (H * W), (N, H, W, C)).copy()
'''

_BLOCK_FORWARD = '''
def residual_block_forward(x, params, epsilon=1e-3):
    c1, conv1 = conv2d_forward(x, params["w1"], None, strides=1, padding="same")
    a1, bn1, _, _ = batchnorm_forward(c1, params["gamma1"], params["beta1"], epsilon)
    h = np.maximum(a1, 0.0)
    c2, conv2 = conv2d_forward(h, params["w2"], None, strides=1, padding="same")
    a2, bn2, _, _ = batchnorm_forward(c2, params["gamma2"], params["beta2"], epsilon)
    z = x + a2
    return np.maximum(z, 0.0), (conv1, bn1, a1, conv2, bn2, z)
'''

_BLOCK_BACKWARD = '''
def residual_block_backward(dout, cache):
    conv1, bn1, a1, conv2, bn2, z = cache
    dz = dout * (z > 0)
    dc2, dgamma2, dbeta2 = batchnorm_backward(dz, bn2)
    dh, dw2, _ = conv2d_backward(dc2, conv2)
    dc1, dgamma1, dbeta1 = batchnorm_backward(dh * (a1 > 0), bn1)
    dx_branch, dw1, _ = conv2d_backward(dc1, conv1)
    return dz + dx_branch, {"w1": dw1, "gamma1": dgamma1, "beta1": dbeta1, "w2": dw2, "gamma2": dgamma2,
                            "beta2": dbeta2}
'''


def _edit(source, old, new):
    """The reference cell with one realistic mistake: `old` (which must occur exactly once) becomes `new`."""
    assert source.count(old) == 1, old
    return source.replace(old, new)


_BLOCK = _BLOCK_FORWARD + "\n" + _BLOCK_BACKWARD

_SHIFT = '''
def shift_images(images, shifts):
    H, W = images.shape[1:3]
    out = np.zeros_like(images)
    for n, (dy, dx) in enumerate(np.asarray(shifts).astype(int)):
        out[n, max(dy, 0):H + min(dy, 0), max(dx, 0):W + min(dx, 0)] = \\
            images[n, max(-dy, 0):H + min(-dy, 0), max(-dx, 0):W + min(-dx, 0)]
    return out
'''

_TRANSLATE = '''
def random_translate(images, max_shift, rng):
    shifts = rng.integers(-max_shift, max_shift + 1, size=(len(images), 2))
    return shift_images(images, shifts), shifts
'''

ANSWERS = [
    # ---------------------------------------------------------------- Task 1: global average pooling
    ("global_avg_pool", "wrong", "divides by H only (forgot the width)", '''
def global_avg_pool_forward(x):
    return x.sum(axis=(1, 2)) / x.shape[1]


def global_avg_pool_backward(dout, input_shape):
    N, H, W, C = input_shape
    return np.broadcast_to(dout[:, None, None, :] / H, (N, H, W, C)).copy()
'''),
    ("global_avg_pool", "wrong", "global sum pooling instead of the mean (forward and backward)", '''
def global_avg_pool_forward(x):
    return x.sum(axis=(1, 2))


def global_avg_pool_backward(dout, input_shape):
    return np.broadcast_to(dout[:, None, None, :], input_shape).copy()
'''),
    ("global_avg_pool", "wrong", "channels-first habit: averages over axes (2, 3)", '''
def global_avg_pool_forward(x):
    return x.mean(axis=(2, 3))
''' + _GAP_BACKWARD),
    ("global_avg_pool", "wrong", "backward forgets the 1/(H*W) of the mean", _GAP_FORWARD + '''

def global_avg_pool_backward(dout, input_shape):
    N, H, W, C = input_shape
    return np.broadcast_to(dout[:, None, None, :], (N, H, W, C)).copy()
'''),
    ("global_avg_pool", "wrong", "backward copies dout with np.tile (whole batch H*W times), so the reshape mixes "
     "examples and positions", _GAP_FORWARD + '''

def global_avg_pool_backward(dout, input_shape):
    N, H, W, C = input_shape
    return np.tile(dout / (H * W), (H * W, 1)).reshape(N, H, W, C)
'''),
    ("global_avg_pool", "wrong", "backward divides by all N*H*W entries (a batch mean)", _GAP_FORWARD + '''

def global_avg_pool_backward(dout, input_shape):
    N, H, W, C = input_shape
    return np.ones(input_shape) * dout[:, None, None, :] / (N * H * W)
'''),
    ("global_avg_pool", "wrong", "calls dlkit's functions (the policy)", '''
from dlkit.np.functional import global_avgpool2d_forward, global_avgpool2d_backward


def global_avg_pool_forward(x):
    return global_avgpool2d_forward(x)[0]


def global_avg_pool_backward(dout, input_shape):
    return global_avgpool2d_backward(dout, tuple(input_shape))
'''),
    ("global_avg_pool", "wrong", "keeps the input's dtype (as Task 3 asks): an 8-bit image gets truncated integer "
     "means", '''
def global_avg_pool_forward(x):
    return x.mean(axis=(1, 2)).astype(x.dtype)
''' + _GAP_BACKWARD),
    ("global_avg_pool", "correct", "explicit loops over examples and channels", '''
def global_avg_pool_forward(x):
    N, H, W, C = x.shape
    out = np.zeros((N, C))
    for n in range(N):
        for c in range(C):
            out[n, c] = np.sum(x[n, :, :, c]) / (H * W)
    return out


def global_avg_pool_backward(dout, input_shape):
    N, H, W, C = input_shape
    dx = np.zeros((N, H, W, C))
    for n in range(N):
        for c in range(C):
            dx[n, :, :, c] = dout[n, c] / (H * W)
    return dx
'''),
    ("global_avg_pool", "correct", "np.repeat of each example's row H*W times, then a reshape", _GAP_FORWARD + '''

def global_avg_pool_backward(dout, input_shape):
    N, H, W, C = input_shape
    return np.repeat(dout / (H * W), H * W, axis=0).reshape(N, H, W, C)
'''),
    ("global_avg_pool", "correct", "reshape to (N, H*W, C), einsum, ones times dout", '''
def global_avg_pool_forward(x):
    N, H, W, C = x.shape
    return np.einsum("npc->nc", x.reshape(N, H * W, C).astype(np.float64)) / (H * W)


def global_avg_pool_backward(dout, input_shape):
    N, H, W, C = input_shape
    return np.ones((N, H, W, C)) * (np.asarray(dout) / (H * W)).reshape(N, 1, 1, C)
'''),
    # ---------------------------------------------------------------- Task 2: residual block forward/backward
    ("residual_block", "wrong", "backward forgets the skip gradient (dx from the branch only)",
     _edit(_BLOCK, "return dz + dx_branch,", "return dx_branch,")),
    ("residual_block", "wrong", "BN with running statistics (inference mode, fresh mean 0 / variance 1) in training",
     '''
from dlkit.np.functional import batchnorm_inference


def residual_block_forward(x, params, epsilon=1e-3):
    C = x.shape[-1]
    zeros, ones = np.zeros(C), np.ones(C)
    c1, conv1 = conv2d_forward(x, params["w1"], None, strides=1, padding="same")
    a1, bn1 = batchnorm_inference(c1, params["gamma1"], params["beta1"], zeros, ones, epsilon)
    h = np.maximum(a1, 0.0)
    c2, conv2 = conv2d_forward(h, params["w2"], None, strides=1, padding="same")
    a2, bn2 = batchnorm_inference(c2, params["gamma2"], params["beta2"], zeros, ones, epsilon)
    z = x + a2
    return np.maximum(z, 0.0), (conv1, bn1, a1, conv2, bn2, z)


def residual_block_backward(dout, cache):
    conv1, bn1, a1, conv2, bn2, z = cache
    dz = dout * (z > 0)
    xhat2, inv2, g2 = bn2
    dh, dw2, _ = conv2d_backward(dz * g2 * inv2, conv2)
    xhat1, inv1, g1 = bn1
    da1 = dh * (a1 > 0)
    dxb, dw1, _ = conv2d_backward(da1 * g1 * inv1, conv1)
    s = (0, 1, 2)
    return dz + dxb, {"w1": dw1, "gamma1": (da1 * xhat1).sum(s), "beta1": da1.sum(s), "w2": dw2,
                      "gamma2": (dz * xhat2).sum(s), "beta2": dz.sum(s)}
'''),
    ("residual_block", "wrong", "relu on the branch before the addition: x + relu(BN2(...))", '''
def residual_block_forward(x, params, epsilon=1e-3):
    c1, conv1 = conv2d_forward(x, params["w1"], None, strides=1, padding="same")
    a1, bn1, _, _ = batchnorm_forward(c1, params["gamma1"], params["beta1"], epsilon)
    h = np.maximum(a1, 0.0)
    c2, conv2 = conv2d_forward(h, params["w2"], None, strides=1, padding="same")
    a2, bn2, _, _ = batchnorm_forward(c2, params["gamma2"], params["beta2"], epsilon)
    return x + np.maximum(a2, 0.0), (conv1, bn1, a1, conv2, bn2, a2)


def residual_block_backward(dout, cache):
    conv1, bn1, a1, conv2, bn2, a2 = cache
    dc2, dgamma2, dbeta2 = batchnorm_backward(dout * (a2 > 0), bn2)
    dh, dw2, _ = conv2d_backward(dc2, conv2)
    dc1, dgamma1, dbeta1 = batchnorm_backward(dh * (a1 > 0), bn1)
    dx_branch, dw1, _ = conv2d_backward(dc1, conv1)
    return dout + dx_branch, {"w1": dw1, "gamma1": dgamma1, "beta1": dbeta1, "w2": dw2, "gamma2": dgamma2,
                              "beta2": dbeta2}
'''),
    ("residual_block", "wrong", "backward treats BN as a fixed affine map (ignores the batch statistics' gradient)",
     _BLOCK_FORWARD + '''

def residual_block_backward(dout, cache):
    conv1, bn1, a1, conv2, bn2, z = cache
    dz = dout * (z > 0)
    _, dgamma2, dbeta2 = batchnorm_backward(dz, bn2)
    xhat2, inv2, g2 = bn2
    dh, dw2, _ = conv2d_backward(dz * g2 * inv2, conv2)
    da1 = dh * (a1 > 0)
    _, dgamma1, dbeta1 = batchnorm_backward(da1, bn1)
    xhat1, inv1, g1 = bn1
    dx_branch, dw1, _ = conv2d_backward(da1 * g1 * inv1, conv1)
    return dz + dx_branch, {"w1": dw1, "gamma1": dgamma1, "beta1": dbeta1, "w2": dw2, "gamma2": dgamma2,
                            "beta2": dbeta2}
'''),
    ("residual_block", "wrong", "skip path gets dout instead of the gradient after the last relu",
     _edit(_BLOCK, "return dz + dx_branch,", "return dout + dx_branch,")),
    ("residual_block", "wrong", "inner relu mask taken before BN1 (conv output > 0) instead of after",
     _edit(_BLOCK, "(conv1, bn1, a1, conv2, bn2, z)", "(conv1, bn1, c1, conv2, bn2, z)")),
    ("residual_block", "wrong", "no relu after the addition (out = x + BN2(...))",
     _edit(_edit(_BLOCK, "return np.maximum(z, 0.0), (conv1, bn1, a1, conv2, bn2, z)",
                 "return z, (conv1, bn1, a1, conv2, bn2, z)"), "dz = dout * (z > 0)", "dz = dout")),
    ("residual_block", "wrong", "epsilon not passed on (batchnorm_forward's default 1e-3 always)",
     _edit(_edit(_BLOCK, 'params["beta1"], epsilon)', 'params["beta1"])'), 'params["beta2"], epsilon)',
           'params["beta2"])')),
    ("residual_block", "wrong", "parameter gradients averaged over the batch (divided by N)", _BLOCK_FORWARD + '''

def residual_block_backward(dout, cache):
    conv1, bn1, a1, conv2, bn2, z = cache
    N = dout.shape[0]
    dz = dout * (z > 0)
    dc2, dgamma2, dbeta2 = batchnorm_backward(dz, bn2)
    dh, dw2, _ = conv2d_backward(dc2, conv2)
    dc1, dgamma1, dbeta1 = batchnorm_backward(dh * (a1 > 0), bn1)
    dx_branch, dw1, _ = conv2d_backward(dc1, conv1)
    return dz + dx_branch, {"w1": dw1 / N, "gamma1": dgamma1 / N, "beta1": dbeta1 / N, "w2": dw2 / N,
                            "gamma2": dgamma2 / N, "beta2": dbeta2 / N}
'''),
    ("residual_block", "wrong", "gradients of the two BN layers swapped in the dict",
     _edit(_BLOCK, '"gamma1": dgamma1, "beta1": dbeta1, "w2": dw2, "gamma2": dgamma2,\n                            "beta2": dbeta2}',
           '"gamma1": dgamma2, "beta1": dbeta2, "w2": dw2, "gamma2": dgamma1,\n                            "beta2": dbeta1}')),
    ("residual_block", "wrong", "'valid' padding inside the block, cropped x for the addition", '''
def residual_block_forward(x, params, epsilon=1e-3):
    c1, conv1 = conv2d_forward(x, params["w1"], None, strides=1, padding="valid")
    a1, bn1, _, _ = batchnorm_forward(c1, params["gamma1"], params["beta1"], epsilon)
    h = np.maximum(a1, 0.0)
    c2, conv2 = conv2d_forward(h, params["w2"], None, strides=1, padding="valid")
    a2, bn2, _, _ = batchnorm_forward(c2, params["gamma2"], params["beta2"], epsilon)
    H2, W2 = a2.shape[1:3]
    top, left = (x.shape[1] - H2) // 2, (x.shape[2] - W2) // 2
    z = x[:, top:top + H2, left:left + W2] + a2
    return np.maximum(z, 0.0), (conv1, bn1, a1, conv2, bn2, z, x.shape, top, left)


def residual_block_backward(dout, cache):
    conv1, bn1, a1, conv2, bn2, z, shape, top, left = cache
    dz = dout * (z > 0)
    dc2, dgamma2, dbeta2 = batchnorm_backward(dz, bn2)
    dh, dw2, _ = conv2d_backward(dc2, conv2)
    dc1, dgamma1, dbeta1 = batchnorm_backward(dh * (a1 > 0), bn1)
    dx, dw1, _ = conv2d_backward(dc1, conv1)
    dx = dx.copy()
    dx[:, top:top + z.shape[1], left:left + z.shape[2]] += dz
    return dx, {"w1": dw1, "gamma1": dgamma1, "beta1": dbeta1, "w2": dw2, "gamma2": dgamma2, "beta2": dbeta2}
'''),
    ("residual_block", "wrong", "relu mask applied to dout in place (the caller's array changes)", _BLOCK_FORWARD + '''

def residual_block_backward(dout, cache):
    conv1, bn1, a1, conv2, bn2, z = cache
    dout *= (z > 0)
    dc2, dgamma2, dbeta2 = batchnorm_backward(dout, bn2)
    dh, dw2, _ = conv2d_backward(dc2, conv2)
    dc1, dgamma1, dbeta1 = batchnorm_backward(dh * (a1 > 0), bn1)
    dx_branch, dw1, _ = conv2d_backward(dc1, conv1)
    return dout + dx_branch, {"w1": dw1, "gamma1": dgamma1, "beta1": dbeta1, "w2": dw2, "gamma2": dgamma2,
                              "beta2": dbeta2}
'''),
    ("residual_block", "wrong", "builds the block from dnp.layers Conv2D, BatchNormalization and Add and calls "
     "their .backward (the policy)", '''
import dlkit.np as dnp


def _layer(layer, x, weights):
    layer(x)                      # the first call creates the weights ...
    layer.set_weights(weights)    # ... which then become the block's parameters
    return layer


def residual_block_forward(x, params, epsilon=1e-3):
    kh, kw, C, _ = params["w1"].shape
    C1 = dnp.layers.Conv2D(C, (kh, kw), padding="same", use_bias=False, dtype="float64")
    c1 = _layer(C1, x, [params["w1"]])(x)
    B1 = dnp.layers.BatchNormalization(epsilon=epsilon, dtype="float64")
    a1 = _layer(B1, c1, [params["gamma1"], params["beta1"], np.zeros(C), np.ones(C)])(c1, training=True)
    h = np.maximum(a1, 0.0)
    C2 = dnp.layers.Conv2D(C, (kh, kw), padding="same", use_bias=False, dtype="float64")
    c2 = _layer(C2, h, [params["w2"]])(h)
    B2 = dnp.layers.BatchNormalization(epsilon=epsilon, dtype="float64")
    a2 = _layer(B2, c2, [params["gamma2"], params["beta2"], np.zeros(C), np.ones(C)])(c2, training=True)
    add = dnp.layers.Add(dtype="float64")
    z = add([x, a2])
    return np.maximum(z, 0.0), (C1, B1, a1, C2, B2, add, z)


def residual_block_backward(dout, cache):
    C1, B1, a1, C2, B2, add, z = cache
    dskip, da2 = add.backward(dout * (z > 0))
    dh = C2.backward(B2.backward(da2))
    dxb = C1.backward(B1.backward(dh * (a1 > 0)))
    return dskip + dxb, {"w1": C1.grads["kernel"], "gamma1": B1.grads["gamma"], "beta1": B1.grads["beta"],
                         "w2": C2.grads["kernel"], "gamma2": B2.grads["gamma"], "beta2": B2.grads["beta"]}
'''),
    ("residual_block", "correct", "own batch norm (forward and the compact backward formula), dict cache", '''
def _bn(a, gamma, beta, eps):
    mu = a.mean(axis=(0, 1, 2))
    var = ((a - mu) ** 2).mean(axis=(0, 1, 2))
    xhat = (a - mu) / np.sqrt(var + eps)
    return gamma * xhat + beta, (xhat, 1.0 / np.sqrt(var + eps), gamma)


def _bn_back(d, cache):
    xhat, inv, gamma = cache
    m = d.shape[0] * d.shape[1] * d.shape[2]
    dxhat = d * gamma
    dx = inv / m * (m * dxhat - dxhat.sum(axis=(0, 1, 2)) - xhat * (dxhat * xhat).sum(axis=(0, 1, 2)))
    return dx, (d * xhat).sum(axis=(0, 1, 2)), d.sum(axis=(0, 1, 2))


def residual_block_forward(x, params, epsilon=1e-3):
    cache = {}
    c1, cache["conv1"] = conv2d_forward(x, params["w1"], None, strides=1, padding="same")
    a1, cache["bn1"] = _bn(c1, params["gamma1"], params["beta1"], epsilon)
    cache["mask1"] = a1 > 0
    c2, cache["conv2"] = conv2d_forward(a1 * cache["mask1"], params["w2"], None, strides=1, padding="same")
    a2, cache["bn2"] = _bn(c2, params["gamma2"], params["beta2"], epsilon)
    out = x + a2
    cache["mask2"] = out > 0
    return out * cache["mask2"], cache


def residual_block_backward(dout, cache):
    g = {}
    dz = dout * cache["mask2"]
    dc2, g["gamma2"], g["beta2"] = _bn_back(dz, cache["bn2"])
    dh, g["w2"], _ = conv2d_backward(dc2, cache["conv2"])
    dc1, g["gamma1"], g["beta1"] = _bn_back(dh * cache["mask1"], cache["bn1"])
    dxb, g["w1"], _ = conv2d_backward(dc1, cache["conv1"])
    return dz + dxb, g
'''),
    ("residual_block", "correct", "CS231n step-by-step BN backward through mean and variance, loops-free einsum", '''
def residual_block_forward(x, params, epsilon=1e-3):
    steps = []
    h = x
    for k in ("1", "2"):
        c, conv = conv2d_forward(h, params["w" + k], None, strides=1, padding="same")
        mu = np.einsum("nhwc->c", c) / (c.size / c.shape[-1])
        xc = c - mu
        var = np.einsum("nhwc,nhwc->c", xc, xc) / (c.size / c.shape[-1])
        std = np.sqrt(var + epsilon)
        a = params["gamma" + k] * xc / std + params["beta" + k]
        steps.append((conv, xc, std, params["gamma" + k], a))
        h = np.maximum(a, 0.0) if k == "1" else a
    z = x + h
    return np.maximum(z, 0.0), (steps, z)


def residual_block_backward(dout, cache):
    steps, z = cache
    grads = {}
    d = dout * (z > 0)
    dskip = d
    for k, (conv, xc, std, gamma, a) in zip(("2", "1"), steps[::-1]):
        if k == "1":
            d = d * (a > 0)
        m = xc.size / xc.shape[-1]
        grads["gamma" + k] = np.einsum("nhwc,nhwc->c", d, xc / std)
        grads["beta" + k] = np.einsum("nhwc->c", d)
        dxhat = d * gamma
        dvar = np.einsum("nhwc,nhwc->c", dxhat, xc) * -0.5 * std ** -3
        dmu = -np.einsum("nhwc->c", dxhat) / std - 2.0 * dvar * np.einsum("nhwc->c", xc) / m
        dc = dxhat / std + dvar * 2.0 * xc / m + dmu / m
        d, grads["w" + k], _ = conv2d_backward(dc, conv)
    return d + dskip, grads
'''),
    ("residual_block", "correct", "own naive convolution with loops (conv2d_forward not used), tuple cache", '''
def _conv_same(x, w):
    kh, kw = w.shape[:2]
    th, tw = kh - 1, kw - 1
    xp = np.pad(x, ((0, 0), (th // 2, th - th // 2), (tw // 2, tw - tw // 2), (0, 0)))
    N, H, W, C = x.shape
    out = np.zeros((N, H, W, w.shape[3]))
    for i in range(H):
        for j in range(W):
            out[:, i, j, :] = np.tensordot(xp[:, i:i + kh, j:j + kw, :], w, axes=3)
    return out, (xp, w, x.shape)


def _conv_same_back(d, cache):
    xp, w, (N, H, W, C) = cache
    kh, kw = w.shape[:2]
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    for i in range(H):
        for j in range(W):
            dw += np.tensordot(xp[:, i:i + kh, j:j + kw, :], d[:, i, j, :], axes=([0], [0]))
            dxp[:, i:i + kh, j:j + kw, :] += np.tensordot(d[:, i, j, :], w, axes=([1], [3]))
    th, tw = kh - 1, kw - 1
    return dxp[:, th // 2:th // 2 + H, tw // 2:tw // 2 + W, :], dw


def residual_block_forward(x, params, epsilon=1e-3):
    c1, k1 = _conv_same(x, params["w1"])
    a1, n1, _, _ = batchnorm_forward(c1, params["gamma1"], params["beta1"], epsilon)
    c2, k2 = _conv_same(np.maximum(a1, 0.0), params["w2"])
    a2, n2, _, _ = batchnorm_forward(c2, params["gamma2"], params["beta2"], epsilon)
    z = x + a2
    return np.where(z > 0, z, 0.0), (k1, n1, a1, k2, n2, z)


def residual_block_backward(dout, cache):
    k1, n1, a1, k2, n2, z = cache
    dz = np.where(z > 0, dout, 0.0)
    dc2, dg2, db2 = batchnorm_backward(dz, n2)
    dh, dw2 = _conv_same_back(dc2, k2)
    dc1, dg1, db1 = batchnorm_backward(np.where(a1 > 0, dh, 0.0), n1)
    dxb, dw1 = _conv_same_back(dc1, k1)
    return dxb + dz, dict(w1=dw1, gamma1=dg1, beta1=db1, w2=dw2, gamma2=dg2, beta2=db2)
'''),
    # ---------------------------------------------------------------- Task 3: shift_images + random_translate
    ("augmentation", "wrong", "np.roll: pixels wrap around instead of zero fill", '''
def shift_images(images, shifts):
    out = np.empty_like(images)
    for n, (dy, dx) in enumerate(np.asarray(shifts).astype(int)):
        out[n] = np.roll(images[n], (dy, dx), axis=(0, 1))
    return out
''' + _TRANSLATE),
    ("augmentation", "wrong", "sign reversed: positive dy moves the image up (reads images[i + dy])", '''
def shift_images(images, shifts):
    H, W = images.shape[1:3]
    out = np.zeros_like(images)
    for n, (dy, dx) in enumerate(-np.asarray(shifts).astype(int)):
        out[n, max(dy, 0):H + min(dy, 0), max(dx, 0):W + min(dx, 0)] = \\
            images[n, max(-dy, 0):H + min(-dy, 0), max(-dx, 0):W + min(-dx, 0)]
    return out
''' + _TRANSLATE),
    ("augmentation", "wrong", "edge fill (np.pad mode='edge') instead of zeros", '''
def shift_images(images, shifts):
    H, W = images.shape[1:3]
    pad = [(0, 0), (H, H), (W, W)] + [(0, 0)] * (images.ndim - 3)
    out = np.zeros_like(images)
    for n, (dy, dx) in enumerate(np.asarray(shifts).astype(int)):
        p = np.pad(images[n:n + 1], pad, mode="edge")
        out[n] = p[0, H - dy:2 * H - dy, W - dx:2 * W - dx]
    return out
''' + _TRANSLATE),
    ("augmentation", "wrong", "dy and dx swapped (column 0 used for the columns)", '''
def shift_images(images, shifts):
    H, W = images.shape[1:3]
    out = np.zeros_like(images)
    for n, (dx, dy) in enumerate(np.asarray(shifts).astype(int)):
        out[n, max(dy, 0):H + min(dy, 0), max(dx, 0):W + min(dx, 0)] = \\
            images[n, max(-dy, 0):H + min(-dy, 0), max(-dx, 0):W + min(-dx, 0)]
    return out
''' + _TRANSLATE),
    ("augmentation", "wrong", "float output: np.zeros(images.shape) turns 8-bit images and masks into float64", '''
def shift_images(images, shifts):
    H, W = images.shape[1:3]
    out = np.zeros(images.shape)
    for n, (dy, dx) in enumerate(np.asarray(shifts).astype(int)):
        out[n, max(dy, 0):H + min(dy, 0), max(dx, 0):W + min(dx, 0)] = \\
            images[n, max(-dy, 0):H + min(-dy, 0), max(-dx, 0):W + min(-dx, 0)]
    return out
''' + _TRANSLATE),
    ("augmentation", "wrong", "assumes 4-D images (N, H, W, C): label masks (N, H, W) break", '''
def shift_images(images, shifts):
    N, H, W, C = images.shape
    out = np.zeros_like(images)
    for n, (dy, dx) in enumerate(np.asarray(shifts).astype(int)):
        out[n, max(dy, 0):H + min(dy, 0), max(dx, 0):W + min(dx, 0), :] = \\
            images[n, max(-dy, 0):H + min(-dy, 0), max(-dx, 0):W + min(-dx, 0), :]
    return out
''' + _TRANSLATE),
    ("augmentation", "wrong", "one shift for the whole batch", _SHIFT + '''

def random_translate(images, max_shift, rng):
    dy, dx = rng.integers(-max_shift, max_shift + 1, size=2)
    shifts = np.tile([dy, dx], (len(images), 1))
    return shift_images(images, shifts), shifts
'''),
    ("augmentation", "wrong", "np.random's global generator instead of rng", _SHIFT + '''

def random_translate(images, max_shift, rng):
    shifts = np.random.randint(-max_shift, max_shift + 1, size=(len(images), 2))
    return shift_images(images, shifts), shifts
'''),
    ("augmentation", "wrong", "rng.integers(-k, k): the upper bound is excluded, +max_shift never drawn", _SHIFT + '''

def random_translate(images, max_shift, rng):
    shifts = rng.integers(-max_shift, max(max_shift, 1), size=(len(images), 2))
    if max_shift == 0:
        shifts = np.zeros((len(images), 2), dtype=int)
    return shift_images(images, shifts), shifts
'''),
    ("augmentation", "wrong", "one draw used for both dy and dx (only diagonal shifts)", _SHIFT + '''

def random_translate(images, max_shift, rng):
    d = rng.integers(-max_shift, max_shift + 1, size=len(images))
    shifts = np.stack([d, d], axis=1)
    return shift_images(images, shifts), shifts
'''),
    ("augmentation", "wrong", "rounded normal shifts clipped to the range (not uniform)", _SHIFT + '''

def random_translate(images, max_shift, rng):
    shifts = np.clip(np.round(rng.normal(0.0, max_shift / 2 + 1e-12, size=(len(images), 2))), -max_shift,
                     max_shift).astype(int)
    return shift_images(images, shifts), shifts
'''),
    ("augmentation", "wrong", "a new generator seeded with 0 inside the function (ignores rng)", _SHIFT + '''

def random_translate(images, max_shift, rng):
    gen = np.random.default_rng(0)
    shifts = gen.integers(-max_shift, max_shift + 1, size=(len(images), 2))
    return shift_images(images, shifts), shifts
'''),
    ("augmentation", "wrong", "returns the shifts applied with the opposite sign", _SHIFT + '''

def random_translate(images, max_shift, rng):
    shifts = rng.integers(-max_shift, max_shift + 1, size=(len(images), 2))
    return shift_images(images, -shifts), shifts
'''),
    ("augmentation", "wrong", "calls dlkit's affine_transform_forward for the shift (the policy)", '''
from dlkit.np.functional.image import affine_transform_forward, translation_matrix


def shift_images(images, shifts):
    images, shifts = np.asarray(images), np.asarray(shifts, dtype=float)
    out = affine_transform_forward(images.reshape(images.shape[:3] + (-1,)).astype(float),
                                   translation_matrix(shifts[:, 1], shifts[:, 0]), interpolation="nearest",
                                   fill_mode="constant")[0]
    return out.reshape(images.shape).astype(images.dtype)
''' + _TRANSLATE),
    ("augmentation", "correct", "pad with zeros by (H, W) and crop the shifted window; rng.choice per image, dx first",
     '''
def shift_images(images, shifts):
    H, W = images.shape[1:3]
    pad = [(0, 0), (H, H), (W, W)] + [(0, 0)] * (images.ndim - 3)
    padded = np.pad(images, pad)
    out = np.empty_like(images)
    for n in range(len(images)):
        dy, dx = int(shifts[n][0]), int(shifts[n][1])
        out[n] = padded[n, H - dy:2 * H - dy, W - dx:2 * W - dx]
    return out


def random_translate(images, max_shift, rng):
    values = np.arange(-max_shift, max_shift + 1)
    shifts = np.zeros((len(images), 2), dtype=np.int64)
    for n in range(len(images)):
        shifts[n, 1] = rng.choice(values)
        shifts[n, 0] = rng.choice(values)
    return shift_images(images, shifts), shifts
'''),
    ("augmentation", "correct", "vectorised gather with index arithmetic and a validity mask; offset draw", '''
def shift_images(images, shifts):
    images = np.asarray(images)
    N, H, W = images.shape[:3]
    s = np.asarray(shifts).astype(np.int64)
    rows = np.arange(H)[None, :, None] - s[:, 0, None, None]
    cols = np.arange(W)[None, None, :] - s[:, 1, None, None]
    ok = (rows >= 0) & (rows < H) & (cols >= 0) & (cols < W)
    n = np.arange(N)[:, None, None]
    out = images[n, np.clip(rows, 0, H - 1), np.clip(cols, 0, W - 1)]
    mask = ok.reshape(ok.shape + (1,) * (images.ndim - 3))
    return np.where(mask, out, np.zeros((), dtype=images.dtype)).astype(images.dtype)


def random_translate(images, max_shift, rng):
    shifts = rng.integers(0, 2 * max_shift + 1, size=(len(images), 2)) - max_shift
    return shift_images(images, shifts), shifts
'''),
    ("augmentation", "correct", "pixel loops; dy and dx drawn in two separate calls (dx first)", '''
def shift_images(images, shifts):
    out = np.zeros_like(images)
    N, H, W = images.shape[:3]
    for n in range(N):
        dy, dx = int(shifts[n, 0]), int(shifts[n, 1])
        for i in range(H):
            for j in range(W):
                if 0 <= i - dy < H and 0 <= j - dx < W:
                    out[n, i, j] = images[n, i - dy, j - dx]
    return out


def random_translate(images, max_shift, rng):
    dx = rng.integers(-max_shift, max_shift + 1, size=len(images))
    dy = rng.integers(-max_shift, max_shift + 1, size=len(images))
    shifts = np.stack([dy, dx], axis=1)
    return shift_images(images, shifts), shifts
'''),
]
