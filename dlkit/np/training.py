"""The Keras training API shared by ``Model`` and ``Sequential``, and the one training step they run.

Every step of ``fit`` is :func:`train_step`: forward, loss, ``loss.backward``, ``model.backward``,
``apply_gradients``. Custom loops (GANs, VAEs, policy gradients) call it, or its five lines, directly.
"""
import math

import numpy as np

from dlkit.np import _fit_utils as U
from dlkit.np import callbacks as callbacks_module
from dlkit.np import losses as losses_module
from dlkit.np import metrics as metrics_module
from dlkit.np import optimizers as optimizers_module
from dlkit.np import batches as B
from dlkit.np.base import Layer
from dlkit.np.random import get_rng

__all__ = ["train_step", "Trainer"]


def train_step(model, loss, optimizer, x, y, sample_weight=None):
    """One step of gradient descent on a batch; returns ``(loss value, predictions)``."""
    y_pred = model(x, training=True)                                    # forward
    value = loss(y, y_pred) if sample_weight is None else loss(y, y_pred, sample_weight=sample_weight)
    value = float(value) + float(sum(model.losses))                     # + regularization penalties
    model.backward(loss.backward())                                     # dL/dweights by backprop
    optimizer.apply_gradients(model.grads_and_vars())                   # w <- w - lr * update
    return value, y_pred


class _MultiLoss:
    """Several outputs: the sum of one loss per output; backward returns the list of gradients."""

    def __init__(self, losses):
        self.losses = losses

    def __call__(self, ys, preds, sample_weight=None):
        if not isinstance(ys, (list, tuple)) or len(ys) != len(self.losses):
            raise ValueError(f"y must be a list of {len(self.losses)} arrays, one per model output")
        sw = sample_weight
        return sum(float(l(y, p) if sw is None else l(y, p, sample_weight=sw))
                   for l, y, p in zip(self.losses, ys, preds))

    def backward(self):
        return [l.backward() for l in self.losses]


