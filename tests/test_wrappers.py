"""TimeDistributed: per-step equivalence, weight tracking, gradient check, Keras parity (float64) and
training inside Sequential."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import dlkit.np as dnp  # noqa: E402
from dlkit.gradcheck import check_layer  # noqa: E402
from dlkit.np.layers import Conv2D, Dense, Flatten, GlobalAveragePooling2D  # noqa: E402
from dlkit.np.layers.wrappers import TimeDistributed  # noqa: E402

RNG = np.random.default_rng(0)
X = RNG.standard_normal((3, 4, 5))          # (batch, T, features)


def test_equals_inner_layer_on_each_step():
    td = TimeDistributed(Dense(6, activation="tanh", dtype="float64"))
    y = td(X)
    assert y.shape == (3, 4, 6) and td.compute_output_shape((None, 4, 5)) == (None, 4, 6)
    for t in range(4):
        np.testing.assert_allclose(y[:, t], td.layer(X[:, t]), rtol=0, atol=1e-14)


def test_images_per_step_and_weights_tracking():
    x = RNG.standard_normal((2, 3, 6, 6, 2))                     # (batch, T, H, W, C)
    td = TimeDistributed(Conv2D(4, 3, dtype="float64"))
    y = td(x)
    assert y.shape == (2, 3, 4, 4, 4)
    np.testing.assert_allclose(y[:, 1], td.layer(x[:, 1]), atol=1e-13)
    assert list(td.params) == ["layer/kernel", "layer/bias"]
    assert [w.shape for w in td.get_weights()] == [(3, 3, 2, 4), (4,)]
    assert td.count_params() == 3 * 3 * 2 * 4 + 4
    assert td.dtype == np.float64                                # takes the inner layer's dtype


def test_build_before_call_and_set_weights():
    td = TimeDistributed(Dense(2))
    td.build((None, 4, 5))
    assert [w.shape for w in td.get_weights()] == [(5, 2), (2,)]
    td.set_weights([np.ones((5, 2)), np.zeros(2)])
    np.testing.assert_allclose(td(X.astype("float32")), np.repeat(X.sum(-1, keepdims=True), 2, -1), rtol=1e-5)


@pytest.mark.parametrize("make, shape", [
    (lambda: Dense(3, activation="sigmoid", dtype="float64"), (3, 4, 5)),
    (lambda: TimeDistributed(Dense(3, dtype="float64")), (2, 3, 4, 5)),     # nested: (batch, T1, T2, d)
])
def test_gradcheck(make, shape):
    td = TimeDistributed(make())
    errors = check_layer(td, RNG.standard_normal(shape))
    assert set(errors) == {"x", *td.params}
    assert max(errors.values()) < 1e-7, errors


def test_keras_parity_float64_outputs_and_gradients():
    keras = pytest.importorskip("keras")
    tf = pytest.importorskip("tensorflow")
    from dlkit.tf.layers.wrappers import TimeDistributed as TfTimeDistributed
    ours = TimeDistributed(Dense(6, activation="tanh", dtype="float64"))
    dy = RNG.standard_normal((3, 4, 6))
    y = ours(X, training=True)
    dx = ours.backward(dy)
    for cls in (keras.layers.TimeDistributed, TfTimeDistributed):
        theirs = cls(keras.layers.Dense(6, activation="tanh", dtype="float64"), dtype="float64")
        theirs.build((None, 4, 5))
        assert [w.path.split("/")[-1] for w in theirs.weights] == ["kernel", "bias"]
        theirs.set_weights(ours.get_weights())
        xt = tf.constant(X)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            yt = theirs(xt)
            loss = tf.reduce_sum(yt * dy)
        grads = tape.gradient(loss, [xt] + theirs.trainable_weights)
        np.testing.assert_allclose(y, yt.numpy(), rtol=0, atol=1e-10)
        np.testing.assert_allclose(dx, grads[0].numpy(), rtol=0, atol=1e-10)
        for (name, g), gt in zip(ours.grads.items(), grads[1:]):
            np.testing.assert_allclose(g, gt.numpy(), rtol=0, atol=1e-10, err_msg=name)


def test_trains_inside_sequential():
    dnp.set_seed(0)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((64, 5, 3))
    y = x @ rng.standard_normal((3, 2))                          # a per-step linear target
    model = dnp.Sequential([dnp.Input((5, 3)), TimeDistributed(Dense(8, activation="tanh")),
                            TimeDistributed(Dense(2))])
    model.compile(optimizer=dnp.optimizers.Adam(learning_rate=0.02), loss="mse")
    history = model.fit(x, y, epochs=15, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert model.predict(x, verbose=0).shape == (64, 5, 2)


def test_in_functional_model_over_image_sequences():
    dnp.set_seed(0)
    inputs = dnp.Input((3, 6, 6, 1))
    h = TimeDistributed(Conv2D(2, 3))(inputs)
    h = TimeDistributed(GlobalAveragePooling2D())(h)
    out = Dense(1)(Flatten()(h))
    model = dnp.Model(inputs, out)
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(2).standard_normal((8, 3, 6, 6, 1))
    model.fit(x, np.zeros((8, 1)), epochs=1, verbose=0)
    assert model.predict(x, verbose=0).shape == (8, 1)


def test_mask_passes_through():
    td = TimeDistributed(Dense(2))
    mask = np.array([[True, True, False, False]] * 3)
    np.testing.assert_array_equal(td.compute_mask(X, mask), mask)
    assert td(X.astype("float32"), mask=mask).shape == (3, 4, 2)
    with pytest.raises(ValueError, match="mask of shape"):
        td(X.astype("float32"), mask=mask[:, :3])


def test_errors():
    with pytest.raises(ValueError, match="layer must be a dlkit.np layer instance"):
        TimeDistributed("dense")
    with pytest.raises(ValueError, match=r"expected input of rank >= 3 \(batch, timesteps"):
        TimeDistributed(Dense(2))(np.zeros((3, 4)))
    with pytest.raises(RuntimeError, match="backward"):
        TimeDistributed(Dense(2)).backward(np.zeros((1, 2, 2)))
