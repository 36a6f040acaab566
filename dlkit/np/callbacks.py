"""Callbacks with Keras hooks and semantics: ``History``, ``EarlyStopping``, ``LambdaCallback`` here;
``ModelCheckpoint``, ``ReduceLROnPlateau``, ``LearningRateScheduler``, ``CSVLogger`` and ``TerminateOnNaN`` in
``dlkit.np.callbacks_extra`` (re-exported).

``fit`` calls ``on_train_begin``, ``on_epoch_begin``, ``on_train_batch_begin``/``_end`` (only for callbacks
that override them or ``on_batch_begin``/``_end``, to keep the per-step cost at zero otherwise; as in Keras
the default ``on_train_batch_end`` calls ``on_batch_end``), ``on_epoch_end(epoch, logs)`` with
``logs = {"loss": ..., "accuracy": ..., "val_loss": ..., ...}``, and ``on_train_end``. Setting
``self.model.stop_training = True`` ends training.
"""
import warnings

__all__ = ["Callback", "CallbackList", "History", "EarlyStopping", "LambdaCallback", "ModelCheckpoint",
           "ReduceLROnPlateau", "LearningRateScheduler", "CSVLogger", "TerminateOnNaN"]


class Callback:
    """Base class; ``self.model`` is the model being trained, ``self.params`` its fit settings."""

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = params

    def on_train_begin(self, logs=None):
        pass

    def on_train_end(self, logs=None):
        pass

    def on_epoch_begin(self, epoch, logs=None):
        pass

    def on_epoch_end(self, epoch, logs=None):
        pass

    def on_batch_begin(self, batch, logs=None):
        pass

    def on_batch_end(self, batch, logs=None):
        pass

    def on_train_batch_begin(self, batch, logs=None):
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        self.on_batch_end(batch, logs=logs)

    def on_test_begin(self, logs=None):
        pass

    def on_test_end(self, logs=None):
        pass

    def on_test_batch_begin(self, batch, logs=None):
        pass

    def on_test_batch_end(self, batch, logs=None):
        pass

    def on_predict_begin(self, logs=None):
        pass

    def on_predict_end(self, logs=None):
        pass

    def on_predict_batch_begin(self, batch, logs=None):
        pass

    def on_predict_batch_end(self, batch, logs=None):
        pass


class History(Callback):
    """Records the epoch logs: ``history.history["loss"]`` is the list of per-epoch training losses,
    ``history.epoch`` the list of epoch indices (0-based, as Keras)."""

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)
        if self.model is not None:
            self.model.history = self


class LambdaCallback(Callback):
    """Callback from plain functions, e.g. ``LambdaCallback(on_epoch_end=lambda epoch, logs: ...)``."""

    def __init__(self, **hooks):
        super().__init__()
        for name, fn in hooks.items():
            if not hasattr(Callback, name) or not name.startswith("on_"):
                raise ValueError(f"LambdaCallback: unknown hook {name!r}")
            setattr(self, name, fn)


class EarlyStopping(Callback):
    """Stop training when ``monitor`` has not improved for ``patience`` epochs (Keras semantics).

    An epoch improves when ``current < best - min_delta`` (mode "min") or ``current > best + min_delta``
    (mode "max"); mode "auto" minimises losses and errors and maximises accuracies. The wait counter is
    incremented every epoch and reset on improvement; training stops when ``wait >= patience`` (never after
    the first epoch). With ``restore_best_weights=True`` the weights of the best epoch are restored at the
    end, if an epoch was evaluated (as Keras 3 does, also when training ran to the last epoch).
    """

    def __init__(self, monitor="val_loss", min_delta=0, patience=0, verbose=0, mode="auto", baseline=None,
                 restore_best_weights=False, start_from_epoch=0):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            warnings.warn(f"EarlyStopping mode '{mode}' is unknown, fallback to auto mode.", stacklevel=2)
            mode = "auto"
        self.monitor, self.mode, self.baseline = monitor, mode, baseline
        self.min_delta = abs(min_delta)
        self.patience, self.verbose = patience, verbose
        self.restore_best_weights, self.start_from_epoch = restore_best_weights, start_from_epoch
        self.wait, self.stopped_epoch, self.best, self.best_weights, self.best_epoch = 0, 0, None, None, 0
        self._sign = None

    def _direction(self):
        return monitor_direction(self, "EarlyStopping")

    def _is_improvement(self, value, reference):
        if reference is None:
            return True
        if self._sign == "min":
            return value + self.min_delta < reference
        return value - self.min_delta > reference

    def on_train_begin(self, logs=None):
        self.wait, self.stopped_epoch, self.best, self.best_weights, self.best_epoch = 0, 0, None, None, 0

    def on_epoch_end(self, epoch, logs=None):
        if self._sign is None:
            self._sign = self._direction()
        logs = logs or {}
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Early stopping conditioned on metric `{self.monitor}` which is not available. "
                          f"Available metrics are: {','.join(logs)}", stacklevel=2)
            return
        if epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights, self.best_epoch = self.model.get_weights(), epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}.")
            self.model.set_weights(self.best_weights)


