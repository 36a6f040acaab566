"""The fast convolution (functional/conv_fast.py: workspace buffers, batch split over threads, blocks of
images, transposed-convolution dx) equals the readable references of functional/conv.py in float64."""
import numpy as np
import pytest

from dlkit.np import blas
from dlkit.np.functional import conv as C
from dlkit.np.functional import conv_fast

TOL = 1e-12
# (N, H, W, Cin, F, kh, kw, strides, padding): strides 1/2/(2, 3), both paddings, odd sizes, even kernels
CONFIGS = [
    (3, 7, 6, 3, 4, 3, 3, 1, "same"), (3, 7, 6, 3, 4, 3, 2, 2, "same"), (2, 8, 9, 2, 3, 2, 4, (2, 3), "valid"),
    (3, 5, 5, 2, 2, 4, 4, 1, "same"), (2, 6, 7, 3, 2, 3, 3, 1, "valid"), (1, 5, 7, 1, 5, 5, 1, 1, "same"),
    (4, 9, 8, 2, 3, 3, 3, (1, 2), "same"), (2, 4, 4, 3, 2, 4, 4, 1, "valid"),
]


def _data(cfg, seed=0):
    N, H, W, c, f, kh, kw, s, pad = cfg
    rng = np.random.default_rng(seed)
    return rng.standard_normal((N, H, W, c)), rng.standard_normal((kh, kw, c, f)), rng.standard_normal(f), s, pad


@pytest.fixture(params=["serial", "threads"])
def mode(request, monkeypatch):
    """Run the fast path single-threaded, and split over 2 threads in blocks of one image."""
    if request.param == "threads":
        monkeypatch.setattr(blas, "LARGE_MACS", 0)
        monkeypatch.setattr(blas, "LARGE_OP_THREADS", 2)
        monkeypatch.setattr(conv_fast, "_CACHE_BYTES", 1)
    else:
        monkeypatch.setattr(blas, "LARGE_MACS", 1 << 60)
    return request.param


@pytest.mark.parametrize("cfg", CONFIGS)
def test_fast_forward_equals_naive(cfg, mode):
    x, w, b, s, pad = _data(cfg)
    out, _ = C.conv2d_forward(x, w, b, s, pad, workspace={})
    np.testing.assert_allclose(out, C.conv2d_naive(x, w, b, s, pad), rtol=0, atol=TOL)
    out_nb, _ = C.conv2d_forward(x, w, None, s, pad)
    np.testing.assert_allclose(out_nb, C.conv2d_naive(x, w, None, s, pad), rtol=0, atol=TOL)


@pytest.mark.parametrize("cfg", CONFIGS)
def test_fast_backward_equals_im2col_reference(cfg, mode):
    x, w, b, s, pad = _data(cfg, seed=1)
    ref_out, ref_cache = C.conv2d_im2col_forward(x, w, b, s, pad)
    np.testing.assert_allclose(ref_out, C.conv2d_naive(x, w, b, s, pad), rtol=0, atol=TOL)
    out, cache = C.conv2d_forward(x, w, b, s, pad, workspace={})
    dout = np.random.default_rng(2).standard_normal(out.shape)
    dx, dw, db = C.conv2d_backward(dout, cache)
    rdx, rdw, rdb = C.conv2d_im2col_backward(dout, ref_cache)
    for got, want in ((dx, rdx), (dw, rdw), (db, rdb)):
        assert got.shape == want.shape
        np.testing.assert_allclose(got, want, rtol=0, atol=TOL)
    dx2, dw2, db2 = C.conv2d_backward(dout, cache, need_dx=False)
    assert dx2 is None
    np.testing.assert_allclose(dw2, rdw, rtol=0, atol=TOL)


