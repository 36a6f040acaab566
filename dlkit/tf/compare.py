"""dlkit.tf side by side with stock Keras: the same model, the same weights, the same numbers.

The GPU sections of the book build one model from ``dlkit.tf.layers`` and its twin from
``keras.layers``, check that they compute the same function and the same first-step gradients,
then train both and print accuracy and throughput::

    first_step_check(ours, keras_model, x[:64], y[:64], loss)   # raises if they differ
    history, rate = timed_fit(ours, x, y, epochs=5, batch_size=256)
"""
import time

import keras
import numpy as np
import tensorflow as tf

__all__ = ["copy_weights", "first_step_check", "timed_fit"]


def copy_weights(source, target):
    """Copy every weight of ``source`` into ``target`` (same layer order and weight layout)."""
    src, dst = source.get_weights(), target.get_weights()
    if [w.shape for w in src] != [w.shape for w in dst]:
        raise ValueError("copy_weights: the models must have the same weights in the same order; "
                         f"source has shapes {[w.shape for w in src]}, target {[w.shape for w in dst]}")
    target.set_weights(src)


def _rel_err(a, b, floor=1e-12):
    """||a - b|| / max(||b||, floor): the relative error of a whole tensor (robust to entries near zero)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), floor))


def first_step_check(ours, reference, x, y, loss, rtol=1e-4, verbose=True):
    """Copy ``reference``'s weights into ``ours``; assert equal outputs and first-step gradients.

    ours, reference: built models with the same weights (``copy_weights``); x, y: one batch;
    loss: a Keras loss object or function ``loss(y_true, y_pred)``. Outputs are compared in
    inference mode and gradients of ``loss`` in training mode with dropout off (call with models
    whose dropout rate is 0, or accept their randomness in ``rtol``). Errors are relative:
    ``||ours - reference|| / ||reference||`` per tensor (for gradients, the denominator is at least
    1e-3 of the model's largest gradient norm, so a gradient that is exactly zero is not all noise). Returns ``(output_error, max gradient error)``.
    TensorFloat-32 matrix products (on by default on Ampere and newer GPUs, ~1e-3 relative error) are
    switched off during the check and restored after it.
    """
    tf32 = tf.config.experimental.tensor_float_32_execution_enabled()
    tf.config.experimental.enable_tensor_float_32_execution(False)
    try:
        return _first_step_check(ours, reference, x, y, loss, rtol, verbose)
    finally:
        tf.config.experimental.enable_tensor_float_32_execution(tf32)


def _first_step_check(ours, reference, x, y, loss, rtol, verbose):
    copy_weights(reference, ours)
    out_err = _rel_err(ours(x, training=False), reference(x, training=False))
    grads = []
    for model in (ours, reference):
        with tf.GradientTape() as tape:
            value = loss(y, model(x, training=True))
        # embeddings give tf.IndexedSlices: densify to compare
        grads.append([tf.convert_to_tensor(g) for g in tape.gradient(value, model.trainable_weights)])
    names = [w.path if hasattr(w, "path") else w.name for w in reference.trainable_weights]
    # A gradient that is zero in exact arithmetic (a bias before batch norm) holds only round-off: measure
    # every tensor against at least 1e-3 of the largest gradient norm of the model.
    floor = 1e-3 * max(float(np.linalg.norm(np.asarray(g, dtype=np.float64))) for g in grads[1])
    grad_errs = {n: _rel_err(g_ours, g_ref, max(floor, 1e-12)) for n, g_ours, g_ref in zip(names, *grads)}
    worst = max(grad_errs, key=grad_errs.get)
    if verbose:
        print(f"dlkit.tf vs Keras, same weights: outputs differ by {out_err:.1e}, first-step gradients by "
              f"at most {grad_errs[worst]:.1e} (relative; tolerance {rtol:g})")
    if out_err > rtol:
        raise AssertionError(f"outputs differ: relative error {out_err:.2e} > {rtol:g}")
    if grad_errs[worst] > rtol:
        raise AssertionError(f"gradient of {worst} differs: relative error {grad_errs[worst]:.2e} > {rtol:g}")
    return out_err, grad_errs[worst]


class _EpochTimer(keras.callbacks.Callback):
    """Seconds of training per epoch: the clock stops where the validation pass starts."""

    def on_epoch_begin(self, epoch, logs=None):
        self.start, self.train_end = time.perf_counter(), None

    def on_test_begin(self, logs=None):
        if self.train_end is None:
            self.train_end = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append((self.train_end or time.perf_counter()) - self.start)


def timed_fit(model, x, y=None, n_examples=None, **fit_kwargs):
    """``model.fit(x, y, **fit_kwargs)``, returning ``(history, training examples per second)``.

    The rate counts training time only (not the validation pass) and leaves out the first epoch
    (tracing and compilation) when there is more than one.
    n_examples: training examples per epoch; by default ``len(x)`` minus ``validation_split``
    (give it for a ``tf.data.Dataset``).
    """
    if n_examples is None:
        if isinstance(x, tf.data.Dataset):
            raise ValueError("timed_fit: pass n_examples= (examples per epoch) when x is a tf.data.Dataset")
        n_examples = int(len(x) * (1.0 - fit_kwargs.get("validation_split", 0.0)))
    timer = _EpochTimer()
    timer.seconds = []
    fit_kwargs["callbacks"] = list(fit_kwargs.get("callbacks") or []) + [timer]
    history = model.fit(x, y, **fit_kwargs)
    seconds = timer.seconds[1:] if len(timer.seconds) > 1 else timer.seconds
    return history, n_examples * len(seconds) / sum(seconds)
