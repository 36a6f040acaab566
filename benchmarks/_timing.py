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
