"""Conv1D, Conv2DTranspose, UpSampling2D: float64 gradient checks, parity dlkit.np = dlkit.tf = keras (1e-10),
reference implementations, output shapes, bad input, and a tiny U-Net trained with Model.fit."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

import dlkit.np as dnp  # noqa: E402
import dlkit.np.layers.conv_extra as nc  # noqa: E402
import dlkit.tf.layers.conv_extra as tc  # noqa: E402
from dlkit.gradcheck import check_layer, eval_numerical_gradient_array, rel_error  # noqa: E402
from dlkit.np.functional import conv_extra as F  # noqa: E402
from dlkit.np.functional.conv import conv2d_backward, conv2d_forward  # noqa: E402

# (steps, k, strides, padding, dilation)
CONV1D = [(7, 3, 1, "valid", 1), (8, 3, 2, "valid", 1), (7, 3, 2, "same", 1), (8, 4, 1, "same", 1),
          (7, 3, 1, "causal", 1), (9, 2, 2, "causal", 1), (9, 3, 1, "causal", 2), (9, 3, 1, "same", 2),
          (9, 2, 1, "valid", 3)]
# (H, W, kh, kw, strides, padding, output_padding, dilation)
CONVT = [(3, 4, 3, 3, 1, "valid", None, 1), (3, 3, 3, 3, 2, "valid", None, 1), (4, 3, 2, 2, 2, "same", None, 1),
         (3, 5, 3, 3, 2, "same", None, 1), (3, 3, 1, 1, 3, "valid", None, 1), (3, 4, 4, 3, (2, 1), "same", None, 1),
         (3, 3, 3, 3, 2, "valid", 1, 1), (3, 3, 3, 2, 2, "same", (1, 1), 1), (3, 4, 3, 3, 3, "same", (2, 1), 1)]
CONVT_DILATED = [(4, 4, 3, 3, 1, "same", None, 2), (3, 4, 2, 3, 1, "valid", None, (2, 3))]
UPS = [((2, 2), "nearest"), ((3, 2), "nearest"), ((2, 2), "bilinear"), ((3, 1), "bilinear")]
H = 1e-4


def _rng(seed):
    return np.random.default_rng(seed)


def _check_linear(fwd, bwd, args, dout_seed=9):
    """Central differences of sum(fwd(*args) * dout) against bwd, for every argument; returns the errors."""
    out, cache = fwd(*args)
    dout = _rng(dout_seed).standard_normal(out.shape)
    grads = bwd(dout, cache)
    errors = []
    for i, g in enumerate(grads):
        def f(v, i=i):
            return fwd(*args[:i], v, *args[i + 1:])[0]
        errors.append(rel_error(g, eval_numerical_gradient_array(f, args[i].copy(), dout, h=H)))
    return errors


# -- functional: gradient checks and references ---------------------------------------------------
@pytest.mark.parametrize("cfg", CONV1D)
def test_conv1d_gradcheck(cfg):
    L, k, s, pad, d = cfg
    r = _rng(1)
    x, w, b = r.standard_normal((2, L, 3)), r.standard_normal((k, 3, 4)), r.standard_normal(4)
    errors = _check_linear(lambda x, w, b: F.conv1d_forward(x, w, b, s, pad, d), F.conv1d_backward, (x, w, b))
    assert max(errors) < 1e-8, errors


def _conv1d_loops(x, w, b, s, pad, d):
    (left, right), Lo = F.conv1d_output_length(x.shape[1], w.shape[0], s, pad, d)
    xp = np.pad(x, ((0, 0), (left, right), (0, 0)))
    out = np.zeros((len(x), Lo, w.shape[2])) + b
    for t in range(Lo):
        for p in range(w.shape[0]):
            out[:, t] += xp[:, t * s + p * d] @ w[p]
    return out


@pytest.mark.parametrize("cfg", CONV1D)
def test_conv1d_equals_loops(cfg):
    L, k, s, pad, d = cfg
    r = _rng(2)
    x, w, b = r.standard_normal((2, L, 3)), r.standard_normal((k, 3, 4)), r.standard_normal(4)
    np.testing.assert_allclose(F.conv1d_forward(x, w, b, s, pad, d)[0], _conv1d_loops(x, w, b, s, pad, d),
                               atol=1e-12)


def _convt_loops(x, w, b, s, pad, op, d):
    """Reference: each input pixel stamps x[n, i, j] @ w[p, q].T at (i*sh + p*dh, j*sw + q*dw), then crop."""
    sh, sw = F._pair(s, "s")
    dh, dw = F._pair(d, "d")
    opp = F.normalize_output_padding(op, (sh, sw))
    N, Hh, Ww, C = x.shape
    kh, kw, Fo, _ = w.shape
    ((pt, _), (pl, _)), (Ho, Wo) = F.conv2d_transpose_pads(Hh, Ww, kh, kw, (sh, sw), pad, opp, (dh, dw))
    big = np.zeros((N, Ho + pt + (kh - 1) * dh + sh * Hh, Wo + pl + (kw - 1) * dw + sw * Ww, Fo))
    for i in range(Hh):
        for j in range(Ww):
            for p in range(kh):
                for q in range(kw):
                    big[:, i * sh + p * dh, j * sw + q * dw] += x[:, i, j] @ w[p, q].T
    return big[:, pt:pt + Ho, pl:pl + Wo] + b


@pytest.mark.parametrize("cfg", CONVT + CONVT_DILATED)
def test_conv2d_transpose_equals_loops_and_conv2d_backward(cfg):
    Hh, Ww, kh, kw, s, pad, op, d = cfg
    r = _rng(3)
    x, w, b = r.standard_normal((2, Hh, Ww, 3)), r.standard_normal((kh, kw, 4, 3)), r.standard_normal(4)
    y, _ = F.conv2d_transpose_forward(x, w, b, s, pad, op, d)
    np.testing.assert_allclose(y, _convt_loops(x, w, b, s, pad, op, d), atol=1e-12)
    if d == 1:
        # the forward pass of the transposed convolution is the backward-data of conv2d (Ho, Wo) -> (H, W)
        z, cache = conv2d_forward(np.zeros((2, *y.shape[1:3], 4)), w, None, s, pad)
        assert z.shape[1:3] == (Hh, Ww)
        np.testing.assert_allclose(conv2d_backward(x, cache)[0] + b, y, atol=1e-12)


@pytest.mark.parametrize("cfg", CONVT + CONVT_DILATED)
def test_conv2d_transpose_gradcheck(cfg):
    Hh, Ww, kh, kw, s, pad, op, d = cfg
    r = _rng(4)
    x, w, b = r.standard_normal((2, Hh, Ww, 3)), r.standard_normal((kh, kw, 4, 3)), r.standard_normal(4)
    errors = _check_linear(lambda x, w, b: F.conv2d_transpose_forward(x, w, b, s, pad, op, d),
                           F.conv2d_transpose_backward, (x, w, b))
    assert max(errors) < 1e-8, errors


@pytest.mark.parametrize("size,interpolation", UPS)
def test_upsampling_gradcheck(size, interpolation):
    x = _rng(5).standard_normal((2, 3, 4, 2))
    err, = _check_linear(lambda x: F.upsampling2d_forward(x, size, interpolation),
                         lambda d, c: (F.upsampling2d_backward(d, c),), (x,))
    assert err < 1e-8


def test_bilinear_matrix_rows_are_interpolation_weights():
    A = F.bilinear_matrix(3, 2)
    np.testing.assert_allclose(A.sum(axis=1), 1)
    np.testing.assert_allclose(A[1], [0.75, 0.25, 0])         # source position 0.25
    np.testing.assert_allclose(A[0], [1, 0, 0])               # clamped at the border


# -- layers: gradient checks, parity, shapes ----------------------------------------------------------
LAYERS = [
    (nc.Conv1D, tc.Conv1D, keras.layers.Conv1D, dict(filters=3, kernel_size=3, strides=2, padding="same"), (2, 7, 2)),
    (nc.Conv1D, tc.Conv1D, keras.layers.Conv1D, dict(filters=3, kernel_size=3, padding="causal", dilation_rate=2),
     (2, 9, 2)),
    (nc.Conv1D, tc.Conv1D, keras.layers.Conv1D, dict(filters=2, kernel_size=4, strides=3), (2, 11, 3)),
    (nc.Conv2DTranspose, tc.Conv2DTranspose, keras.layers.Conv2DTranspose,
     dict(filters=3, kernel_size=3, strides=2, padding="same"), (2, 3, 4, 2)),
    (nc.Conv2DTranspose, tc.Conv2DTranspose, keras.layers.Conv2DTranspose,
     dict(filters=2, kernel_size=(2, 3), strides=(2, 1)), (2, 3, 3, 3)),
    (nc.Conv2DTranspose, tc.Conv2DTranspose, keras.layers.Conv2DTranspose,
     dict(filters=2, kernel_size=3, strides=2, output_padding=1), (2, 3, 3, 2)),
    (nc.Conv2DTranspose, tc.Conv2DTranspose, keras.layers.Conv2DTranspose,
     dict(filters=2, kernel_size=3, strides=3, padding="same", output_padding=(2, 1)), (2, 2, 3, 2)),
    (nc.UpSampling2D, tc.UpSampling2D, keras.layers.UpSampling2D, dict(size=(2, 3)), (2, 3, 2, 2)),
    (nc.UpSampling2D, tc.UpSampling2D, keras.layers.UpSampling2D, dict(size=2, interpolation="bilinear"),
     (2, 3, 4, 2)),
]
IDS = [f"{c[0].__name__}-{i}" for i, c in enumerate(LAYERS)]


@pytest.mark.parametrize("np_cls,tf_cls,keras_cls,kwargs,shape", LAYERS, ids=IDS)
def test_layer_gradcheck(np_cls, tf_cls, keras_cls, kwargs, shape):
    extra = {} if np_cls is nc.UpSampling2D else {"activation": "tanh"}
    layer = np_cls(**kwargs, **extra, dtype="float64")
    x = _rng(6).standard_normal(shape)
    layer(x)
    if "bias" in layer.params:
        layer.params["bias"][...] = _rng(7).standard_normal(layer.params["bias"].shape)
    errors = check_layer(layer, x, h=1e-5)
    assert set(errors) == {"x"} | set(layer.params)
    assert max(errors.values()) < 1e-7, errors


def _tape(layer, x, dy):
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = layer(xt)
        loss = tf.reduce_sum(y * dy)
    grads = tape.gradient(loss, [xt] + layer.trainable_weights)
    return y.numpy(), [g.numpy() for g in grads]


@pytest.mark.parametrize("np_cls,tf_cls,keras_cls,kwargs,shape", LAYERS, ids=IDS)
def test_parity_np_tf_keras(np_cls, tf_cls, keras_cls, kwargs, shape):
    # TensorFlow's bilinear resize computes its interpolation weights in float32
    tol = 1e-6 if kwargs.get("interpolation") == "bilinear" else 1e-10
    extra = {} if np_cls is nc.UpSampling2D else {"activation": "relu"}
    x = _rng(8).standard_normal(shape)
    layer = np_cls(**kwargs, **extra, dtype="float64")
    layer(x)
    if "bias" in layer.params:
        layer.params["bias"][...] = _rng(7).standard_normal(layer.params["bias"].shape)
    y = layer(x, training=True)
    assert y.shape == layer.compute_output_shape(x.shape)
    dy = _rng(9).standard_normal(y.shape)
    dx = layer.backward(dy)
    for other in (tf_cls(**kwargs, **extra, dtype="float64"), keras_cls(**kwargs, **extra, dtype="float64")):
        other(x)
        assert [w.name for w in other.weights] == list(layer.params)
        assert [tuple(w.shape) for w in other.weights] == [p.shape for p in layer.params.values()]
        other.set_weights(layer.get_weights())
        assert tuple(other.compute_output_shape(x.shape)) == y.shape
        if other.__module__.startswith("keras") and kwargs.get("dilation_rate", 1) != 1:
            # TensorFlow's CPU kernels have no gradient for dilated convolutions: compare the forward pass
            np.testing.assert_allclose(other(x).numpy(), y, atol=tol, rtol=0)
            continue
        yo, grads = _tape(other, x, dy)
        np.testing.assert_allclose(yo, y, atol=tol, rtol=0)
        np.testing.assert_allclose(grads[0], dx, atol=tol, rtol=0)
        for (name, g), go in zip(layer.grads.items(), grads[1:]):
            np.testing.assert_allclose(go, g, atol=tol, rtol=0, err_msg=name)


@pytest.mark.parametrize("cfg", CONVT_DILATED)
def test_dilated_transpose_np_equals_tf_mirror(cfg):
    # Keras' Conv2DTranspose cannot run dilation > 1 on CPU; the mirror uses a zero-dilated kernel
    Hh, Ww, kh, kw, s, pad, op, d = cfg
    x = _rng(10).standard_normal((2, Hh, Ww, 3))
    kwargs = dict(filters=2, kernel_size=(kh, kw), padding=pad, dilation_rate=d, dtype="float64")
    a, b = nc.Conv2DTranspose(**kwargs), tc.Conv2DTranspose(**kwargs)
    y = a(x)
    b(x)
    b.set_weights(a.get_weights())
    assert y.shape == a.compute_output_shape(x.shape)
    np.testing.assert_allclose(b(x).numpy(), y, atol=1e-12)


def test_compute_output_shape_unknown_sizes():
    assert nc.Conv1D(4, 3, padding="causal").compute_output_shape((None, None, 2)) == (None, None, 4)
    assert nc.Conv1D(4, 3, strides=2).compute_output_shape((None, 9, 2)) == (None, 4, 4)
    assert nc.Conv2DTranspose(4, 3, strides=2, padding="same").compute_output_shape((None, None, 5, 1)) == \
        (None, None, 10, 4)
    assert nc.UpSampling2D((2, 3)).compute_output_shape((None, 4, None, 3)) == (None, 8, None, 3)


def test_weight_layout_and_float32():
    conv1 = nc.Conv1D(5, 3)
    convt = nc.Conv2DTranspose(5, (3, 2))
    y1 = conv1(np.zeros((2, 6, 4)), training=True)
    yt = convt(np.zeros((2, 3, 3, 4)), training=True)
    assert conv1.params["kernel"].shape == (3, 4, 5) and convt.params["kernel"].shape == (3, 2, 5, 4)
    dx1, dxt = conv1.backward(np.ones_like(y1)), convt.backward(np.ones_like(yt))
    assert {a.dtype for a in (y1, yt, dx1, dxt, *conv1.grads.values(), *convt.grads.values())} == {np.dtype(np.float32)}


# -- errors ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("mod", [nc, tc])
def test_bad_input_errors(mod):
    conv1 = mod.Conv1D(4, 3)
    with pytest.raises(ValueError, match=r"\(batch, steps, channels\)"):
        conv1(np.zeros((2, 8, 8, 3), "float32"))
    with pytest.raises(ValueError, match="longer than"):
        mod.Conv1D(4, 5)(np.zeros((2, 4, 1), "float32"))
    conv1(np.zeros((2, 8, 3), "float32"))
    with pytest.raises(ValueError, match=r"\(batch, steps, 3\), got \(2, 8, 5\)"):
        conv1(np.zeros((2, 8, 5), "float32"))
    convt = mod.Conv2DTranspose(4, 3)
    with pytest.raises(ValueError, match=r"\(batch, height, width, channels\)"):
        convt(np.zeros((2, 8, 8), "float32"))
    convt(np.zeros((2, 4, 4, 3), "float32"))
    with pytest.raises(ValueError, match=r"\(batch, height, width, 3\), got \(2, 4, 4, 2\)"):
        convt(np.zeros((2, 4, 4, 2), "float32"))
    with pytest.raises(ValueError, match=r"\(batch, height, width, channels\)"):
        mod.UpSampling2D()(np.zeros((2, 8, 3), "float32"))


@pytest.mark.parametrize("mod", [nc, tc])
def test_bad_arguments(mod):
    with pytest.raises(ValueError, match="padding"):
        mod.Conv1D(2, 3, padding="full")
    with pytest.raises(ValueError, match="padding"):
        mod.Conv2DTranspose(2, 3, padding="causal")
    with pytest.raises(ValueError, match="output_padding"):
        mod.Conv2DTranspose(2, 3, strides=2, output_padding=2)
    with pytest.raises(ValueError, match="dilation_rate"):
        mod.Conv1D(2, 3, strides=2, dilation_rate=2)
    with pytest.raises(NotImplementedError, match="groups"):
        mod.Conv1D(2, 3, groups=2)
    with pytest.raises(NotImplementedError, match="channels_last"):
        mod.Conv2DTranspose(2, 3, data_format="channels_first")
    with pytest.raises(NotImplementedError, match="bicubic|interpolation"):
        mod.UpSampling2D(interpolation="bicubic")
    # same padding, even kernel and output_padding 0: no strided convolution maps the output back
    with pytest.raises(ValueError, match="output_padding"):
        mod.Conv2DTranspose(2, 2, strides=2, padding="same", output_padding=0)(np.zeros((1, 3, 3, 1)))


def test_backward_before_forward():
    with pytest.raises(RuntimeError, match="before forward"):
        nc.Conv2DTranspose(2, 3).backward(np.zeros((1, 4, 4, 2)))
    with pytest.raises(RuntimeError, match="before forward"):
        nc.UpSampling2D().backward(np.zeros((1, 4, 4, 2)))


# -- a tiny U-Net trained with fit ---------------------------------------------------------------------
@pytest.mark.parametrize("up", ["transpose", "upsampling"])
def test_tiny_unet_fit_loss_decreases(up):
    dnp.set_seed(0)
    rng = _rng(11)
    x = rng.standard_normal((32, 8, 8, 1))
    y = np.tanh(x + 0.5 * np.roll(x, 1, axis=1))          # a local, learnable image-to-image map
    inp = dnp.Input((8, 8, 1))
    c1 = dnp.layers.Conv2D(4, 3, padding="same", activation="relu")(inp)
    p = dnp.layers.MaxPooling2D()(c1)
    c2 = dnp.layers.Conv2D(8, 3, padding="same")(p)
    u = nc.Conv2DTranspose(4, 2, strides=2)(c2) if up == "transpose" else nc.UpSampling2D()(c2)
    m = dnp.layers.Concatenate()([u, c1])
    out = dnp.layers.Conv2D(1, 1)(m)
    model = dnp.Model(inp, out)
    model.compile("adam", "mse")
    history = model.fit(x, y, batch_size=8, epochs=12, verbose=0)
    losses = history.history["loss"]
    assert model.predict(x[:2], verbose=0).shape == (2, 8, 8, 1)
    assert all(b < a for a, b in zip(losses, losses[1:])) and losses[-1] < 0.8 * losses[0], losses
