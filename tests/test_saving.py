"""dlkit.np.saving: the .dlk format (ZIP of config.json + weights.npz), exact round trips in a new
process, atomic writes, clear errors for foreign or corrupt files, and weights files."""
import json
import os
import pickle
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import dlkit.np as dnp
from dlkit.np import models, regularizers, saving
from dlkit.np.layers import (LSTM, Add, BatchNormalization, Concatenate, Conv2D, Dense, Dropout, Embedding,
                             Flatten, Layer, MaxPooling2D, TokenAndPositionEmbedding, TransformerEncoderBlock)

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
rng = np.random.default_rng(0)


def mlp():
    return dnp.Sequential([dnp.Input((20,)), Dense(64, activation="relu"), Dense(64, activation="relu"),
                           Dense(3, activation="softmax")])


def make_models():
    """{case: (model, x)}; every model trained a little so weights (and BN moving stats) are not initial."""
    dnp.set_seed(0)
    out = {}
    x = rng.standard_normal((64, 20)).astype("float32")
    m = mlp()
    m.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    m.fit(x, rng.integers(0, 3, 64), epochs=2, verbose=0)
    out["mlp"] = (m, x)

    x = rng.standard_normal((32, 8, 8, 1)).astype("float32")
    m = dnp.Sequential([dnp.Input((8, 8, 1)), Conv2D(4, 3, padding="same", activation="relu"),
                        BatchNormalization(), MaxPooling2D(), Flatten(), Dropout(0.3), Dense(2)])
    m.compile(dnp.optimizers.SGD(0.05, momentum=0.9), "mse")
    m.fit(x, rng.standard_normal((32, 2)), epochs=2, batch_size=8, verbose=0)
    assert np.any(m.layers[1].params["moving_mean"] != 0)
    out["cnn"] = (m, x)

    inp = dnp.Input((6,))
    h = Dense(6, activation="tanh")(inp)
    y = Dense(1)(Add()([inp, Dense(6)(h)]))
    m = dnp.Model(inp, y)
    m.compile("rmsprop", "mse")
    x = rng.standard_normal((16, 6)).astype("float32")
    m.fit(x, rng.standard_normal((16, 1)), epochs=1, verbose=0)
    out["residual"] = (m, x)

    a, b = dnp.Input((3,), name="a"), dnp.Input((5,), name="b")
    m = dnp.Model([a, b], Dense(2)(Concatenate()([Dense(4)(a), b])))
    out["two_inputs"] = (m, [rng.standard_normal((8, 3)).astype("float32"),
                             rng.standard_normal((8, 5)).astype("float32")])

    m = dnp.Sequential([dnp.Input((7,), dtype="int64"), Embedding(30, 8), LSTM(5), Dense(1)])
    out["lstm"] = (m, rng.integers(0, 30, (8, 7)))

    t = dnp.Input((6,), dtype="int64")
    h = TransformerEncoderBlock(num_heads=2, intermediate_dim=16)(TokenAndPositionEmbedding(20, 6, 8)(t))
    m = dnp.Model(t, Dense(2)(Flatten()(h)))
    out["transformer"] = (m, rng.integers(0, 20, (4, 6)))
    return out


_LOADER = """
import sys, numpy as np
from dlkit.np.saving import load_model
folder = sys.argv[1]
for case in sys.argv[2:]:
    data = np.load(f"{folder}/{case}_x.npz")
    x = [data[k] for k in sorted(data.files)]
    out = load_model(f"{folder}/{case}.dlk").predict(x[0] if len(x) == 1 else x)
    np.save(f"{folder}/{case}_y.npy", out)
"""


def run_python(code, *args):
    env = dict(os.environ, PYTHONPATH=REPO, PYTHONHASHSEED="0")
    proc = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dlk")
    cases = make_models()
    for case, (m, x) in cases.items():
        m.save(folder / f"{case}.dlk")
        xs = x if isinstance(x, list) else [x]
        np.savez(folder / f"{case}_x.npz", **{f"x{i}": v for i, v in enumerate(xs)})
    run_python(_LOADER, folder, *cases)
    return folder, cases


@pytest.mark.parametrize("case", ["mlp", "cnn", "residual", "two_inputs", "lstm", "transformer"])
def test_predictions_reproduce_exactly_in_a_new_process(saved, case):
    folder, cases = saved
    model, x = cases[case]
    assert np.array_equal(np.load(folder / f"{case}_y.npy"), model.predict(x))


