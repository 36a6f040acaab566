"""dlkit.np.callbacks: ModelCheckpoint, ReduceLROnPlateau, LearningRateScheduler, CSVLogger, TerminateOnNaN and
CallbackList, driven through the hooks on a fake model and compared with keras.callbacks on the same fake model;
one integration test with the real Sequential.fit once persistence (model.save) has landed."""
import csv
import glob
import math
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import dlkit.np as dnp  # noqa: E402
from dlkit.np import callbacks as C  # noqa: E402


class FakeOptimizer:
    def __init__(self, learning_rate):
        self.learning_rate = learning_rate


class FakeModel:
    """What the callbacks use: optimizer.learning_rate, stop_training, save(path), save_weights(path)."""

    def __init__(self, learning_rate=0.1):
        self.optimizer, self.stop_training, self.saved, self.metrics = FakeOptimizer(learning_rate), False, [], []

    def save(self, path, **kwargs):
        self.saved.append(("model", path))
        open(path, "w").close()

    def save_weights(self, path, **kwargs):
        self.saved.append(("weights", path))
        open(path, "w").close()


def drive(callbacks, model, epoch_logs, batches=2, batch_losses=None):
    """Run the fit hooks (Keras order) over the given per-epoch logs; returns the lr seen at each epoch."""
    cbs = callbacks if isinstance(callbacks, list) else [callbacks]
    for cb in cbs:
        cb.set_model(model)
        cb.set_params({"epochs": len(epoch_logs), "steps": batches, "verbose": 0})
    lrs = []
    for cb in cbs:
        cb.on_train_begin({})
    for epoch, logs in enumerate(epoch_logs):
        for cb in cbs:
            cb.on_epoch_begin(epoch, {})
        lrs.append(model.optimizer.learning_rate)
        for b in range(batches):
            loss = batch_losses[epoch][b] if batch_losses else logs.get("loss", 1.0)
            for cb in cbs:
                cb.on_train_batch_begin(b, {})
                cb.on_train_batch_end(b, {"loss": loss})
            if model.stop_training:
                break
        logs = dict(logs)
        for cb in cbs:
            cb.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    for cb in cbs:
        cb.on_train_end({})
    return lrs


VAL_LOSSES = [1.0, 0.9, 0.9, 0.95, 0.92, 0.91, 0.85, 0.86, 0.87, 0.88, 0.89, 0.9, 0.84, 0.84, 0.84]


@pytest.mark.parametrize("kwargs", [
    {"patience": 2}, {"patience": 1, "cooldown": 2, "factor": 0.5}, {"patience": 0, "min_lr": 0.02, "factor": 0.3},
    {"patience": 2, "min_delta": 0.05}, {"monitor": "val_accuracy", "patience": 1, "mode": "max"},
    {"monitor": "val_accuracy", "patience": 2, "cooldown": 1, "mode": "max"},
])
def test_reduce_lr_on_plateau_matches_keras(kwargs):
    keras = pytest.importorskip("keras")
    logs = [{"loss": v + 0.1, "val_loss": v, "val_accuracy": 1 - v} for v in VAL_LOSSES]
    ours, theirs = FakeModel(0.1), FakeModel(0.1)
    lr_ours = drive(C.ReduceLROnPlateau(**kwargs), ours, logs)
    lr_keras = drive(keras.callbacks.ReduceLROnPlateau(**kwargs), theirs, logs)
    np.testing.assert_allclose(lr_ours, lr_keras, rtol=1e-12)
    assert len(set(lr_ours)) > 1  # the schedule did reduce the learning rate


def test_reduce_lr_on_plateau_logic_and_logs():
    model, cb = FakeModel(1.0), C.ReduceLROnPlateau(patience=2, factor=0.5, cooldown=2, min_lr=0.3)
    lrs = drive(cb, model, [{"val_loss": 1.0}] * 10)
    # wait reaches 2 at epoch 2 -> 0.5; cooldown epochs 3-4 (wait stays 0 in epoch 3, restarts in epoch 4);
    # wait reaches 2 at epoch 5 -> max(0.25, min_lr) = 0.3; then lr == min_lr is not reduced
    assert lrs == [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.3, 0.3, 0.3, 0.3]
    # mode "auto" maximises accuracies (Keras needs model.metrics for that; dlkit also goes by the name)
    logs = {"val_loss": 1.0}
    cb.on_epoch_end(0, logs)
    assert logs["learning_rate"] == model.optimizer.learning_rate == 0.3
    model = FakeModel(1.0)
    drive(C.ReduceLROnPlateau(monitor="val_accuracy", patience=1), model, [{"val_accuracy": a} for a in (.5, .6, .7)])
    assert model.optimizer.learning_rate == 1.0
    with pytest.raises(ValueError, match="factor >= 1.0"):
        C.ReduceLROnPlateau(factor=1.0)
    with pytest.warns(UserWarning, match="conditioned on metric `val_loss` which is not available"):
        drive(C.ReduceLROnPlateau(), FakeModel(), [{"loss": 1.0}])


