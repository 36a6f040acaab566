"""Sequential: what fit does with frozen layers and with the input gradient it does not need."""
import numpy as np

import dlkit.np as dnp


def test_fit_skips_first_input_gradient_only_inside_fit():
    """fit skips dL/dx of the first trainable layer (nobody needs it) and restores it afterwards."""
    dnp.set_seed(3)
    x = np.random.default_rng(3).normal(size=(64, 5)).astype("float32")
    y = (x[:, 0] > 0).astype("int64")
    model = dnp.Sequential([dnp.layers.Flatten(), dnp.layers.Dense(4, activation="tanh"), dnp.layers.Dense(2)])
    model.compile(dnp.optimizers.SGD(0.1), dnp.losses.SparseCategoricalCrossentropy(from_logits=True))
    calls = []
    first_dense = model.layers[1]
    original = first_dense.backward
    first_dense.backward = lambda dy: calls.append(first_dense.input_gradient) or original(dy)
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)
    assert calls == [False, False]
    assert all(layer.input_gradient for layer in model.layers)
    out = model(x[:3], training=True)
    dx = model.backward(np.ones_like(out))
    assert dx.shape == (3, 5) and np.all(np.isfinite(dx))


def test_frozen_layers_keep_their_weights_in_fit():
    """trainable=False (constructor or Sequential.trainable) keeps weights fixed, as in Keras."""
    dnp.set_seed(4)
    x = np.random.default_rng(4).normal(size=(64, 6)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int64")
    body = dnp.Sequential([dnp.layers.Dense(8, activation="relu", trainable=False)])
    body(x[:1])
    assert not body.trainable and body.trainable_weights == []
    body.trainable = True
    assert len(body.trainable_weights) == 2
    body.trainable = False
    frozen = body.layers[0]
    head = dnp.layers.Dense(2)
    model = dnp.Sequential([frozen, head])
    model.compile(dnp.optimizers.SGD(0.1), dnp.losses.SparseCategoricalCrossentropy(from_logits=True))
    model(x[:1])
    before_frozen, before_head = frozen.get_weights(), head.get_weights()
    model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(before_frozen, frozen.get_weights()))
    assert not np.allclose(before_head[0], head.get_weights()[0])
    assert len(model.trainable_weights) == 2