def test_im2col_reference_gradient_matches_central_differences():
    x, w, b, s, pad = _data((2, 5, 4, 2, 3, 3, 2, (2, 1), "same"), seed=3)
    out, cache = C.conv2d_im2col_forward(x, w, b, s, pad)
    dout = np.random.default_rng(4).standard_normal(out.shape)
    dx, dw, db = C.conv2d_im2col_backward(dout, cache)
    for arr, grad in ((x, dx), (w, dw), (b, db)):
        num = np.zeros_like(arr)
        for idx in np.ndindex(arr.shape):
            old = arr[idx]
            arr[idx] = old + 1e-5
            lp = np.sum(C.conv2d_naive(x, w, b, s, pad) * dout)
            arr[idx] = old - 1e-5
            lm = np.sum(C.conv2d_naive(x, w, b, s, pad) * dout)
            arr[idx] = old
            num[idx] = (lp - lm) / 2e-5
        np.testing.assert_allclose(grad, num, rtol=1e-7, atol=1e-8)


def test_workspace_reuse_and_stale_cache(mode):
    """A workspace serves calls of several batch sizes; a cache stays valid after a later forward call."""
    ws = {}
    _, w, b, s, pad = _data(CONFIGS[0])
    rng = np.random.default_rng(5)
    x1 = rng.standard_normal((3, 7, 6, 3))
    out1, cache1 = C.conv2d_forward(x1, w, b, s, pad, workspace=ws)
    for n in (5, 1, 3):
        x = rng.standard_normal((n, 7, 6, 3))
        out, cache = C.conv2d_forward(x, w, b, s, pad, workspace=ws)
        np.testing.assert_allclose(out, C.conv2d_naive(x, w, b, s, pad), rtol=0, atol=TOL)
    dout = rng.standard_normal(out1.shape)
    got = C.conv2d_backward(dout, cache1)
    want = C.conv2d_im2col_backward(dout, C.conv2d_im2col_forward(x1, w, b, s, pad)[1])
    for g, r in zip(got, want):
        np.testing.assert_allclose(g, r, rtol=0, atol=TOL)


def test_float32_path_close_to_float64_reference(mode):
    x, w, b, s, pad = _data((4, 9, 9, 5, 6, 3, 3, 1, "same"), seed=6)
    out, cache = C.conv2d_forward(x.astype("float32"), w.astype("float32"), b.astype("float32"), s, pad)
    dout = np.random.default_rng(7).standard_normal(out.shape)
    dx, dw, db = C.conv2d_backward(dout.astype("float32"), cache)
    assert out.dtype == dx.dtype == dw.dtype == db.dtype == np.float32
    rout, rcache = C.conv2d_im2col_forward(x, w, b, s, pad)
    for got, want in zip((out, dx, dw, db), (rout, *C.conv2d_im2col_backward(dout, rcache))):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * np.abs(want).max())


def test_mixed_dtypes_promote_like_numpy(mode):
    x, w, b, s, pad = _data(CONFIGS[0], seed=8)
    out, _ = C.conv2d_forward(x.astype("float32"), w, b, s, pad)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, C.conv2d_naive(x.astype("float32"), w, b, s, pad), rtol=0, atol=TOL)


def test_channel_mismatch_is_a_clear_error():
    with pytest.raises(ValueError, match="3 channels but the kernel"):
        C.conv2d_forward(np.zeros((1, 5, 5, 3)), np.zeros((3, 3, 2, 4)))


def test_blas_settings():
    assert blas.threads_for(blas.LARGE_MACS - 1) == 1
    assert blas.threads_for(blas.LARGE_MACS) == blas.LARGE_OP_THREADS
    with pytest.raises(ValueError, match="set_blas_threads: n must be a positive int"):
        blas.set_blas_threads(0)
    with pytest.raises(ValueError, match="set_large_op_threads: n must be a positive int"):
        blas.set_large_op_threads(0)
    old = blas.BLAS_THREADS
    try:
        blas.set_blas_threads(None)
        assert blas.BLAS_THREADS is None
        blas.set_blas_threads(1)
        with blas.blas_limit():
            with blas.blas_threads(1):
                pass
    finally:
        blas.BLAS_THREADS = old
