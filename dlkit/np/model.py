"""``Sequential``: a stack of dlkit.np layers with the Keras training API (compile / fit / evaluate /
predict / summary), trained by explicit backpropagation: forward through the layers, ``loss.backward()``,
backward through the layers in reverse, then ``optimizer.apply_gradients``.

>>> import numpy as np, dlkit.np as dnp
>>> model = dnp.Sequential([dnp.layers.Dense(8, activation="relu"), dnp.layers.Dense(1, activation="sigmoid")])
>>> model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
>>> history = model.fit(np.zeros((4, 2)), np.array([0, 1, 0, 1]), epochs=2, verbose=0)
>>> sorted(history.history)
['accuracy', 'loss']
"""
import math

import numpy as np

from dlkit.np import _fit_utils as U
from dlkit.np import callbacks as callbacks_module
from dlkit.np import losses as losses_module
from dlkit.np import metrics as metrics_module
from dlkit.np import optimizers as optimizers_module
from dlkit.np.base import Layer
from dlkit.np.random import get_rng

__all__ = ["Sequential", "set_blas_threads"]

set_blas_threads = U.set_blas_threads

_names = {}


class Sequential:
    """Layers applied in order: ``y = model(x, training=False)``, ``dx = model.backward(dy)``."""

    def __init__(self, layers=None, name=None):
        if name is None:
            k = _names.get("sequential", 0)
            _names["sequential"] = k + 1
            name = "sequential" if k == 0 else f"sequential_{k}"
        self.name = name
        self._layers = []
        self._output_shapes = None
        self.optimizer = self.loss = None
        self._metric_ids, self.metrics = [], []
        self.stop_training = False
        self.history = None
        for layer in layers or []:
            self.add(layer)

    # -- structure --------------------------------------------------------------------------------
    def add(self, layer):
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add expects a dlkit.np layer (e.g. dlkit.np.layers.Dense(10)), "
                            f"got {layer!r}")
        self._layers.append(layer)
        self._output_shapes = None

    @property
    def layers(self):
        return list(self._layers)

    @property
    def built(self):
        return bool(self._layers) and all(layer.built for layer in self._layers)

    @property
    def dtype(self):
        return self._layers[0].dtype if self._layers else np.dtype("float32")

    def build(self, input_shape):
        """Build the weights for inputs of ``input_shape`` (with or without the batch axis)."""
        shape = tuple(input_shape)
        if shape and shape[0] is None:
            shape = shape[1:]
        self(np.zeros((1,) + shape, dtype=self.dtype))

    def __call__(self, x, training=False):
        if not self._layers:
            raise ValueError(f"Sequential '{self.name}' has no layers; add some with model.add(...)")
        record = self._output_shapes is None
        shapes = []
        for layer in self._layers:
            x = layer(x, training=training)
            if record:
                shapes.append((None,) + tuple(x.shape[1:]))
        if record:
            self._output_shapes = shapes
        return x

    def backward(self, dy):
        """Backpropagate ``dy`` = dL/d(output) through all layers; fills each layer's ``grads``."""
        for layer in reversed(self._layers):
            dy = layer.backward(dy)
        return dy

    # -- weights ----------------------------------------------------------------------------------
    @property
    def weights(self):
        return [w for layer in self._layers for w in layer.weights]

    @property
    def trainable(self):
        """False when every layer is frozen; setting it freezes or unfreezes all layers (as Keras)."""
        return any(layer.trainable for layer in self._layers)

    @trainable.setter
    def trainable(self, value):
        for layer in self._layers:
            layer.trainable = bool(value)

    @property
    def trainable_weights(self):
        return [layer.params[k] for layer in self._layers for k in layer.trainable_names]

    def parameters(self):
        """``[(grad, param), ...]`` of all layers, for ``optimizer.apply_gradients``."""
        return [pair for layer in self._layers for pair in layer.parameters()]

    def get_weights(self):
        return [w for layer in self._layers for w in layer.get_weights()]

    def set_weights(self, weights):
        weights = list(weights)
        expected = sum(len(layer.params) for layer in self._layers)
        if len(weights) != expected:
            raise ValueError(f"Sequential '{self.name}': expected {expected} arrays, got {len(weights)}")
        i = 0
        for layer in self._layers:
            n = len(layer.params)
            if n:
                layer.set_weights(weights[i:i + n])
            i += n

    def count_params(self):
        return int(sum(layer.count_params() for layer in self._layers))

    @property
    def losses(self):
        """Regularization penalties of all layers (added to the loss, as in Keras)."""
        return [v for layer in self._layers for v in getattr(layer, "losses", [])]

    def summary(self, print_fn=print):
        for line in U.summary_lines(self):
            print_fn(line)

    # -- training ---------------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None):
        """Set the optimizer (name or object), the loss (name or object) and metrics (e.g. ["accuracy"])."""
        self.optimizer = optimizers_module.get(optimizer)
        self.loss = None if loss is None else losses_module.get(loss)
        if metrics is not None and not isinstance(metrics, (list, tuple)):
            metrics = [metrics]
        self._metric_ids = list(metrics or [])
        self.metrics = []

    def _prepare(self, x, y, what="x"):
        """Validate data, build the model, resolve metrics; returns (x, y) ready for batching."""
        if self.loss is None:
            raise RuntimeError("call model.compile(optimizer=..., loss=...) before fit/evaluate")
        x, y = U.check_xy(x, y, self.dtype, what)
        out = self(x[:1])
        y = U.check_labels(self.loss, y, out.shape, self.dtype)
        if len(self.metrics) != len(self._metric_ids):
            self.metrics = [metrics_module.get(m, y[:1], out) for m in self._metric_ids]
        return x, y

    def _regularized_layers(self):
        return [layer for layer in self._layers if getattr(layer, "losses", None)]

    def fit(self, x=None, y=None, batch_size=32, epochs=1, verbose=1, callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, initial_epoch=0):
        """Train with mini-batch gradient descent; returns a ``History`` (Keras keys and semantics).

        ``verbose``: 0 silent, 1 one progress bar per epoch, 2 one line per epoch. Raises
        FloatingPointError as soon as the loss becomes nan or inf.
        """
        try:
            with U.blas_limit():
                return self._fit(x, y, batch_size, epochs, verbose, callbacks, validation_split,
                                 validation_data, shuffle, initial_epoch)
        finally:
            for layer in self._layers:
                layer.input_gradient = True

    def _backprop_layers(self):
        """Layers to run backward through in fit, last first: none below the first trainable layer,
        which is told that nobody needs its input gradient (as Keras skips it too)."""
        first = next((i for i, layer in enumerate(self._layers) if layer.trainable_names), 0)
        self._layers[first].input_gradient = False
        return self._layers[first:][::-1]

    def _fit(self, x, y, batch_size, epochs, verbose, callbacks, validation_split, validation_data, shuffle,
             initial_epoch):
        batch_size = int(batch_size or 32)
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        x, y = U.check_xy(x, y, self.dtype)
        if validation_data is None and validation_split:
            if not 0 < validation_split < 1:
                raise ValueError(f"validation_split must be in (0, 1), got {validation_split}")
            split = int(math.floor(len(x) * (1.0 - validation_split)))
            if split == 0 or split == len(x):
                raise ValueError(f"validation_split={validation_split} leaves no training or no validation "
                                 f"samples out of {len(x)}")
            x, y, validation_data = x[:split], y[:split], (x[split:], y[split:])
        x, y = self._prepare(x, y)
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise ValueError("validation_data must be a tuple (x_val, y_val)")
            xv, yv = self._prepare(*validation_data, what="validation_data x")
        n, steps = len(x), -(-len(x) // batch_size)
        history = callbacks_module.History()
        cbs = callbacks_module.CallbackList(list(callbacks or []) + [history], self,
                                            {"verbose": verbose, "epochs": epochs, "steps": steps})
        reg_layers = self._regularized_layers()
        layers, loss_fn, opt, metrics = self._layers, self.loss, self.optimizer, self.metrics
        rev = None
        rng = get_rng()
        self.stop_training = False
        cbs.call("on_train_begin", None)
        logs = {}
        for epoch in range(initial_epoch, epochs):
            cbs.call("on_epoch_begin", epoch, None)
            if shuffle:
                perm = rng.permutation(n)
                xe, ye = x[perm], y[perm]
            else:
                xe, ye = x, y
            for m in metrics:
                m.reset_state()
            total = 0.0
            bar = U.progress(verbose, steps, epoch, epochs)
            try:
                for b in range(steps):
                    if cbs.has_batch_hooks:
                        cbs.call("on_train_batch_begin", b, None)
                    s = b * batch_size
                    xb, yb = xe[s:s + batch_size], ye[s:s + batch_size]
                    out = xb
                    for layer in layers:
                        out = layer(out, training=True)
                    value = float(loss_fn(yb, out))
                    if reg_layers:
                        value += float(sum(sum(layer.losses) for layer in reg_layers))
                    if not math.isfinite(value):
                        raise FloatingPointError(
                            f"loss became {value} at epoch {epoch + 1}, batch {b + 1} (of {steps}); try a "
                            f"smaller learning_rate (current: {opt.learning_rate:g}), scaled inputs, or "
                            f"gradient clipping (e.g. clipnorm=1.0)")
                    dy = loss_fn.backward()
                    if rev is None:
                        rev = self._backprop_layers()
                    for layer in rev:
                        dy = layer.backward(dy)
                    opt.apply_gradients([p for layer in layers for p in layer.parameters()])
                    total += value * len(xb)
                    for m in metrics:
                        m.update_state(yb, out)
                    if cbs.has_batch_hooks:
                        cbs.call("on_train_batch_end", b, {"loss": total / min(s + batch_size, n)})
                    if bar is not None:
                        bar.update(1)
                        if b % 8 == 0 or b == steps - 1:
                            bar.set_postfix(U.postfix(total / min(s + batch_size, n), metrics), refresh=False)
                logs = {"loss": total / n}
                logs.update((m.name, m.result()) for m in metrics)
                if validation_data is not None:
                    vals = self._evaluate_arrays(xv, yv, batch_size)
                    logs["val_loss"] = vals[0]
                    logs.update((f"val_{m.name}", v) for m, v in zip(metrics, vals[1:]))
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

    def _evaluate_arrays(self, x, y, batch_size):
        """[loss, *metric results] over (x, y) in inference mode, weighted by batch size."""
        for m in self.metrics:
            m.reset_state()
        total = 0.0
        for s in range(0, len(x), batch_size):
            out = self(x[s:s + batch_size], training=False)
            total += float(self.loss(y[s:s + batch_size], out)) * len(out)
            for m in self.metrics:
                m.update_state(y[s:s + batch_size], out)
        loss = total / len(x) + float(sum(self.losses))
        return [loss] + [m.result() for m in self.metrics]

    def evaluate(self, x=None, y=None, batch_size=32, verbose=0, return_dict=False):
        """Loss (and metrics) on (x, y): a float when there are no metrics, else [loss, *metrics]."""
        x, y = self._prepare(x, y)
        with U.blas_limit():
            vals = self._evaluate_arrays(x, y, int(batch_size or 32))
        names = ["loss"] + [m.name for m in self.metrics]
        if verbose:
            print(" - ".join(f"{k}: {v:.4f}" for k, v in zip(names, vals)))
        if return_dict:
            return dict(zip(names, vals))
        return vals[0] if len(vals) == 1 else vals

    def predict(self, x, batch_size=32, verbose=0):
        """Model outputs for x, computed in batches in inference mode (training=False)."""
        x = U.as_array(x, "x").astype(self.dtype, copy=False)
        batch_size = int(batch_size or 32)
        with U.blas_limit():
            outs = [self(x[s:s + batch_size], training=False) for s in range(0, len(x), batch_size)]
        if not outs:
            raise ValueError("predict: x is empty")
        return np.concatenate(outs, axis=0)

    def __repr__(self):
        return f"<Sequential name={self.name!r} layers={len(self._layers)}>"

