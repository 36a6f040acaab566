"""Where ``fit`` gets its batches from: arrays (shuffled once per epoch), a generator, or a tf.data.Dataset.

Each source yields ``(x_batch, y_batch, sample_weight_batch or None)``; ``x_batch`` is a list of arrays for
models with several inputs.
"""
import itertools

import numpy as np

from dlkit.np import _fit_utils as U


def _multi_input(model):
    return getattr(model, "_graph", None) is not None and len(model._inputs) > 1


def make_source(x, y, sample_weight, batch_size, shuffle, steps_per_epoch, model):
    if x is None:
        raise ValueError("fit: x is None; pass a NumPy array (or a generator / tf.data.Dataset of batches)")
    if hasattr(x, "as_numpy_iterator"):                     # tf.data.Dataset: re-iterable every epoch
        _no_y(y, sample_weight)
        return IteratorSource(lambda: x.as_numpy_iterator(), steps_per_epoch, _cardinality(x), True)
    if hasattr(x, "__next__"):                              # a generator or iterator: one pass
        _no_y(y, sample_weight)
        return IteratorSource(lambda: x, steps_per_epoch, None, False)
    if isinstance(x, (np.ndarray, list, tuple)) or np.isscalar(x) or hasattr(x, "__array__"):
        if isinstance(x, (list, tuple)) and _multi_input(model):
            x = [U.as_array(v, f"x[{i}]") for i, v in enumerate(x)]
        else:
            x = U.as_array(x, "x")
        if y is None:
            raise ValueError("fit: y is None; pass the targets (labels) for x")
        return ArraySource(x, y, sample_weight, batch_size, shuffle)
    raise TypeError(f"fit: x must be a NumPy array (a list of arrays for a model with several inputs), a "
                    f"generator, or a tf.data.Dataset yielding (x, y) or (x, y, sample_weight) batches; got "
                    f"{type(x).__name__}")


def _no_y(y, sample_weight):
    if y is not None or sample_weight is not None:
        raise ValueError("fit: when x is a generator or a tf.data.Dataset, its batches carry the targets "
                         "(and sample weights); pass y=None and sample_weight=None")


def _cardinality(ds):
    try:
        n = int(ds.cardinality())
    except Exception:  # noqa: BLE001 - any dataset-like object without a known length
        return None
    return n if n > 0 else None


class ArraySource:
    def __init__(self, x, y, sample_weight, batch_size, shuffle):
        self.arrays = (x, y, sample_weight)
        self.batch_size, self.shuffle = batch_size, shuffle

    def steps(self):
        return -(-U.batch_len(self.arrays[0]) // self.batch_size)

    def epoch(self, rng, class_weight, model):
        x, y, sw = self.arrays
        n, bs = U.batch_len(x), self.batch_size
        if self.shuffle:
            perm = rng.permutation(n)
            x, y = U.take(x, perm), U.take(y, perm)
            sw = None if sw is None else sw[perm]
        for s in range(0, n, bs):
            sl = slice(s, s + bs)
            yield U.take(x, sl), U.take(y, sl), None if sw is None else sw[sl]


class IteratorSource:
    arrays = None

    def __init__(self, make_iter, steps_per_epoch, cardinality, reiterable):
        self.make_iter, self.reiterable = make_iter, reiterable
        self.steps_per_epoch = None if steps_per_epoch is None else U.check_int(steps_per_epoch,
                                                                                  "steps_per_epoch")
        self.cardinality, self._it, self._epochs = cardinality, None, 0

    def steps(self):
        return self.steps_per_epoch or self.cardinality

    def epoch(self, rng, class_weight, model):
        if self.reiterable or self._it is None:
            self._it = iter(self.make_iter())
        it = self._it if self.steps_per_epoch is None else itertools.islice(self._it, self.steps_per_epoch)
        count = 0
        for item in it:
            if not isinstance(item, (tuple, list)) or len(item) not in (2, 3):
                raise ValueError(f"fit: each batch from x must be a tuple (x, y) or (x, y, sample_weight), "
                                 f"got {type(item).__name__}")
            xb = [np.asarray(v) for v in item[0]] if isinstance(item[0], (list, tuple)) else np.asarray(item[0])
            yb = np.asarray(item[1])
            U.check_finite(xb, "x (batch from the generator)")
            U.check_finite(yb, "y (batch from the generator)")
            swb = np.asarray(item[2]) if len(item) == 3 else None
            count += 1
            yield xb, yb, U.sample_weights(yb, swb, class_weight, model.loss)
        self._epochs += 1
        if count == 0:
            raise ValueError("fit: x yielded no batches" + (
                "; a generator is used up after one pass: pass steps_per_epoch, or a tf.data.Dataset or "
                "arrays, to train for several epochs" if self._epochs > 1 else ""))