def monitor_direction(callback, who):
    """"min" or "max" for ``callback.monitor`` under ``callback.mode`` (Keras ``MonitorCallback``): "auto"
    minimises losses and errors, maximises accuracies and metrics whose ``direction`` is "up"."""
    if callback.mode != "auto":
        return callback.mode
    name = callback.monitor[4:] if callback.monitor.startswith("val_") else callback.monitor
    if name == "loss":
        return "min"
    model_metrics = getattr(callback.model, "metrics", None) or []
    for m in model_metrics:
        if getattr(m, "name", None) == name:
            return "max" if getattr(m, "direction", "up") == "up" else "min"
    if "acc" in name or name in ("auc", "precision", "recall"):
        return "max"
    if "loss" in name or "error" in name or name in ("mse", "mae"):
        return "min"
    raise ValueError(f"{who} callback received monitor={callback.monitor}, but dlkit isn't able to "
                     f"automatically determine whether that metric should be maximized or minimized. "
                     f"Pass `mode='max'` or `mode='min'`.")


_BATCH_HOOKS = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}


def _overrides(cb, hook):
    """True if ``cb`` does something in ``hook`` (or in the on_batch_* hook it delegates to by default)."""
    if getattr(type(cb), hook, None) is not getattr(Callback, hook) or hook in vars(cb):
        return True
    legacy = _BATCH_HOOKS.get(hook)
    return legacy is not None and _overrides(cb, legacy)




class CallbackList:
    """Dispatches hooks to callbacks (used by ``fit``): ``CallbackList(callbacks, model, params)``.

    ``callbacks`` may be None, one Callback or a list/tuple of them; each gets ``set_model(model)`` and
    ``set_params(params)``. ``has_batch_hooks`` is False when no callback acts per batch, so ``fit`` can
    skip the per-step calls. ``call(hook, *args)`` or the hook methods (``cbs.on_epoch_end(epoch, logs)``)."""

    def __init__(self, callbacks=None, model=None, params=None):
        if callbacks is None:
            callbacks = []
        elif isinstance(callbacks, Callback):
            callbacks = [callbacks]
        elif not isinstance(callbacks, (list, tuple)):
            raise TypeError(f"callbacks must be a dlkit.np.callbacks.Callback or a list of them, got "
                            f"{type(callbacks).__name__}")
        for i, cb in enumerate(callbacks):
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks[{i}] must be a dlkit.np.callbacks.Callback (e.g. EarlyStopping(), "
                                f"or LambdaCallback(on_epoch_end=fn) for a function), got {type(cb).__name__}")
        self.callbacks = list(callbacks)
        self.model, self.params = model, params if params is not None else {}
        for cb in self.callbacks:
            cb.set_model(model)
            cb.set_params(self.params)
        self.batch_begin = [cb for cb in self.callbacks if _overrides(cb, "on_train_batch_begin")]
        self.batch_end = [cb for cb in self.callbacks if _overrides(cb, "on_train_batch_end")]
        self.has_batch_hooks = bool(self.batch_begin or self.batch_end)

    def call(self, hook, *args):
        for cb in self.callbacks:
            getattr(cb, hook)(*args)

    def __getattr__(self, hook):
        if hook.startswith("on_") and hasattr(Callback, hook):
            def dispatch(*args, **kwargs):
                for cb in self.callbacks:
                    getattr(cb, hook)(*args, **kwargs)
            return dispatch
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {hook!r}")

    def __iter__(self):
        return iter(self.callbacks)

    def __len__(self):
        return len(self.callbacks)


from dlkit.np.callbacks_extra import (CSVLogger, LearningRateScheduler, ModelCheckpoint,  # noqa: E402
                                      ReduceLROnPlateau, TerminateOnNaN)