class Trainer:
    """compile / fit / evaluate / predict / summary / save for a model with call and backward."""

    def __init__(self):
        self.optimizer = self.loss = None
        self._metric_ids, self.metrics = [], []
        self.stop_training = False
        self.history = None

    # -- setup ------------------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None):
        """Set the optimizer (name or object), the loss (name, object, or a list: one per output) and
        metrics (e.g. ``["accuracy", dnp.metrics.Precision()]``; computed on the first output)."""
        self.optimizer = optimizers_module.get(optimizer)
        if isinstance(loss, (list, tuple)):
            self.loss = _MultiLoss([losses_module.get(l) for l in loss])
        else:
            self.loss = None if loss is None else losses_module.get(loss)
        if metrics is not None and not isinstance(metrics, (list, tuple)):
            metrics = [metrics]
        self._metric_ids = list(metrics or [])
        self.metrics = []

    def _loss_for(self, ys):
        if self.loss is None:
            raise RuntimeError("call model.compile(optimizer=..., loss=...) before fit/evaluate")
        return self.loss

    def _prepare(self, x, y, what="x"):
        """Validate data, build the model, resolve metrics; returns (x, y) ready for batching."""
        loss = self._loss_for(y)
        x, y = U.check_xy(x, y, self.dtype, what)
        out = self(U.take(x, slice(0, 1)))
        if not isinstance(loss, _MultiLoss):
            y = U.check_labels(loss, y, out.shape, self.dtype)
        if len(self.metrics) != len(self._metric_ids):
            first = out[0] if isinstance(out, list) else out
            y0 = y[0] if isinstance(y, list) else y
            self.metrics = [metrics_module.get(m, y0[:1], first) for m in self._metric_ids]
        return x, y

    def _check_backward(self):
        missing = [type(l).__name__ for l in [self] + self.layers if type(l).backward is Layer.backward]
        if missing:
            raise NotImplementedError(f"cannot train: {', '.join(sorted(set(missing)))} define call() but "
                                      f"not backward(dy); dlkit.np layers need a hand-written backward")

    # -- fit --------------------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose=1, callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, class_weight=None, sample_weight=None, initial_epoch=0,
            steps_per_epoch=None):
        """Train with mini-batch gradient descent; returns a ``History`` (Keras keys and semantics).

        ``x``: an array (a list of arrays for several inputs), or a generator / ``tf.data.Dataset``
        yielding ``(x, y)`` or ``(x, y, sample_weight)`` batches. ``sample_weight (n,)`` weighs each
        example's loss; ``class_weight {class: weight}`` does it by label. ``verbose``: 0 silent, 1 a
        progress bar per epoch, 2 one line per epoch. Raises FloatingPointError when the loss becomes
        nan or inf (unless a ``TerminateOnNaN`` callback stops training).
        """
        batch_size = U.check_int(batch_size, "batch_size", default=32)
        epochs = U.check_int(epochs, "epochs", minimum=0)
        initial_epoch = U.check_int(initial_epoch, "initial_epoch", minimum=0)
        self._check_backward()
        try:
            with U.blas_limit():
                return self._fit(x, y, batch_size, epochs, verbose, callbacks, validation_split,
                                 validation_data, shuffle, class_weight, sample_weight, initial_epoch,
                                 steps_per_epoch)
        finally:
            self._set_input_gradients(True)

    def _fit(self, x, y, batch_size, epochs, verbose, callbacks, validation_split, validation_data, shuffle,
             class_weight, sample_weight, initial_epoch, steps_per_epoch):
        source = B.make_source(x, y, sample_weight, batch_size, shuffle, steps_per_epoch, self)
        if source.arrays is not None:
            x, y, sample_weight = source.arrays
            x, y = self._prepare(x, y)
            U.check_finite(x, "x")
            U.check_finite(y, "y")
            if validation_data is None and validation_split:
                (x, y, sample_weight), validation_data = U.split_validation(x, y, sample_weight,
                                                                            validation_split)
            source.arrays = (x, y, U.sample_weights(y, sample_weight, class_weight, self.loss))
        if validation_data is not None:
            xv, yv, swv = U.unpack_validation(validation_data)
            U.check_same_shapes(x if source.arrays is not None else None, U.as_inputs(xv, self.dtype),
                                "validation_data x")
            xv, yv = self._prepare(xv, yv, what="validation_data x")
        steps = source.steps()
        history = callbacks_module.History()
        cbs = callbacks_module.CallbackList(U.as_callback_list(callbacks) + [history], self,
                                            {"verbose": verbose, "epochs": epochs, "steps": steps})
        self._set_input_gradients(False)
        rng = get_rng()
        self.stop_training = False
        cbs.call("on_train_begin", None)
        logs = {}
        for epoch in range(initial_epoch, epochs):
            cbs.call("on_epoch_begin", epoch, None)
            for m in self.metrics:
                m.reset_state()
            total, seen = 0.0, 0
            bar = U.progress(verbose, steps, epoch, epochs)
            try:
                for b, (xb, yb, swb) in enumerate(source.epoch(rng, class_weight, self)):
                    if cbs.has_batch_hooks:
                        cbs.call("on_train_batch_begin", b, None)
                    if source.arrays is None and b == 0 and epoch == initial_epoch:
                        self._prepare(xb, yb)
                    value, out = train_step(self, self.loss, self.optimizer, xb, yb, swb)
                    n = U.batch_len(xb)
                    total, seen = total + value * n, seen + n
                    if not math.isfinite(value):
                        cbs.call("on_train_batch_end", b, {"loss": value})
                        if self.stop_training:
                            break
                        raise FloatingPointError(
                            f"loss became {value} at epoch {epoch + 1}, batch {b + 1} (of {steps}); try a "
                            f"smaller learning_rate (current: {self.optimizer.learning_rate:g}), scaled "
                            f"inputs, or gradient clipping (e.g. clipnorm=1.0)")
                    first = out[0] if isinstance(out, list) else out
                    y0 = yb[0] if isinstance(yb, list) else yb
                    U.update_metrics(self.metrics, y0, first, swb)
                    if cbs.has_batch_hooks:
                        cbs.call("on_train_batch_end", b, {"loss": total / seen})
                    if bar is not None:
                        bar.update(1)
                        if b % 8 == 0 or b == steps - 1:
                            bar.set_postfix(U.postfix(total / seen, self.metrics), refresh=False)
                if seen == 0:
                    raise ValueError("fit: x yielded no batches")
                logs = {"loss": total / seen}
                logs.update((m.name, m.result()) for m in self.metrics)
                if validation_data is not None:
                    vals = self._evaluate_arrays(xv, yv, batch_size, swv)
                    logs["val_loss"] = vals[0]
                    logs.update((f"val_{m.name}", v) for m, v in zip(self.metrics, vals[1:]))
                if bar is not None:
                    bar.set_postfix({k: f"{v:.4f}" for k, v in logs.items()}, refresh=False)
            finally:
                if bar is not None:
                    bar.close()
            if verbose == 2:
                print(f"Epoch {epoch + 1}/{epochs} - " + " - ".join(f"{k}: {v:.4f}" for k, v in logs.items()))
            cbs.call("on_epoch_end", epoch, logs)
            if self.stop_training:
                break
        cbs.call("on_train_end", logs)
        self.history = history
        return history

    def _set_input_gradients(self, flag):
        """Subclasses skip dL/dx in layers that only read model inputs while fitting."""

    def train_on_batch(self, x, y, sample_weight=None, return_dict=False):
        """One :func:`train_step` on one batch (Keras API): the loss and metrics of the batch, computed
        before the update; a float without metrics, else ``[loss, *metrics]`` (or a dict)."""
        self._check_backward()
        x, y = self._prepare(x, y)
        sw = U.sample_weights(y, sample_weight, None, self.loss)
        for m in self.metrics:
            m.reset_state()
        with U.blas_limit():
            value, out = train_step(self, self.loss, self.optimizer, x, y, sw)
        first, y0 = (out[0], y[0]) if isinstance(out, list) else (out, y)
        U.update_metrics(self.metrics, y0, first, sw)
        names, vals = ["loss"] + [m.name for m in self.metrics], [value] + [m.result() for m in self.metrics]
        if return_dict:
            return dict(zip(names, vals))
        return vals[0] if len(vals) == 1 else vals

    # -- evaluate / predict -----------------------------------------------------------------------
    def _evaluate_arrays(self, x, y, batch_size, sample_weight=None):
        """[loss, *metric results] over (x, y) in inference mode, weighted by batch size."""
        for m in self.metrics:
            m.reset_state()
        total, n = 0.0, U.batch_len(x)
        for s in range(0, n, batch_size):
            sl = slice(s, s + batch_size)
            out, yb = self(U.take(x, sl), training=False), U.take(y, sl)
            swb = None if sample_weight is None else sample_weight[sl]
            value = self.loss(yb, out) if swb is None else self.loss(yb, out, sample_weight=swb)
            total += float(value) * U.batch_len(out)
            first, y0 = (out[0], yb[0]) if isinstance(out, list) else (out, yb)
            U.update_metrics(self.metrics, y0, first, swb)
        loss = total / n + float(sum(self.losses))
        return [loss] + [m.result() for m in self.metrics]

    def evaluate(self, x=None, y=None, batch_size=None, verbose=0, sample_weight=None, return_dict=False):
        """Loss (and metrics) on (x, y): a float when there are no metrics, else [loss, *metrics]."""
        batch_size = U.check_int(batch_size, "batch_size", default=32)
        x, y = self._prepare(x, y)
        with U.blas_limit():
            vals = self._evaluate_arrays(x, y, batch_size, U.sample_weights(y, sample_weight, None, self.loss))
        names = ["loss"] + [m.name for m in self.metrics]
        if verbose:
            print(" - ".join(f"{k}: {v:.4f}" for k, v in zip(names, vals)))
        if return_dict:
            return dict(zip(names, vals))
        return vals[0] if len(vals) == 1 else vals

    def predict(self, x, batch_size=None, verbose=0):
        """Model outputs for x, computed in batches in inference mode (training=False)."""
        batch_size = U.check_int(batch_size, "batch_size", default=32)
        x = U.as_inputs(x, self.dtype)
        n = U.batch_len(x)
        if n == 0:
            raise ValueError("predict: x is empty")
        with U.blas_limit():
            outs = [self(U.take(x, slice(s, s + batch_size)), training=False) for s in range(0, n, batch_size)]
        if isinstance(outs[0], list):
            return [np.concatenate([o[i] for o in outs], axis=0) for i in range(len(outs[0]))]
        return np.concatenate(outs, axis=0)

    # -- reporting and persistence ----------------------------------------------------------------
    def summary(self, print_fn=print):
        for line in U.summary_lines(self):
            print_fn(line)

    def save(self, filepath):
        """Save architecture, weights and compile settings to ``filepath`` (see dlkit.np.saving)."""
        from dlkit.np import saving
        saving.save_model(self, filepath)

    def save_weights(self, filepath):
        from dlkit.np import saving
        saving.save_weights(self, filepath)

    def load_weights(self, filepath):
        from dlkit.np import saving
        saving.load_weights(self, filepath)