@pytest.mark.parametrize("schedule", [lambda epoch, lr: lr * 0.5 if epoch else lr, lambda epoch: 0.1 / (1 + epoch),
                                      lambda epoch, lr: float(np.float32(lr) * np.float32(0.9))],
                         ids=["epoch-lr", "epoch", "float32"])
def test_learning_rate_scheduler_matches_keras(schedule):
    keras = pytest.importorskip("keras")
    logs = [{"loss": 1.0}] * 5
    ours, theirs = FakeModel(0.1), FakeModel(0.1)
    lr_ours = drive(C.LearningRateScheduler(schedule), ours, logs)
    np.testing.assert_allclose(lr_ours, drive(keras.callbacks.LearningRateScheduler(schedule), theirs, logs))
    assert lr_ours[0] != lr_ours[-1]


def test_learning_rate_scheduler_effect_and_errors():
    model = FakeModel(1.0)
    logs = [{"loss": 1.0} for _ in range(4)]
    assert drive(C.LearningRateScheduler(lambda epoch: 0.5 ** epoch), model, logs) == [1.0, 0.5, 0.25, 0.125]
    end_logs = {}
    cb = C.LearningRateScheduler(lambda e, lr: 0.1)
    cb.set_model(model)
    cb.on_epoch_begin(0)
    cb.on_epoch_end(0, end_logs)
    assert end_logs == {"learning_rate": 0.1}
    with pytest.raises(ValueError, match="should be a float"):
        drive(C.LearningRateScheduler(lambda e: 1), FakeModel(), logs)  # Keras rejects an int too
    with pytest.raises(TypeError, match="schedule must be a function"):
        C.LearningRateScheduler(0.1)


def test_model_checkpoint_filepath_format_and_every_epoch(tmp_path):
    model = FakeModel()
    logs = [{"loss": 1.0, "val_loss": v} for v in (0.5, 0.4, 0.45)]
    path = str(tmp_path / "sub" / "w-{epoch:02d}-{val_loss:.2f}.keras")
    drive(C.ModelCheckpoint(path), model, logs)
    names = [os.path.basename(p) for _, p in model.saved]
    assert names == ["w-01-0.50.keras", "w-02-0.40.keras", "w-03-0.45.keras"]
    assert all(kind == "model" for kind, _ in model.saved) and os.path.isdir(tmp_path / "sub")
    with pytest.raises(KeyError, match="Failed to format this callback filepath"):
        drive(C.ModelCheckpoint(str(tmp_path / "{val_auc}.keras")), FakeModel(), logs)


@pytest.mark.parametrize("kwargs", [
    {"save_best_only": True}, {"save_best_only": True, "monitor": "val_acc", "mode": "max"},
    {"save_best_only": True, "monitor": "val_acc", "mode": "min"}, {"save_weights_only": True},
    {"save_freq": 3}, {"save_freq": 2, "save_weights_only": True},
    {"save_best_only": True, "initial_value_threshold": 0.42},
])
def test_model_checkpoint_matches_keras(tmp_path, kwargs):
    keras = pytest.importorskip("keras")
    logs = [{"loss": 1.0, "val_loss": v, "val_acc": 1 - v} for v in (0.5, 0.4, 0.45, 0.41, 0.3)]
    suffix = ".weights.h5" if kwargs.get("save_weights_only") else ".keras"
    runs = []
    for ns, cls in (("ours", C.ModelCheckpoint), ("keras", keras.callbacks.ModelCheckpoint)):
        model = FakeModel()
        model.metrics = []
        pattern = "e{epoch:02d}-b{batch}" if "save_freq" in kwargs else "e{epoch:02d}-{val_loss:.2f}"
        path = str(tmp_path / ns / (pattern + suffix))
        drive(cls(path, **kwargs), model, logs, batches=4)
        runs.append([(kind, os.path.relpath(p, tmp_path / ns)) for kind, p in model.saved])
    assert runs[0] == runs[1] and runs[0]


def _rows(path):
    with open(path, newline="") as f:
        return list(csv.reader(f))