def test_file_is_an_open_zip_of_json_and_npz(saved):
    folder, cases = saved
    with zipfile.ZipFile(folder / "cnn.dlk") as zf:
        assert {"config.json", "weights.npz", "optimizer.npz"} <= set(zf.namelist())
        config = json.loads(zf.read("config.json"))
        with zf.open("weights.npz") as f:
            weights = dict(np.load(f, allow_pickle=False))
    assert config["format"] == "dlkit.np" and config["format_version"] == 1
    assert config["model"]["class_name"] == "Sequential"
    assert [l["class_name"] for l in config["model"]["layers"]][:3] == ["Conv2D", "BatchNormalization",
                                                                       "MaxPooling2D"]
    assert config["compile"]["optimizer"]["class_name"] == "SGD"
    model = cases["cnn"][0]
    bn = model.layers[1].name
    assert weights[f"{bn}/moving_mean"].dtype == np.float32
    assert np.array_equal(weights[f"{bn}/moving_mean"], model.layers[1].params["moving_mean"])
    two = json.loads(zipfile.ZipFile(folder / "two_inputs.dlk").read("config.json"))["model"]
    assert two["class_name"] == "Functional" and [i["name"] for i in two["inputs"]] == ["a", "b"]


def test_fit_continues_exactly_after_load(tmp_path):
    dnp.set_seed(0)
    x, y = rng.standard_normal((64, 20)).astype("float32"), rng.integers(0, 3, 64)
    m = mlp()
    m.compile(dnp.optimizers.Adam(0.01), "sparse_categorical_crossentropy", metrics=["accuracy"])
    m.fit(x, y, epochs=2, verbose=0)
    m.save(tmp_path / "m.dlk")
    np.save(tmp_path / "x.npy", x), np.save(tmp_path / "y.npy", y)
    run_python("""
import sys, numpy as np, dlkit.np as dnp
from dlkit.np.models import load_model
d = sys.argv[1]
m = load_model(d + "/m.dlk")
assert m.optimizer.learning_rate == 0.01 and m.optimizer.iterations == 4, m.optimizer
dnp.set_seed(1)
m.fit(np.load(d + "/x.npy"), np.load(d + "/y.npy"), epochs=2, verbose=0, shuffle=False)
np.save(d + "/p.npy", m.predict(np.load(d + "/x.npy")))
""", tmp_path)
    dnp.set_seed(1)
    m.fit(x, y, epochs=2, verbose=0, shuffle=False)
    assert np.array_equal(np.load(tmp_path / "p.npy"), m.predict(x))   # optimizer state restored too


def test_file_is_much_smaller_than_a_pickle(tmp_path):
    m, x = make_models()["mlp"]
    m.save(tmp_path / "m.dlk")
    m.save_weights(tmp_path / "m.weights.npz")
    nbytes = sum(p.nbytes for p in m.params.values())
    dlk, wfile, pkl = (os.path.getsize(tmp_path / "m.dlk"), os.path.getsize(tmp_path / "m.weights.npz"),
                       len(pickle.dumps(m)))
    print(f"weights {nbytes} B, .weights.npz {wfile} B, .dlk {dlk} B (incl. Adam state), pickle {pkl} B")
    assert wfile < nbytes + 2500
    assert dlk < 3 * nbytes + 6000 < pkl


def test_weights_file_round_trip_and_mismatch_errors(tmp_path):
    m, x = make_models()["mlp"]
    path = tmp_path / "m.weights.npz"
    m.save_weights(path)
    other = mlp()
    other.load_weights(path)
    assert np.array_equal(other.predict(x), m.predict(x))
    with np.load(path) as z:
        assert str(z["__format__"]) == "dlkit.np/1"
    m.save(tmp_path / "m.dlk")
    third = mlp()
    third.load_weights(tmp_path / "m.dlk")                  # a model file's weights load too
    assert np.array_equal(third.predict(x), m.predict(x))
    wrong = dnp.Sequential([dnp.Input((20,)), Dense(64, activation="relu", name="h1"),
                            Dense(32, name="h2"), Dense(3, name="out")])
    names = [l.name for l in m.layers]
    wrong2 = dnp.Sequential([dnp.Input((20,)), Dense(64, name=names[0]), Dense(32, name=names[1]),
                             Dense(3, name=names[2])])
    with pytest.raises(ValueError, match=f"layer '{names[1]}', weight 'kernel' has shape \\(64, 64\\)"):
        wrong2.load_weights(path)
    with pytest.raises(ValueError, match="layer 'h2', weight 'kernel' has shape \\(64, 64\\) in the file \\(from"):
        wrong.load_weights(path)            # matched by position (other layer names), wrong shape
    fewer = dnp.Sequential([dnp.Input((20,)), Dense(3, name="only")])
    with pytest.raises(ValueError, match="missing in the file: \\['only/kernel'.*1 layers with weights, the file 3"):
        fewer.load_weights(path)


