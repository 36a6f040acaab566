"""dlkit.tf.compare: the side-by-side check the GPU sections rely on must pass on twins and fail otherwise."""
import keras
import numpy as np
import pytest

import dlkit.tf as dtf


def twins(hidden=16):
    x = keras.Input((8,))
    ours = keras.Sequential([x, dtf.layers.Dense(hidden, activation="relu"), dtf.layers.Dense(3)])
    ref = keras.Sequential([keras.Input((8,)), keras.layers.Dense(hidden, activation="relu"), keras.layers.Dense(3)])
    return ours, ref


def data(n=32):
    rng = np.random.default_rng(0)
    return rng.normal(size=(n, 8)).astype("float32"), rng.integers(0, 3, n)


def test_twins_agree_and_weights_are_copied():
    ours, ref = twins()
    x, y = data()
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    out_err, grad_err = dtf.first_step_check(ours, ref, x, y, loss, verbose=False)
    assert out_err < 1e-6 and grad_err < 1e-5
    for a, b in zip(ours.get_weights(), ref.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_different_model_is_caught():
    ours, ref = twins()
    x, y = data()
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    ref_tanh = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="tanh"), keras.layers.Dense(3)])
    with pytest.raises(AssertionError, match="outputs differ"):
        dtf.first_step_check(ours, ref_tanh, x, y, loss, verbose=False)
    wide = keras.Sequential([keras.Input((8,)), keras.layers.Dense(17, activation="relu"), keras.layers.Dense(3)])
    with pytest.raises(ValueError, match="same weights in the same order"):
        dtf.copy_weights(wide, ours)


def test_gradient_difference_alone_is_caught():
    """Same forward, different loss scale in training mode only: only the gradient check can see it."""
    ours, ref = twins()
    x, y = data()
    base = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    calls = []

    def loss(y_true, y_pred):  # the reference's gradient (second call) is scaled by 1.5
        calls.append(1)
        return base(y_true, y_pred) * (1.0 if len(calls) == 1 else 1.5)

    with pytest.raises(AssertionError, match="gradient of .* differs"):
        dtf.first_step_check(ours, ref, x, y, loss, verbose=False)


def test_timed_fit_reports_a_rate():
    ours, _ = twins()
    ours.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x, y = data(64)
    history, rate = dtf.timed_fit(ours, x, y, epochs=2, batch_size=16, validation_split=0.25, verbose=0)
    assert len(history.history["loss"]) == 2 and np.isfinite(rate) and rate > 0
    with pytest.raises(ValueError, match="n_examples"):
        import tensorflow as tf
        dtf.timed_fit(ours, tf.data.Dataset.from_tensor_slices((x, y)).batch(8), epochs=1)


def test_zero_gradient_of_a_bias_before_batch_norm_is_not_a_failure():
    """The bias before BatchNormalization has gradient 0 in exact arithmetic; round-off must not fail the check,
    while a real difference elsewhere still does (test_gradient_difference_alone_is_caught)."""
    def build(L):
        return keras.Sequential([keras.Input((8,)), L.Dense(16), L.BatchNormalization(), L.Activation("relu"),
                                 L.Dense(3)])
    x, y = data(64)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    _, grad_err = dtf.first_step_check(build(dtf.layers), build(keras.layers), x, y, loss, verbose=False)
    assert grad_err < 1e-4


def test_embedding_gradients_are_compared():
    """Embedding gradients are tf.IndexedSlices; they are densified and compared, not skipped or crashed on."""
    def build(L):
        return keras.Sequential([keras.Input((5,), dtype="int32"), L.Embedding(11, 4), L.Flatten(), L.Dense(3)])
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 11, (16, 5)).astype("int32"), rng.integers(0, 3, 16)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    _, grad_err = dtf.first_step_check(build(dtf.layers), build(keras.layers), x, y, loss, verbose=False)
    assert grad_err < 1e-5


def test_timed_fit_stops_the_clock_before_validation():
    import time

    import keras as k

    class SlowValidation(k.callbacks.Callback):
        def on_test_batch_end(self, batch, logs=None):
            time.sleep(0.3)

    ours, _ = twins()
    ours.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x, y = data(64)
    _, rate = dtf.timed_fit(ours, x, y, epochs=3, batch_size=64, validation_data=(x[:8], y[:8]), verbose=0,
                            callbacks=[SlowValidation()])
    assert rate > 64 / 0.3  # the 0.3 s of validation per epoch is not counted as training time
