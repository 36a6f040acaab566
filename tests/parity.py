"""Parity helper shared by the layer tests: dlkit.np = dlkit.tf = stock Keras, forward and gradients."""
import numpy as np
import tensorflow as tf


def compare_np_tf_keras(np_layer, tf_layer, keras_layer, x, training=None, steps=1):
    """Forward and gradients (input and trainable weights) of np vs tf vs keras, atol 1e-6."""
    y = np_layer(x, training=bool(training))
    for layer in (tf_layer, keras_layer):
        layer(x)
        if np_layer.params:
            layer.set_weights(np_layer.get_weights())
    rng = np.random.default_rng(5)
    for _ in range(steps):
        y = np_layer(x, training=bool(training))
        dy = rng.standard_normal(y.shape)
        dx = np_layer.backward(dy)
        for layer in (tf_layer, keras_layer):
            xt = tf.constant(x)
            with tf.GradientTape() as tape:
                tape.watch(xt)
                yt = layer(xt, training=training) if training is not None else layer(xt)
                loss = tf.reduce_sum(yt * dy)
            grads = tape.gradient(loss, [xt] + layer.trainable_weights)
            np.testing.assert_allclose(yt.numpy(), y, atol=1e-6)
            np.testing.assert_allclose(grads[0].numpy(), dx, atol=1e-6)
            for (name, g_np), g in zip(np_layer.grads.items(), grads[1:]):
                np.testing.assert_allclose(g.numpy(), g_np, atol=1e-6, err_msg=name)
    for layer in (tf_layer, keras_layer):
        for a, b in zip(layer.get_weights(), np_layer.get_weights()):
            np.testing.assert_allclose(a, b, atol=1e-6)