def test_interrupted_saves_leave_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    m, _ = make_models()["mlp"]
    target, wtarget = tmp_path / "m.dlk", tmp_path / "m.weights.npz"
    target.write_bytes(b"previous model")
    wtarget.write_bytes(b"previous weights")

    def boom(*args, **kwargs):
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(zipfile.ZipFile, "writestr", boom)
    with pytest.raises(KeyboardInterrupt):
        m.save(target)
    monkeypatch.undo()
    monkeypatch.setattr(np, "savez", boom)
    with pytest.raises(KeyboardInterrupt):
        m.save_weights(wtarget)
    assert target.read_bytes() == b"previous model" and wtarget.read_bytes() == b"previous weights"
    assert sorted(os.listdir(tmp_path)) == ["m.dlk", "m.weights.npz"]


def test_foreign_corrupt_and_wrong_version_files_raise_clear_errors(tmp_path):
    m, _ = make_models()["mlp"]
    m.save(tmp_path / "good.dlk")
    data = (tmp_path / "good.dlk").read_bytes()
    (tmp_path / "text.dlk").write_text("hello")
    (tmp_path / "half.dlk").write_bytes(data[: len(data) // 2])
    with zipfile.ZipFile(tmp_path / "model.keras", "w") as zf:      # the layout of a Keras 3 .keras file
        zf.writestr("metadata.json", "{}"), zf.writestr("config.json", "{}"), zf.writestr("model.weights.h5", "")
    with zipfile.ZipFile(tmp_path / "noconf.dlk", "w") as zf:
        zf.writestr("weights.npz", b"")
    config = json.loads(zipfile.ZipFile(tmp_path / "good.dlk").read("config.json"))
    with zipfile.ZipFile(tmp_path / "v2.dlk", "w") as zf:
        zf.writestr("config.json", json.dumps(dict(config, format_version=2))), zf.writestr("weights.npz", b"")
    for name, match in [("text.dlk", "not a ZIP archive"), ("half.dlk", "not a ZIP archive|truncated"),
                        ("model.keras", "Keras .keras file.*from_keras"), ("noconf.dlk", "no config.json"),
                        ("v2.dlk", "format_version 2; this version of dlkit reads format_version 1")]:
        with pytest.raises(ValueError, match=match) as e:
            saving.load_model(tmp_path / name)
        assert name in str(e.value)
    m.save_weights(tmp_path / "w.weights.npz")
    with pytest.raises(ValueError, match="weights file.*load_weights"):
        models.load_model(tmp_path / "w.weights.npz")
    np.savez(tmp_path / "plain.npz", a=np.zeros(2))
    with pytest.raises(ValueError, match="plain.npz: not a dlkit.np weights file"):
        m.load_weights(tmp_path / "plain.npz")
    with pytest.raises(FileNotFoundError):
        saving.load_model(tmp_path / "missing.dlk")


class Scale(Layer):
    """A user layer: y = factor * x."""

    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x, training=False):
        return self.factor * x

    def backward(self, dy):
        return self.factor * dy


def test_configs_user_layers_and_unsaveable_arguments(tmp_path):
    dense = Dense(3, activation=dnp.activations.get("elu"), kernel_regularizer=regularizers.L2(0.1))
    m = dnp.Sequential([dnp.Input((4,)), dense, Scale(3.0, name="scale")])
    m.layers[0].trainable = False
    m.save(tmp_path / "m.dlk")
    with pytest.raises(TypeError, match="'Scale'.*custom_objects=\\{'Scale': Scale\\}"):
        saving.load_model(tmp_path / "m.dlk")
    m2 = saving.load_model(tmp_path / "m.dlk", custom_objects={"Scale": Scale})
    x = rng.standard_normal((5, 4)).astype("float32")
    assert np.array_equal(m2.predict(x), m.predict(x))
    assert m2.layers[1].factor == 3.0 and m2.layers[0].activation.name == "elu"
    assert m2.layers[0].kernel_regularizer.l2 == 0.1 and not m2.layers[0].trainable
    bad = dnp.Sequential([dnp.Input((4,)), Dense(3, kernel_initializer=lambda s, dtype, rng: np.zeros(s, dtype),
                                                 name="dense_custom")])
    with pytest.raises(TypeError, match="layer 'dense_custom' \\(Dense\\), argument 'kernel_initializer'"):
        bad.save(tmp_path / "bad.dlk")
    assert not os.path.exists(tmp_path / "bad.dlk")


def test_subclassed_models_point_to_save_weights(tmp_path):
    class Mine(dnp.Model):
        def __init__(self):
            super().__init__()
            self.d = Dense(2)

        def call(self, x, training=False):
            return self.d(x)

    with pytest.raises(NotImplementedError, match="save_weights"):
        Mine().save(tmp_path / "mine.dlk")
