"""dlkit.np.keras_bridge: to_keras / from_keras copy architecture and weights; outputs agree to 1e-5 in
float32 both ways; layers without a Keras twin raise; importing the bridge does not import TensorFlow."""
import os
import subprocess
import sys

import numpy as np
import pytest

import dlkit.np as dnp
from dlkit.np.keras_bridge import from_keras, to_keras
from dlkit.np.layers import (GRU, LSTM, Activation, Add, AveragePooling2D, BatchNormalization, Concatenate,
                             Conv2D, Dense, Dropout, Embedding, Flatten, GlobalAveragePooling2D,
                             LayerNormalization, MaxPooling2D, MultiHeadAttention, Multiply, Reshape,
                             SimpleRNN, Subtract, TransformerEncoderBlock)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOL = 1e-5


def test_importing_the_bridge_does_not_import_tensorflow():
    code = ("import sys, dlkit.np.keras_bridge\n"
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras'))\n"
            "assert not bad, bad[:5]")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, PYTHONPATH=REPO))
    assert proc.returncode == 0, proc.stderr[-2000:]


keras = pytest.importorskip("keras")
rng = np.random.default_rng(0)


def _perturb(model):
    """Non-trivial weights (biases, BN statistics) so that a forgotten copy shows."""
    for p in model.params.values():
        p += 0.1 * rng.standard_normal(p.shape).astype(p.dtype)
        if p.ndim == 1:
            np.abs(p, out=p)          # keeps moving_variance positive


def mlp():
    return dnp.Sequential([dnp.Input((10,)), Dense(16, activation="relu"), Dropout(0.2),
                           Dense(8, activation="tanh"), Activation("softmax")]), \
        rng.standard_normal((5, 10)).astype("float32")


def cnn():
    extra = [getattr(dnp.layers, n)(**kw) for n, kw in (("UpSampling2D", {}),) if hasattr(dnp.layers, n)]
    return dnp.Sequential([dnp.Input((10, 10, 2)), Conv2D(4, 3, padding="same", activation="relu"),
                           BatchNormalization(), MaxPooling2D(), *extra, Conv2D(3, 2, strides=2),
                           AveragePooling2D(pool_size=2, padding="same"), Flatten(), Dense(3)]), \
        rng.standard_normal((4, 10, 10, 2)).astype("float32")


def cnn_gap():
    return dnp.Sequential([dnp.Input((8, 8, 1)), Conv2D(4, 3), LayerNormalization(), GlobalAveragePooling2D(),
                           Dense(2)]), rng.standard_normal((3, 8, 8, 1)).astype("float32")


def rnn():
    return dnp.Sequential([dnp.Input((7,), dtype="int64"), Embedding(20, 6), SimpleRNN(5, return_sequences=True),
                           LSTM(4, return_sequences=True), GRU(3), Dense(2)]), rng.integers(0, 20, (4, 7))


def residual():
    x = dnp.Input((6, 8))
    a = MultiHeadAttention(num_heads=2, key_dim=4)(x)
    h = LayerNormalization()(Add()([x, a]))
    f = Dense(8)(Dense(16, activation="relu")(h))
    y = Multiply()([Subtract()([h, f]), h])
    y = Dense(3)(Reshape((48,))(y))
    return dnp.Model(x, y), rng.standard_normal((3, 6, 8)).astype("float32")


def two_inputs():
    a, b = dnp.Input((4,), name="a"), dnp.Input((3,), name="b")
    h = Concatenate()([Dense(5, activation="relu")(a), b])
    return dnp.Model([a, b], [Dense(2)(h), Dense(1, activation="sigmoid")(h)]), \
        [rng.standard_normal((6, 4)).astype("float32"), rng.standard_normal((6, 3)).astype("float32")]


def _keras_out(kmodel, x):
    out = kmodel(x, training=False)
    return [np.asarray(o) for o in out] if isinstance(out, (list, tuple)) else np.asarray(out)


def _max_diff(a, b):
    a, b = (a, b) if isinstance(a, list) else ([a], [b])
    return max(float(np.max(np.abs(np.asarray(u) - np.asarray(v)))) for u, v in zip(a, b))


@pytest.mark.parametrize("make", [mlp, cnn, cnn_gap, rnn, residual, two_inputs])
def test_round_trip_agrees_both_ways(make):
    dnp.set_seed(0)
    model, x = make()
    _perturb(model)
    ours = model.predict(x)
    kmodel = to_keras(model)
    assert isinstance(kmodel, keras.Sequential) == isinstance(model, dnp.Sequential)
    theirs = _keras_out(kmodel, x)
    assert _max_diff(ours, theirs) < TOL
    back = from_keras(kmodel)
    assert type(back) is type(model) and [type(l) for l in back.layers] == [type(l) for l in model.layers]
    assert _max_diff(back.predict(x), theirs) < TOL
    assert all(np.array_equal(p, q) for p, q in zip(back.get_weights(), model.get_weights()))


def test_from_keras_on_models_built_in_keras():
    keras.utils.set_random_seed(0)
    inp = keras.Input((5,))
    h = keras.layers.Dense(8, activation="relu", kernel_regularizer="l2")(inp)
    out = keras.layers.Dense(2)(keras.layers.Add()([h, keras.layers.Dense(8)(inp)]))
    for kmodel, x in [(keras.Model(inp, out), rng.standard_normal((4, 5)).astype("float32")),
                      (keras.Sequential([keras.Input((6, 3)), keras.layers.LSTM(4), keras.layers.Dense(1)]),
                       rng.standard_normal((2, 6, 3)).astype("float32"))]:
        model = from_keras(kmodel)
        assert _max_diff(model.predict(x), _keras_out(kmodel, x)) < TOL
    assert model.layers[0].kernel_initializer == "glorot_uniform"


def test_unsupported_layers_and_arguments_raise_naming_them():
    x = dnp.Input((6, 8))
    m = dnp.Model(x, TransformerEncoderBlock(num_heads=2, intermediate_dim=8, name="enc")(x))
    with pytest.raises(NotImplementedError, match="'enc' \\(TransformerEncoderBlock\\) has no Keras twin"):
        to_keras(m)
    seq = dnp.Sequential([dnp.Input((6, 8)), MultiHeadAttention(2, 4, name="att")])
    with pytest.raises(NotImplementedError, match="'att'.*functional"):
        to_keras(seq)
    k = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(2, 3, dilation_rate=2, name="dil")])
    with pytest.raises(NotImplementedError, match="'dil' \\(Conv2D\\): argument dilation_rate"):
        from_keras(k)
    k = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, kernel_constraint="non_neg", name="c")])
    with pytest.raises(NotImplementedError, match="'c'.*kernel_constraint"):
        from_keras(k)


def test_more_conv_layers_when_dlkit_has_them():
    names = ("Conv1D", "Conv2DTranspose", "UpSampling2D")
    if not all(hasattr(dnp.layers, n) for n in names):
        pytest.skip("dlkit.np.layers does not export Conv1D / Conv2DTranspose / UpSampling2D yet")
    L = dnp.layers
    model = dnp.Sequential([dnp.Input((9, 3)), L.Conv1D(4, 3, padding="same"), Flatten(), Reshape((3, 3, 4)),
                            L.Conv2DTranspose(2, 3, strides=2), L.UpSampling2D(), Flatten(), Dense(2)])
    _perturb(model)
    x = rng.standard_normal((2, 9, 3)).astype("float32")
    kmodel = to_keras(model)
    assert _max_diff(model.predict(x), _keras_out(kmodel, x)) < TOL
    assert _max_diff(from_keras(kmodel).predict(x), _keras_out(kmodel, x)) < TOL
