"""Self-check of Exercise 11 (transfer learning): references from dlkit.np's own bookkeeping (trainable
weights, layers) and, for fine-tuning, the baseline trained from scratch on the same few-shot splits.

Uses the notebook's set-up (``load_pretrained``, ``few_shot_split``). Imports dlkit.np only (no TensorFlow)."""
import time

import numpy as np

import dlkit.np as dnp
from dlkit.exercises.checks import check_close, check_shape, check_true, describe

from ._core import Task

SPLITS = 4            # few-shot splits for fine_tune (the gain on a single split is noisy)
MIN_GAIN = 0.02       # as the graded test: beat training from scratch by 2 points on average
SLOW = 10.0           # seconds per fine_tune call: the grader stops slow cells


def _setup(S, name):
    value = S._ns.get(name)
    check_true(callable(value), f"{name}: expected the notebook's set-up cells to define it, got "
                                f"{describe(value)}. Hint: run all the cells from the top (Runtime > Run all)")
    return value


def _replace_head_ref(model, num_classes):
    return dnp.Sequential(model.layers[:-1] + [dnp.layers.Dense(num_classes, activation="softmax")])


def _freeze_ref(model, n_frozen):
    for i, layer in enumerate(model.layers):
        layer.trainable = i >= n_frozen
    return int(sum(w.size for w in model.trainable_weights))


def _random_model(rng):
    layers = []
    for units in rng.integers(2, 8, size=int(rng.integers(2, 4))):
        layers.append(dnp.layers.Dense(int(units), activation="tanh"))
        if rng.random() < 0.5:
            layers.append(dnp.layers.Dropout(0.2))
    layers.append(dnp.layers.Dense(3, activation="softmax"))
    model = dnp.Sequential(layers)
    model.build((int(rng.integers(2, 6)),))
    return model


def _freeze(S, rng):
    for case in range(4):
        model = _random_model(rng)
        n_layers = len(model.layers)
        for n_frozen in ([n_layers, int(rng.integers(1, n_layers))] if case % 2 else [1, 0]):
            got = S.freeze(model, n_frozen)
            flags = [layer.trainable for layer in model.layers]
            want_flags = [i >= n_frozen for i in range(n_layers)]
            check_true(flags == want_flags, f"trainable flags after freeze(model with {n_layers} layers, {n_frozen}): "
                                            f"expected {want_flags}, got {flags}")
            check_close(f"freeze(model with layers {[type(layer).__name__ for layer in model.layers]}, {n_frozen}): "
                        "trainable parameters", got, sum(w.size for w in model.trainable_weights),
                        hint="the number of scalars in the weights of the trainable layers only")


def _replace_head(S, rng):
    for case in range(3):
        d_in, k_old, k_new = (int(v) for v in rng.integers(2, 8, size=3))
        body = [dnp.layers.Dense(int(s), activation="relu") for s in rng.integers(3, 9, size=case + 1)]
        old_head = dnp.layers.Dense(k_old, activation="softmax")
        model = dnp.Sequential(body + [old_head])
        model.build((d_in,))
        body[0].trainable = False
        x = rng.normal(size=(5, d_in))
        y_old = model(x)
        weights = [w.copy() for layer in body for w in layer.get_weights()]
        new = S.replace_head(model, k_new)
        what = f"replace_head(model with {len(body) + 1} layers, {k_new})"
        check_true(isinstance(new, dnp.Sequential) and len(new.layers) == len(body) + 1,
                   f"{what}: expected a dnp.Sequential of {len(body) + 1} layers, got {describe(new)}")
        check_true(all(a is b for a, b in zip(new.layers, body)),
                   f"{what}: expected the SAME body layer objects (model.layers[:-1]), got other layers")
        head = new.layers[-1]
        check_true(isinstance(head, dnp.layers.Dense) and head is not old_head and head.trainable,
                   f"{what}: expected a new trainable Dense head, got {describe(head)}")
        probs = new(x)
        check_shape(f"{what} output for 5 examples", probs, (5, k_new), hint="the new head has num_classes units")
        h = x
        for layer in body:
            h = layer(h)
        z = h @ head.params["kernel"] + head.params["bias"]
        ref = np.exp(z - z.max(axis=1, keepdims=True))
        check_close(f"{what} output", probs, ref / ref.sum(axis=1, keepdims=True), rtol=1e-4, atol=1e-6,
                    hint="the body layers, then Dense(num_classes, activation='softmax')")
        check_true(np.std(head.params["kernel"]) > 0, f"{what}: expected a randomly initialised head, got zeros")
        check_true([layer.trainable for layer in body] == [False] + [True] * (len(body) - 1),
                   f"{what}: expected the body's trainable flags unchanged, got them changed")
        check_close(f"body weights after {what}", np.concatenate([w.ravel() for layer in body
                                                                 for w in layer.get_weights()]),
                    np.concatenate([w.ravel() for w in weights]), hint="keep the pretrained weights")
        check_close(f"the old model's output after {what}", model(x), y_old, hint="do not modify the old model")


def _fine_tune(S, rng):
    load_pretrained, few_shot_split = _setup(S, "load_pretrained"), _setup(S, "few_shot_split")
    gains = []
    for seed in (int(s) for s in rng.integers(100, 10 ** 6, size=SPLITS)):
        xf, yf, xt, yt = few_shot_split(per_class=5, seed=seed)
        dnp.set_seed(seed)
        start = time.perf_counter()
        tuned = S.fine_tune(load_pretrained(), xf.copy(), yf.copy())
        seconds = time.perf_counter() - start
        check_true(isinstance(tuned, dnp.Sequential), f"fine_tune: expected a dnp.Sequential, got {describe(tuned)}")
        check_true(seconds < SLOW, f"fine_tune time: expected well under 3 s, got {seconds:.1f} s (fewer epochs?)")
        probs = tuned.predict(xt)
        check_shape("fine_tune(...).predict(x_test)", probs, (len(xt), 5), hint="a new head with 5 units")
        acc = float(np.mean(np.argmax(probs, axis=-1) == yt))
        check_true(acc > 0.4, f"fine_tune test accuracy on a new few-shot split: expected > 0.4, got {acc:.3f}")
        dnp.set_seed(seed)
        scratch = dnp.Sequential([dnp.layers.Dense(128, activation="relu"), dnp.layers.Dense(64, activation="relu"),
                                  dnp.layers.Dense(5, activation="softmax")])
        scratch.compile(optimizer=dnp.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy")
        scratch.fit(xf, yf, epochs=100, batch_size=16, verbose=0)
        gains.append(acc - float(np.mean(np.argmax(scratch.predict(xt), axis=-1) == yt)))
    check_true(np.mean(gains) >= MIN_GAIN,
               f"fine_tune gain over training from scratch (mean of {SPLITS} few-shot splits): expected >= {MIN_GAIN}, "
               f"got {np.mean(gains):.3f} (gains {np.round(gains, 3).tolist()}). Hint: freeze the body, train the "
               "head, then fine-tune everything with a small learning rate")


TASKS = [Task("freeze", ["freeze"], _freeze),
         Task("replace_head", ["replace_head"], _replace_head),
         Task("fine_tune", ["fine_tune"], _fine_tune, uses={"replace_head": _replace_head_ref, "freeze": _freeze_ref})]
