"""Framework-free pieces shared by dlkit.np and dlkit.tf (only NumPy is imported here).

- ``EPSILON``: the clipping constant of the probability losses (Keras' ``backend.epsilon()``, 1e-7);
- window arithmetic of convolutions and pooling, TensorFlow conventions: :func:`normalize_tuple`
  (alias ``_pair``), :func:`normalize_padding`, :func:`same_pads`, :func:`conv_output_size`,
  :func:`conv_pads`, and :func:`check_image_shape` (the clear errors of Conv2D and the pooling layers);
- :func:`sinusoidal_encoding`, the fixed positional encoding of Vaswani et al. (2017).

Each is defined once, here; dlkit.np and dlkit.tf import them.
"""
import numpy as np

__all__ = ["EPSILON", "normalize_tuple", "normalize_padding", "same_pads", "conv_output_size", "conv_pads",
           "check_image_shape", "sinusoidal_encoding"]

EPSILON = 1e-7


def normalize_tuple(v, what="value", n=2):
    """``3 -> (3, 3)``; ``(3, 2) -> (3, 2)``: a positive int or ``n`` of them, as a tuple of ints.

    ``what`` names the argument in the error (e.g. ``"Conv2D kernel_size"``).
    """
    if isinstance(v, bool):
        raise ValueError(f"{what} must be a positive int or {_count(n)} of them, got {v!r}")
    if isinstance(v, (int, np.integer)):
        v = (int(v),) * n
    try:
        v = tuple(int(a) for a in v)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a positive int or {_count(n)} of them, got {v!r}") from None
    if len(v) != n or min(v) < 1:
        raise ValueError(f"{what} must be a positive int or {_count(n)} of them, got {v!r}")
    return v


def _count(n):
    return "a pair" if n == 2 else f"a tuple of {n}"


def _pair(v, what="value"):
    """``3 -> (3, 3)``; ``(3, 2) -> (3, 2)`` (:func:`normalize_tuple` with two entries)."""
    return normalize_tuple(v, what, 2)


def normalize_padding(padding, what="padding"):
    """``"same"``/``"valid"`` (any case) -> lower case; anything else is a clear ValueError."""
    p = str(padding).lower()
    if p not in ("valid", "same"):
        raise ValueError(f"{what} must be 'valid' or 'same', got {padding!r}")
    return p


def same_pads(size, k, stride):
    """TF "same" padding along one axis: (before, after) with output size ceil(size / stride).

    total = max((out - 1) * stride + k - size, 0); before = total // 2, after = total - before
    (when the total is odd, the extra row/column goes at the end, as TensorFlow does).
    """
    out = -(-size // stride)
    total = max((out - 1) * stride + k - size, 0)
    return total // 2, total - total // 2


def conv_output_size(size, k, stride, padding):
    """Output length along one axis: ceil(size / stride) for "same", floor((size - k) / stride) + 1
    for "valid" (0 or less means the kernel does not fit). ``size`` None (unknown) gives None."""
    if size is None:
        return None
    if padding == "same":
        return -(-size // stride)
    return (size - k) // stride + 1


def conv_pads(H, W, kh, kw, sh, sw, padding):
    """``((top, bottom), (left, right)), (Ho, Wo)`` for an H x W input and a kh x kw window."""
    padding = normalize_padding(padding)
    if padding == "same":
        pads = (same_pads(H, kh, sh), same_pads(W, kw, sw))
    else:
        if kh > H or kw > W:
            raise ValueError(f"kernel {kh}x{kw} is larger than the {H}x{W} input with padding='valid'; "
                             f"expected an input of at least (batch, {kh}, {kw}, channels) or "
                             f"padding='same'")
        pads = ((0, 0), (0, 0))
    return pads, (conv_output_size(H, kh, sh, padding), conv_output_size(W, kw, sw, padding))


def check_image_shape(what, shape, channels=None, window=None, padding="valid"):
    """Raise a clear ValueError unless ``shape`` is (batch, height, width, channels) with the expected
    channels and, for ``padding="valid"``, room for the ``window`` (kh, kw).

    ``what`` names the layer (e.g. ``"Conv2D 'conv2d'"``); ``shape`` is a tuple whose entries may be None
    (unknown), or None for an unknown rank.
    """
    if shape is None:
        return
    shape = tuple(shape)
    c = "channels" if channels is None else channels
    if len(shape) != 4:
        hint = " (missing channel axis? use x[..., None] for one channel)" if len(shape) == 3 else ""
        raise ValueError(f"{what}: expected input of shape (batch, height, width, {c}), got {shape}{hint}")
    if channels is not None and shape[-1] is not None and shape[-1] != channels:
        hint = (" (channels-first/NCHW? dlkit uses channels-last: x.transpose(0, 2, 3, 1))"
                if shape[1] == channels else "")
        raise ValueError(f"{what}: expected input of shape (batch, height, width, {channels}), got "
                         f"{shape}{hint}")
    if window is not None and padding == "valid":
        for size, k in zip(shape[1:3], window):
            if size is not None and k > size:
                raise ValueError(f"{what}: window {window[0]}x{window[1]} is larger than the "
                                 f"{shape[1]}x{shape[2]} input with padding='valid'; expected an "
                                 f"input of at least (batch, {window[0]}, {window[1]}, {c})")


def sinusoidal_encoding(length, depth, max_wavelength=10000, dtype="float32"):
    """``(length, depth)`` array: sin on even feature indices, cos on odd ones (interleaved).

    ``PE[t, 2i] = sin(t / max_wavelength^(2i/depth))``, ``PE[t, 2i+1] = cos(t / max_wavelength^(2i/depth))``.
    """
    pos = np.arange(length)[:, None]
    i = np.arange(depth)[None, :]
    angles = pos / np.power(float(max_wavelength), (2 * (i // 2)) / depth)
    return np.where(i % 2 == 0, np.sin(angles), np.cos(angles)).astype(dtype)
