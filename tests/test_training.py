"""Training machinery of dlkit.np: perceptron, Sequential.fit/evaluate/predict, callbacks, errors."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from sklearn.datasets import load_digits, make_blobs, make_moons  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

import dlkit.np as dnp  # noqa: E402
from dlkit.np import regularizers  # noqa: E402
from dlkit.np.base import Layer  # noqa: E402
from dlkit.np.layers import Dense, Dropout  # noqa: E402

XOR_X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
XOR_Y = np.array([0, 1, 1, 0])


def spirals(n_per_class=200, classes=3, seed=0):
    """CS231n spiral data: `classes` interleaved arms in 2-D."""
    rng = np.random.default_rng(seed)
    X, y = [], []
    for c in range(classes):
        r = np.linspace(0.0, 1, n_per_class)
        t = np.linspace(c * 4, (c + 1) * 4, n_per_class) + rng.normal(scale=0.2, size=n_per_class)
        X.append(np.c_[r * np.sin(t), r * np.cos(t)])
        y.append(np.full(n_per_class, c))
    return np.concatenate(X).astype(np.float32), np.concatenate(y)


def mlp(hidden, out_units, out_act, seed=0, act="relu"):
    dnp.set_seed(seed)
    return dnp.Sequential([Dense(h, activation=act) for h in hidden] + [Dense(out_units, activation=out_act)])


# -- perceptron --------------------------------------------------------------------------------------
def test_perceptron_separates_blobs():
    X, y = make_blobs(n_samples=200, centers=[[-2, -2], [2, 2]], cluster_std=0.8, random_state=0)
    p = dnp.Perceptron(max_epochs=100).fit(X, y)
    assert p.converged_ and p.errors_[-1] == 0 and p.n_epochs_ == len(p.errors_) < 100
    assert p.score(X, y) == 1.0
    assert np.array_equal(p.predict(X), (p.decision_function(X) > 0).astype(int))
    pm = dnp.Perceptron(shuffle=True, seed=1).fit(X, 2 * y - 1)  # {-1, 1} labels work too
    assert pm.converged_ and set(pm.predict(X)) == {-1, 1}


def test_perceptron_fails_on_xor():
    p = dnp.Perceptron(max_epochs=50).fit(XOR_X, XOR_Y)
    assert not p.converged_ and p.n_epochs_ == 50 and min(p.errors_) > 0
    assert p.score(XOR_X, XOR_Y) <= 0.75
    with pytest.raises(ValueError, match=r"\{0, 1\}"):
        dnp.Perceptron().fit(XOR_X, [0, 1, 2, 0])


# -- MLPs solve what the perceptron cannot -------------------------------------------------------------
def test_mlp_solves_xor():
    model = mlp([8], 1, "sigmoid", act="tanh")
    model.compile(optimizer=dnp.optimizers.Adam(0.05), loss="binary_crossentropy", metrics=["accuracy"])
    h = model.fit(XOR_X, XOR_Y, batch_size=4, epochs=300, verbose=0)
    assert h.history["loss"][-1] < 0.1 < h.history["loss"][0]
    assert np.array_equal((model.predict(XOR_X)[:, 0] > 0.5).astype(int), XOR_Y)
    loss, acc = model.evaluate(XOR_X, XOR_Y)
    assert acc == 1.0 and loss == pytest.approx(h.history["loss"][-1], abs=0.05)


def test_mlp_moons():
    X, y = make_moons(600, noise=0.1, random_state=0)
    model = mlp([32, 32], 1, "sigmoid")
    model.compile(optimizer=dnp.optimizers.Adam(0.01), loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(X, y, batch_size=32, epochs=40, verbose=0)
    assert model.evaluate(X, y)[1] >= 0.97


def test_mlp_spirals():
    X, y = spirals()
    model = mlp([64, 64], 3, "softmax")
    model.compile(optimizer=dnp.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(X, y, batch_size=32, epochs=80, verbose=0)
    assert model.evaluate(X, y)[1] >= 0.95


def test_mlp_digits_test_accuracy():
    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(X / 16.0, y, test_size=0.25, random_state=0, stratify=y)
    model = mlp([64], 10, "softmax")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    h = model.fit(Xtr, ytr, batch_size=32, epochs=30, verbose=0, validation_data=(Xte, yte))
    assert model.evaluate(Xte, yte)[1] >= 0.95
    assert h.history["val_accuracy"][-1] == pytest.approx(model.evaluate(Xte, yte)[1])
    # one-hot labels + categorical crossentropy resolve "accuracy" to categorical accuracy
    onehot = np.eye(10, dtype=np.float32)[yte]
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    assert model.evaluate(Xte, onehot)[1] == pytest.approx(np.mean(model.predict(Xte).argmax(1) == yte))


# -- Keras-compatible History and EarlyStopping ------------------------------------------------------
def test_history_keys_match_keras():
    import keras
    X, y = make_moons(64, noise=0.1, random_state=1)
    Xv, yv = make_moons(32, noise=0.1, random_state=2)
    for metrics, kw in [(["accuracy", "mae"], {"validation_data": (Xv, yv)})]:
        km = keras.Sequential([keras.Input((2,)), keras.layers.Dense(4, activation="relu"),
                               keras.layers.Dense(1, activation="sigmoid")])
        km.compile(optimizer="adam", loss="binary_crossentropy", metrics=metrics)
        kh = km.fit(X, y, epochs=2, batch_size=16, verbose=0, **kw)
        model = mlp([4], 1, "sigmoid")
        model.compile(optimizer="adam", loss="binary_crossentropy", metrics=metrics)
        h = model.fit(X, y, epochs=2, batch_size=16, verbose=0, **kw)
        assert set(h.history) == set(kh.history), metrics
        assert h.epoch == kh.epoch == [0, 1]
        assert all(len(v) == 2 for v in h.history.values())


def test_fit_matches_keras_fit():
    """Same weights, data order (shuffle=False), batches, L2 penalty and optimizer: same trajectory."""
    import keras
    X, y = spirals(25)  # 75 samples: 60 train / 15 validation, last training batch is partial
    model = dnp.Sequential([Dense(8, activation="relu", kernel_regularizer=regularizers.L2(0.01)),
                            Dense(3, activation="softmax")])
    model.build((None, 2))
    km = keras.Sequential([keras.Input((2,)),
                           keras.layers.Dense(8, activation="relu", kernel_regularizer=keras.regularizers.L2(0.01)),
                           keras.layers.Dense(3, activation="softmax")])
    km.set_weights(model.get_weights())
    kw = dict(epochs=3, batch_size=16, shuffle=False, validation_split=0.2, verbose=0)
    model.compile(optimizer=dnp.optimizers.SGD(0.1, momentum=0.9), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    km.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9), loss="sparse_categorical_crossentropy",
               metrics=["accuracy"])
    h, kh = model.fit(X, y, **kw), km.fit(X, y, **kw)
    assert set(h.history) == set(kh.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    for k in h.history:
        np.testing.assert_allclose(h.history[k], kh.history[k], rtol=1e-4, atol=1e-5, err_msg=k)
    for a, b in zip(model.get_weights(), km.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(model.evaluate(X, y), km.evaluate(X, y, verbose=0), rtol=1e-4)


def test_early_stopping_matches_keras_logic():
    import keras

    class Dummy:
        stop_training = False

        def get_weights(self):
            return []

    sequences = [("val_loss", "auto", 0, 2, [1.0, 0.9, 0.95, 0.91, 0.92, 0.5]),
                 ("val_loss", "auto", 0.05, 1, [1.0, 0.97, 0.9, 0.88, 0.8]),
                 ("val_accuracy", "max", 0.0, 2, [0.5, 0.6, 0.6, 0.55, 0.7, 0.7, 0.7])]
    for monitor, mode, delta, patience, values in sequences:
        stops = []
        for cls in (dnp.EarlyStopping, keras.callbacks.EarlyStopping):
            cb, model = cls(monitor=monitor, mode=mode, min_delta=delta, patience=patience), Dummy()
            cb.set_model(model)
            cb.on_train_begin()
            for epoch, v in enumerate(values):
                cb.on_epoch_end(epoch, {monitor: v})
                if model.stop_training:
                    break
            stops.append((epoch, float(cb.best), cb.wait))
        assert stops[0] == stops[1], (monitor, values)


def test_early_stopping_stops_and_restores_best_weights():
    X, y = make_blobs(200, centers=[[-1, -1], [1, 1]], cluster_std=0.5, random_state=0)
    Xv, yv = X[:50], 1 - y[:50]  # flipped validation labels: val_loss gets worse as training improves
    model = mlp([8], 1, "sigmoid")
    model.compile(optimizer=dnp.optimizers.Adam(0.05), loss="binary_crossentropy")
    snapshots = []
    recorder = dnp.callbacks.LambdaCallback(on_epoch_end=lambda e, logs: snapshots.append(model.get_weights()))
    es = dnp.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    h = model.fit(X, y, epochs=50, batch_size=32, verbose=0, validation_data=(Xv, yv),
                  callbacks=[recorder, es])
    vl = h.history["val_loss"]
    best = int(np.argmin(vl))
    assert len(vl) < 50 and es.stopped_epoch == len(vl) - 1 and len(vl) == best + 3
    for w, w_best, w_last in zip(model.get_weights(), snapshots[best], snapshots[-1]):
        np.testing.assert_array_equal(w, w_best)
    assert not all(np.array_equal(a, b) for a, b in zip(snapshots[best], snapshots[-1]))


# -- errors and output -------------------------------------------------------------------------------
def test_nan_loss_raises_clear_error():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3)).astype(np.float32) * 100
    model = mlp([16], 1, None)
    model.compile(optimizer=dnp.optimizers.SGD(learning_rate=1e3), loss="mse")
    with np.errstate(all="ignore"), pytest.raises(FloatingPointError,
                                                  match=r"loss became (nan|inf) at epoch \d+, batch \d+.*"
                                                        r"smaller learning_rate"):
        model.fit(X, X.sum(axis=1), epochs=20, batch_size=8, verbose=0)


def test_bad_labels_and_shapes_give_clear_errors():
    X, y = make_moons(40, random_state=0)
    model = mlp([4], 2, "softmax")
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    with pytest.raises(ValueError, match="non-integer"):
        model.fit(X, y + 0.5, verbose=0)
    with pytest.raises(ValueError, match="same number of samples"):
        model.fit(X, y[:-1], verbose=0)
    with pytest.raises(ValueError, match="one-hot"):
        model.fit(X, np.eye(2)[y], verbose=0)
    with pytest.raises(ValueError, match=r"\[0, 2\)"):
        model.fit(X, y + 1, verbose=0)
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        model.fit(X, y, verbose=0)
    with pytest.raises(RuntimeError, match="compile"):
        dnp.Sequential([Dense(1)]).fit(X, y, verbose=0)


def test_verbose_output(capsys):
    X, y = make_moons(64, random_state=0)
    model = mlp([4], 1, "sigmoid")
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(X, y, epochs=2, verbose=0, validation_split=0.2)
    model.evaluate(X, y)
    model.predict(X)
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""
    model.fit(X, y, epochs=2, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and "loss=" in out and "accuracy=" in out


class Spy(Layer):
    """Identity layer recording the `training` flag it receives."""

    def __init__(self):
        super().__init__()
        self.flags = []

    def call(self, x, training=False):
        self.flags.append(training)
        return x

    def backward(self, dy):
        return dy


def test_fit_uses_training_mode_and_predict_does_not():
    X, y = make_moons(64, random_state=0)
    spy = Spy()
    dnp.set_seed(0)
    model = dnp.Sequential([Dense(8, activation="relu"), Dropout(0.5), spy, Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    model.fit(X, y, epochs=1, batch_size=16, verbose=0)
    assert spy.flags.count(True) == 4
    spy.flags.clear()
    p1, p2 = model.predict(X), model.predict(X)
    np.testing.assert_array_equal(p1, p2)  # dropout is off at inference
    assert True not in spy.flags


def test_seeded_shuffling_is_reproducible_and_weights_roundtrip():
    X, y = make_moons(100, noise=0.2, random_state=0)
    runs = []
    for _ in range(2):
        model = mlp([8], 1, "sigmoid", seed=3)
        model.compile(optimizer="adam", loss="binary_crossentropy")
        runs.append(model.fit(X, y, epochs=3, verbose=0).history["loss"])
    assert runs[0] == runs[1]
    clone = mlp([8], 1, "sigmoid", seed=4)
    clone.build((None, 2))
    assert not np.allclose(clone.predict(X), model.predict(X))
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(clone.predict(X), model.predict(X))
    assert len(model.trainable_weights) == 4 and model.count_params() == 2 * 8 + 8 + 8 + 1


def test_summary_and_evaluate_return_types(capsys):
    model = dnp.Sequential([Dense(16, activation="relu"), Dense(3, activation="softmax")], name="toy")
    model.build((None, 5))
    model.summary()
    out = capsys.readouterr().out
    assert 'Model: "toy"' in out and "(None, 16)" in out and "(None, 3)" in out
    assert "Total params: 147" in out and "Dense" in out
    X, y = np.zeros((10, 5)), np.arange(10) % 3
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    assert isinstance(model.evaluate(X, y), float)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    res = model.evaluate(X, y)
    assert isinstance(res, list) and len(res) == 2 and res[0] == pytest.approx(np.log(3), rel=0.2)
    assert set(model.evaluate(X, y, return_dict=True)) == {"loss", "accuracy"}


def test_metrics_accuracy_resolution():
    from dlkit.np import metrics
    assert metrics.resolve_accuracy(np.zeros(4), np.zeros((4, 1))) == "binary"
    assert metrics.resolve_accuracy(np.zeros(4, int), np.zeros((4, 3))) == "sparse_categorical"
    assert metrics.resolve_accuracy(np.zeros((4, 3)), np.zeros((4, 3))) == "categorical"
    assert metrics.accuracy(np.array([1, 0, 1]), np.array([[0.7], [0.6], [0.2]])) == pytest.approx(1 / 3)
    assert metrics.accuracy(np.eye(3), np.eye(3)[[0, 2, 2]]) == pytest.approx(2 / 3)

