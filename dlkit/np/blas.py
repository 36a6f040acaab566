"""BLAS threads: the one place where dlkit.np decides how many threads its matrix products use.

NumPy's OpenBLAS busy-waits with one thread per core; when the cores are shared (pytest-xdist, several
notebooks, TensorFlow in the same process) a small (128 x 256) @ (256 x 256) product can take 10-50x
longer than single-threaded. The matrices of textbook models are small, so fit/evaluate/predict run
with ``BLAS_THREADS`` threads (None: leave the BLAS library alone). Change it with set_blas_threads(n).

Large operations (a convolution of a CNN batch: millions of multiply-adds) are worth two cores even
then; :func:`threads_for` says how many threads an operation of a given size may use (1 below
``LARGE_MACS``, else ``LARGE_OP_THREADS``, set with :func:`set_large_op_threads`), and
:func:`blas_threads` sets the BLAS library's thread count for a block (cheap: no re-query of the
libraries). ``dlkit.np.functional.conv_fast`` splits a large convolution over that many Python threads,
each running single-threaded BLAS, so no BLAS thread ever spins waiting for a sibling.
"""
import contextlib
import os

__all__ = ["BLAS_THREADS", "LARGE_OP_THREADS", "LARGE_MACS", "blas_limit", "set_blas_threads",
           "set_large_op_threads", "threads_for", "blas_threads"]

BLAS_THREADS = 1
LARGE_MACS = 1 << 22  # multiply-adds below which a second thread costs more than it saves
LARGE_OP_THREADS = max(1, min(2, os.cpu_count() or 1))
_controller = None
_libs = None


def _get_controller():
    global _controller
    if _controller is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
            return None
        _controller = ThreadpoolController()
    return _controller


def blas_limit():
    """Context manager limiting BLAS threads to BLAS_THREADS (a no-op without threadpoolctl)."""
    if BLAS_THREADS is None:
        return contextlib.nullcontext()
    controller = _get_controller()
    if controller is None:  # pragma: no cover
        return contextlib.nullcontext()
    return controller.limit(limits=BLAS_THREADS, user_api="blas")


def set_blas_threads(n):
    """Number of BLAS threads used inside ``Sequential.fit/evaluate/predict`` (``None``: no limit)."""
    global BLAS_THREADS
    if n is not None and int(n) < 1:
        raise ValueError(f"set_blas_threads: n must be a positive int or None, got {n!r}")
    BLAS_THREADS = None if n is None else int(n)


def set_large_op_threads(n):
    """Threads a large operation (>= ``LARGE_MACS`` multiply-adds, e.g. a CNN convolution) may use,
    also inside fit (default: min(2, cores)). ``1`` makes every dlkit.np operation single-threaded."""
    global LARGE_OP_THREADS
    if n is None or isinstance(n, bool) or int(n) < 1:
        raise ValueError(f"set_large_op_threads: n must be a positive int, got {n!r}")
    LARGE_OP_THREADS = int(n)


def threads_for(macs):
    """How many threads an operation of ``macs`` multiply-adds should use: 1 below ``LARGE_MACS``
    (synchronising threads costs more than the work), else ``LARGE_OP_THREADS``."""
    return 1 if macs < LARGE_MACS else LARGE_OP_THREADS


def _blas_libs():
    global _libs
    if _libs is None:
        controller = _get_controller()
        try:
            _libs = [] if controller is None else list(controller.select(user_api="blas").lib_controllers)
        except Exception:  # pragma: no cover - threadpoolctl unusable: keep the BLAS defaults
            _libs = []
    return _libs


@contextlib.contextmanager
def blas_threads(n):
    """Run the block with the BLAS library on ``n`` threads, then restore the previous count."""
    libs = _blas_libs()
    before = [lib.get_num_threads() for lib in libs]
    for lib, b in zip(libs, before):
        if b != n:
            lib.set_num_threads(n)
    try:
        yield
    finally:
        for lib, b in zip(libs, before):
            if b != n:
                lib.set_num_threads(b)