def test_csv_logger_matches_keras_and_appends(tmp_path):
    keras = pytest.importorskip("keras")
    logs = [{"loss": 0.5 / (e + 1), "accuracy": 0.5 + e / 10} for e in range(3)]
    ours, theirs = str(tmp_path / "ours.csv"), str(tmp_path / "keras.csv")
    drive(C.CSVLogger(ours), FakeModel(), logs)
    drive(keras.callbacks.CSVLogger(theirs), FakeModel(), logs)
    assert _rows(ours) == _rows(theirs)
    assert _rows(ours)[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert _rows(ours)[2] == ["1", str(0.6), str(0.25), "NA", "NA"]
    drive(C.CSVLogger(ours, append=True), FakeModel(), logs[:1])  # no second header
    rows = _rows(ours)
    assert len(rows) == 5 and rows[4][0] == "0" and rows.count(rows[0]) == 1
    drive(C.CSVLogger(str(tmp_path / "semi.csv"), separator=";"), FakeModel(), logs[:1])
    assert open(tmp_path / "semi.csv").readline().strip() == "epoch;accuracy;loss;val_accuracy;val_loss"


def test_csv_logger_rows_are_complete_and_flushed_after_each_epoch(tmp_path):
    """A crash after epoch 2 (no on_train_end, file never closed) still leaves a header and 2 whole lines."""
    path = tmp_path / "log.csv"
    model, cb = FakeModel(), C.CSVLogger(str(path))
    cb.set_model(model)
    cb.on_train_begin({})
    for epoch in range(2):
        cb.on_epoch_end(epoch, {"loss": 1.0 / (epoch + 1), "val_loss": 2.0})
        text = path.read_text()  # read while the file is still open for writing
        assert text.endswith("\n") and len(text.splitlines()) == epoch + 2
    cb.on_train_end()


def test_terminate_on_nan_stops_at_the_bad_batch():
    model = FakeModel()
    batch_losses = [[0.5, 0.4, 0.3], [0.2, float("nan"), 0.1], [0.1, 0.1, 0.1]]
    seen = []
    recorder = C.LambdaCallback(on_train_batch_end=lambda b, logs: seen.append(logs["loss"]))
    drive([C.TerminateOnNaN(), recorder], model, [{"loss": 1.0}] * 3, batches=3, batch_losses=batch_losses)
    assert model.stop_training and len(seen) == 5 and math.isnan(seen[-1])
    model = FakeModel()
    drive(C.TerminateOnNaN(), model, [{"loss": 1.0}] * 2, batches=2, batch_losses=[[0.1, float("inf")], [1, 1]])
    assert model.stop_training
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 0"):
        drive(C.TerminateOnNaN(raise_error=True), FakeModel(), [{}], batches=1, batch_losses=[[float("nan")]])
    model = FakeModel()
    drive(C.TerminateOnNaN(), model, [{"loss": 1.0}] * 2)
    assert not model.stop_training


def test_callback_list_single_callback_type_errors_and_batch_hooks():
    model, params = FakeModel(), {"epochs": 1}
    es = C.EarlyStopping()
    cl = C.CallbackList(es, model, params)
    assert cl.callbacks == [es] and es.model is model and es.params == params and not cl.has_batch_hooks
    assert C.CallbackList(None, model, params).callbacks == []
    assert C.CallbackList((es, C.History()), model, params).has_batch_hooks is False
    assert C.CallbackList([C.TerminateOnNaN()], model, params).has_batch_hooks  # via on_batch_end
    assert C.CallbackList([C.ModelCheckpoint("x.keras")], model, params).has_batch_hooks
    assert C.CallbackList([C.LambdaCallback(on_train_batch_begin=print)], model, params).has_batch_hooks
    with pytest.raises(TypeError, match=r"callbacks must be a dlkit.np.callbacks.Callback or a list of them, "
                                        r"got function"):
        C.CallbackList(lambda epoch, logs: None, model, params)
    with pytest.raises(TypeError, match=r"callbacks\[1\] must be a dlkit.np.callbacks.Callback.*got str"):
        C.CallbackList([es, "early"], model, params)
    seen = []
    cl = C.CallbackList([C.LambdaCallback(on_epoch_end=lambda e, logs: seen.append((e, logs)))], model, params)
    cl.on_epoch_end(3, {"loss": 1.0})
    cl.call("on_epoch_end", 4, {"loss": 2.0})
    assert seen == [(3, {"loss": 1.0}), (4, {"loss": 2.0})]


def test_exports():
    for name in ("ModelCheckpoint", "ReduceLROnPlateau", "LearningRateScheduler", "CSVLogger", "TerminateOnNaN",
                 "CallbackList"):
        assert name in C.__all__ and hasattr(C, name)
    assert dnp.callbacks.ModelCheckpoint is C.ModelCheckpoint


@pytest.mark.skipif(not hasattr(dnp.Sequential, "save"), reason="save lands with persistence")
def test_integration_with_sequential_fit(tmp_path):
    from dlkit.np.layers import Dense
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 3)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(np.float32)
    dnp.set_seed(0)
    model = dnp.Sequential([Dense(8, activation="relu"), Dense(1, activation="sigmoid")])
    model.compile(optimizer=dnp.optimizers.SGD(0.1), loss="binary_crossentropy", metrics=["accuracy"])
    cbs = [C.ModelCheckpoint(str(tmp_path / "ckpt-{epoch:02d}.keras")),
           C.ModelCheckpoint(str(tmp_path / "best.weights.h5"), save_best_only=True, save_weights_only=True),
           C.LearningRateScheduler(lambda epoch: 0.1 * 0.5 ** epoch),
           C.CSVLogger(str(tmp_path / "log.csv")), C.TerminateOnNaN()]
    model.fit(X, y, epochs=3, batch_size=16, validation_data=(X[:16], y[:16]), callbacks=cbs, verbose=0)
    for epoch in (1, 2, 3):
        assert glob.glob(str(tmp_path / f"ckpt-{epoch:02d}*"))
    assert glob.glob(str(tmp_path / "best*"))
    rows = _rows(tmp_path / "log.csv")
    assert len(rows) == 4 and "val_loss" in rows[0] and "learning_rate" in rows[0]
    assert model.optimizer.learning_rate == pytest.approx(0.025)
    assert not model.stop_training
