"""The layer protocol, sublayer tracking, the functional Model (DAG backward with fan-out) and train_step."""
import numpy as np
import pytest

import dlkit.np as dnp
from dlkit.gradcheck import eval_numerical_gradient, scaled_rel_error
from dlkit.np.layers import Add, Concatenate, Dense, Layer, Multiply, Reshape, Subtract


class Residual(Layer):
    """A user-written block with two Dense sublayers: y = x + d2(relu(d1(x)))."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.d1, self.d2 = Dense(units, activation="relu"), Dense(units)

    def call(self, x, training=False):
        return x + self.d2(self.d1(x))

    def backward(self, dy):
        return dy + self.d1.backward(self.d2.backward(dy))


def test_user_block_counts_and_trains_its_sublayers():
    dnp.set_seed(0)
    model = dnp.Sequential([dnp.Input((4,)), Residual(4), Dense(1)])
    block = model.layers[0]
    assert block.count_params() == 2 * (4 * 4 + 4)
    assert list(block.params) == ["d1/kernel", "d1/bias", "d2/kernel", "d2/bias"]
    lines = []
    model.summary(print_fn=lines.append)
    assert any("residual" in l and l.rstrip().endswith("40") for l in lines), lines
    before = block.d1.params["kernel"].copy()
    x = np.random.default_rng(0).standard_normal((64, 4))
    model.compile("adam", "mse")
    model.fit(x, x.sum(1, keepdims=True) ** 2, epochs=3, verbose=0)
    assert not np.allclose(block.d1.params["kernel"], before)
    assert len(model.grads_and_vars()) == 6


def test_sublayers_take_the_parent_dtype_unless_given():
    class Block(Layer):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.a, self.b = Dense(2), Dense(2, dtype="float32")

        def call(self, x, training=False):
            return self.b(self.a(x))

    blk = Block(dtype="float64")
    blk(np.ones((1, 3)))
    assert blk.a.dtype == np.float64 and blk.b.dtype == np.float32


def test_layer_protocol_errors_say_what_is_missing():
    with pytest.raises(TypeError, match="rename forward to call"):
        class Old(Layer):  # noqa: F841
            def forward(self, x, training=False):
                return x

    class NoBackward(Layer):
        def call(self, x, training=False):
            return 2 * x

    model = dnp.Sequential([Dense(2), NoBackward()])
    model.compile("sgd", "mse")
    with pytest.raises(NotImplementedError, match="NoBackward define call\\(\\) but not backward"):
        model.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)

    class NoReturn(Layer):
        def call(self, x, training=False):
            x * 2

    with pytest.raises(TypeError, match="returned None"):
        NoReturn()(np.ones((1, 2)))
    with pytest.raises(ValueError, match="build the layer first"):
        Dense(3).set_weights([np.ones((2, 3)), np.ones(3)])


def _graph_model(dtype="float64"):
    """Two inputs, a fan-out of h to three consumers, merges, two outputs."""
    a, b = dnp.Input((3,), dtype=dtype), dnp.Input((2,), dtype=dtype)
    h = Dense(4, activation="tanh", dtype=dtype)(a)
    g = Dense(4, dtype=dtype)(b)
    s = Add(dtype=dtype)([h, g])
    m = Multiply(dtype=dtype)([h, s])
    c = Concatenate(dtype=dtype)([h, m, Subtract(dtype=dtype)([s, g])])
    out1 = Dense(1, dtype=dtype)(c)
    out2 = Reshape((2, 2), dtype=dtype)(h)
    return dnp.Model([a, b], [out1, out2])


def test_functional_backward_sums_gradients_at_fan_out():
    dnp.set_seed(1)
    model = _graph_model()
    rng = np.random.default_rng(0)
    xa, xb = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    d1, d2 = rng.standard_normal((5, 1)), rng.standard_normal((5, 2, 2))

    def f(*_):
        y1, y2 = model([xa, xb])
        return float(np.sum(y1 * d1) + np.sum(y2 * d2))

    model([xa, xb], training=True)
    dxa, dxb = model.backward([d1, d2])
    grads = model.grads
    assert scaled_rel_error(dxa, eval_numerical_gradient(f, xa)) < 1e-7
    assert scaled_rel_error(dxb, eval_numerical_gradient(f, xb)) < 1e-7
    for key, w in model.params.items():
        assert scaled_rel_error(grads[key], eval_numerical_gradient(f, w)) < 1e-7, key


def test_functional_model_matches_keras_forward_and_gradients():
    tf = pytest.importorskip("tensorflow")
    keras = pytest.importorskip("keras")
    dnp.set_seed(2)
    model = _graph_model()
    a, b = keras.Input((3,), dtype="float64"), keras.Input((2,), dtype="float64")
    kl = {n: getattr(keras.layers, n) for n in ("Dense", "Add", "Multiply", "Concatenate", "Subtract", "Reshape")}
    h = kl["Dense"](4, activation="tanh", dtype="float64")(a)
    g = kl["Dense"](4, dtype="float64")(b)
    s = kl["Add"](dtype="float64")([h, g])
    m = kl["Multiply"](dtype="float64")([h, s])
    c = kl["Concatenate"](dtype="float64")([h, m, kl["Subtract"](dtype="float64")([s, g])])
    kmodel = keras.Model([a, b], [kl["Dense"](1, dtype="float64")(c), kl["Reshape"]((2, 2), dtype="float64")(h)])
    kmodel.set_weights(model.get_weights())
    rng = np.random.default_rng(3)
    xa, xb = rng.standard_normal((6, 3)), rng.standard_normal((6, 2))
    d1, d2 = rng.standard_normal((6, 1)), rng.standard_normal((6, 2, 2))
    y1, y2 = model([xa, xb], training=True)
    model.backward([d1, d2])
    with tf.GradientTape() as tape:
        k1, k2 = kmodel([tf.constant(xa), tf.constant(xb)])
        loss = tf.reduce_sum(k1 * d1) + tf.reduce_sum(k2 * d2)
    kg = tape.gradient(loss, kmodel.trainable_weights)
    np.testing.assert_allclose(y1, k1.numpy(), atol=1e-12)
    np.testing.assert_allclose(y2, k2.numpy(), atol=1e-12)
    for (key, gn), gk in zip(model.grads.items(), kg):
        np.testing.assert_allclose(gn, gk.numpy(), atol=1e-10, err_msg=key)


def test_two_input_model_trains_through_fit_and_checks_inputs():
    dnp.set_seed(3)
    a, b = dnp.Input((3,)), dnp.Input((2,))
    h = Concatenate()([Dense(8, activation="relu")(a), Dense(8, activation="relu")(b)])
    model = dnp.Model([a, b], Dense(1)(h))
    rng = np.random.default_rng(1)
    xa, xb = rng.standard_normal((128, 3)), rng.standard_normal((128, 2))
    y = xa[:, :1] * xb[:, 1:] + xa[:, 1:2]
    model.compile(dnp.optimizers.Adam(0.01), "mse")
    hist = model.fit([xa, xb], y, epochs=15, batch_size=32, verbose=0, validation_data=([xa, xb], y))
    assert hist.history["loss"][-1] < 0.5 * hist.history["loss"][0]
    assert model.predict([xa, xb]).shape == (128, 1)
    with pytest.raises(ValueError, match="input 1 .* must have shape \\(None, 2\\)"):
        model.predict([xa, xa])
    with pytest.raises(ValueError, match="not in inputs"):
        dnp.Model(a, Add()([a, Dense(3)(b)]))


def test_functional_equals_sequential_and_skips_first_input_gradient():
    x = np.random.default_rng(0).standard_normal((64, 5))
    y = np.random.default_rng(1).integers(0, 3, 64)
    results = []
    for functional in (False, True):
        dnp.set_seed(7)
        layers = [Dense(16, activation="relu"), Dense(3, activation="softmax")]
        if functional:
            inp = dnp.Input((5,))
            model = dnp.Model(inp, layers[1](layers[0](inp)))
        else:
            model = dnp.Sequential([dnp.Input((5,))] + layers)
        model.compile("adam", "sparse_categorical_crossentropy")
        results.append((model.fit(x, y, epochs=3, batch_size=16, verbose=0).history["loss"], model.get_weights()))
        assert layers[0].input_gradient  # restored after fit
    assert results[0][0] == results[1][0]
    for w0, w1 in zip(results[0][1], results[1][1]):
        np.testing.assert_array_equal(w0, w1)


def test_train_step_is_what_fit_runs():
    x = np.random.default_rng(0).standard_normal((32, 3))
    y = x @ np.array([[1.0], [-2.0], [0.5]])
    weights = []
    for manual in (False, True):
        dnp.set_seed(4)
        model = dnp.Sequential([dnp.Input((3,)), Dense(1)])
        model.compile(dnp.optimizers.SGD(0.1), "mse")
        if manual:
            value, _ = dnp.train_step(model, model.loss, model.optimizer, x, y)
            assert value > 0
        else:
            model.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0)
        weights.append(model.get_weights())
    for a, b in zip(*weights):
        np.testing.assert_allclose(a, b, rtol=1e-6)


@pytest.mark.parametrize("kwargs, match", [
    (dict(batch_size=0), "batch_size must be an integer >= 1, got 0"),
    (dict(batch_size=2.5), "batch_size must be an integer >= 1, got 2.5"),
    (dict(epochs=2.5), "epochs must be an integer >= 0, got 2.5"),
    (dict(validation_data=(np.ones((4, 2)), np.ones((4, 1)))), "validation_data x must have .* shape"),
])
def test_fit_argument_errors_name_the_argument(kwargs, match):
    model = dnp.Sequential([Dense(1)])
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match=match):
        model.fit(np.ones((8, 3)), np.ones((8, 1)), verbose=0, **kwargs)


def test_nan_in_data_is_reported_before_training_not_blamed_on_the_learning_rate():
    x = np.ones((10, 3))
    x[4, 1] = np.nan
    x[7, 0] = np.inf
    model = dnp.Sequential([Dense(1)])
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match="x contains 2 NaN/inf value\\(s\\) in 2 row\\(s\\), the first in row 4"):
        model.fit(x, np.ones((10, 1)), verbose=0)
    with pytest.raises(ValueError, match="^y contains 1 NaN"):
        model.fit(np.ones((10, 3)), np.where(np.arange(10)[:, None] == 3, np.nan, 1.0), verbose=0)


def test_fit_accepts_a_generator_a_dataset_and_a_single_callback():
    x = np.random.default_rng(0).standard_normal((40, 3))
    y = x.sum(1, keepdims=True)

    def gen():
        for s in range(0, 40, 10):
            yield x[s:s + 10], y[s:s + 10]

    seen = []
    cb = dnp.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: seen.append(logs["loss"]))
    model = dnp.Sequential([Dense(1)])
    model.compile("sgd", "mse")
    model.fit(gen(), epochs=1, verbose=0, callbacks=cb)
    assert len(seen) == 1
    with pytest.raises(ValueError, match="used up after one pass"):
        model.fit(gen(), epochs=2, verbose=0)
    with pytest.raises(TypeError, match="fit: x must be a NumPy array"):
        model.fit({"a": x}, y, verbose=0)
    tf = pytest.importorskip("tensorflow")
    ds = tf.data.Dataset.from_tensor_slices((x, y)).batch(8)
    hist = model.fit(ds, epochs=3, verbose=0)
    assert len(hist.history["loss"]) == 3


def test_sample_and_class_weights_match_keras():
    keras = pytest.importorskip("keras")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((48, 4))
    y = rng.integers(0, 3, 48)
    sw = rng.uniform(0.1, 2.0, 48)
    cw = {0: 1.0, 1: 3.0, 2: 0.5}
    for kwargs in (dict(sample_weight=sw), dict(class_weight=cw)):
        dnp.set_seed(0)
        model = dnp.Sequential([dnp.Input((4,), dtype="float64"), Dense(3, activation="softmax", dtype="float64")])
        kmodel = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax", dtype="float64")])
        kmodel.set_weights(model.get_weights())
        model.compile(dnp.optimizers.SGD(0.5), "sparse_categorical_crossentropy")
        kmodel.compile(keras.optimizers.SGD(0.5), "sparse_categorical_crossentropy")
        model.fit(x, y, batch_size=48, epochs=2, shuffle=False, verbose=0, **kwargs)
        kmodel.fit(x, y, batch_size=48, epochs=2, shuffle=False, verbose=0, **kwargs)
        for a, b in zip(model.get_weights(), kmodel.get_weights()):
            np.testing.assert_allclose(a, b, atol=1e-6)


def test_functional_masked_text_classifier_trains_and_ignores_padding():
    """Input(int ids) -> Embedding(mask_zero) -> Bidirectional(LSTM) -> masked GlobalAveragePooling1D -> Dense."""
    from dlkit.np.layers import Bidirectional, Embedding, GlobalAveragePooling1D, LSTM
    rng = np.random.default_rng(5)
    n, T = 96, 8
    lengths = rng.integers(2, T + 1, n)
    ids = rng.integers(1, 12, (n, T)) * (np.arange(T) < lengths[:, None])
    y = ((ids == 3).any(axis=1)).astype(float)               # "does word 3 occur?" anywhere in the text
    dnp.set_seed(5)
    tokens = dnp.Input((None,), dtype="int64")
    h = Bidirectional(LSTM(6, return_sequences=True))(Embedding(12, 6, mask_zero=True)(tokens))
    model = dnp.Model(tokens, Dense(1, activation="sigmoid")(GlobalAveragePooling1D()(h)))
    model.compile(dnp.optimizers.Adam(0.03), "binary_crossentropy", metrics=["accuracy"])
    hist = model.fit(ids, y, epochs=25, batch_size=16, verbose=0)
    assert hist.history["loss"][-1] < 0.5 * hist.history["loss"][0]
    assert hist.history["accuracy"][-1] > 0.9
    row = ids[:1, :lengths[0]]
    padded = np.concatenate([row, np.zeros((1, 5), row.dtype)], axis=1)
    np.testing.assert_allclose(model.predict(padded), model.predict(row), rtol=1e-5, atol=1e-6)
