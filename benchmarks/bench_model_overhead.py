"""Benchmark: the overhead of the functional ``dnp.Model`` (a layer graph) over ``dnp.Sequential``.

The same MLP 784-256(relu)-128(relu)-10, sparse categorical crossentropy from logits, Adam, is built both
ways with the same weights and trained with ``fit`` (batch 128, verbose=0) on 40 batches of synthetic
float32 data; the two fits are timed alternately in one run (same machine load). Prints a table of the
median time per train step and the ratio Model / Sequential (1.00 = no overhead from the graph).

    python benchmarks/bench_model_overhead.py [--repeats 15] [--batches 40]

Functional API used (Keras style): ``inp = dnp.Input((784,)); h = Dense(256, activation="relu")(inp); ...;
model = dnp.Model(inp, out)``.
"""
import argparse
import os

import numpy as np
from _timing import time_interleaved

import dlkit.np as dnp
from dlkit.np.layers import Dense

BATCH, SIZES = 128, (784, 256, 128, 10)


def build(kind):
    if kind == "Sequential":
        model = dnp.Sequential([Dense(SIZES[1], activation="relu"), Dense(SIZES[2], activation="relu"),
                                Dense(SIZES[3])])
        model.build((None, SIZES[0]))
    else:
        inp = dnp.Input((SIZES[0],))
        h = Dense(SIZES[1], activation="relu")(inp)
        h = Dense(SIZES[2], activation="relu")(h)
        model = dnp.Model(inp, Dense(SIZES[3])(h))
    model.compile(optimizer="adam", loss=dnp.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def main(repeats=15, batches=40):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH * batches, SIZES[0])).astype("float32")
    y = rng.integers(0, SIZES[-1], len(x))
    models = {kind: build(kind) for kind in ("Sequential", "Model")}
    models["Model"].set_weights(models["Sequential"].get_weights())
    for m in models.values():  # the same numbers first
        m.fit(x[:BATCH], y[:BATCH], batch_size=BATCH, epochs=1, verbose=0, shuffle=False)
    np.testing.assert_allclose(models["Model"].predict(x[:BATCH], verbose=0),
                               models["Sequential"].predict(x[:BATCH], verbose=0), rtol=1e-5, atol=1e-5)

    fns = {kind: (lambda m=m: m.fit(x, y, batch_size=BATCH, epochs=1, verbose=0, shuffle=False))
           for kind, m in models.items()}
    res = time_interleaved(fns, repeats, warmup=1)
    ref = res["Sequential"][0]
    print(f"MLP {'-'.join(map(str, SIZES))}, fit with batch {BATCH} on {batches} batches, float32, Adam; "
          f"median of {repeats} alternating runs; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    print("| model | ms per train step | best | ratio to Sequential |\n|---|---:|---:|---:|")
    for kind, (med, best) in res.items():
        print(f"| dnp.{kind} | {med / batches:.3f} | {best / batches:.3f} | {med / ref:.2f} |")
    return res


if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=15)
    p.add_argument("--batches", type=int, default=40)
    a = p.parse_args()
    main(a.repeats, a.batches)
