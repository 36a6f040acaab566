"""Timing helper shared by the benchmark scripts."""
import time

import numpy as np


def time_ms(fn, repeats=30, warmup=3):
    """(median, best) wall time of ``fn()`` in milliseconds over ``repeats`` runs after ``warmup``."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * float(np.median(times)), 1e3 * float(np.min(times))


def time_interleaved(fns, repeats=30, warmup=3):
    """``{name: (median, best)}`` wall times in milliseconds of the functions in the dict ``fns``, timed in
    turn (one run of each per round), so that all of them see the same machine load."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t0)
    return {name: (1e3 * float(np.median(t)), 1e3 * float(np.min(t))) for name, t in times.items()}
