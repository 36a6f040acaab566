"""dlkit.shared: the framework-free helpers dlkit.np and dlkit.tf share, each defined once."""
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

from dlkit import shared

DLKIT = pathlib.Path(shared.__file__).parent


def _definitions(name):
    pattern = re.compile(rf"^\s*def {name}\(", re.M)
    return sorted(str(p.relative_to(DLKIT)) for p in DLKIT.rglob("*.py") if pattern.search(p.read_text()))


@pytest.mark.parametrize("name", ["_pair", "normalize_tuple", "same_pads", "conv_pads", "conv_output_size",
                                  "check_image_shape", "normalize_padding"])
def test_defined_once(name):
    assert _definitions(name) == ["shared.py"]


def test_sinusoidal_encoding_defined_once():
    defs = _definitions("sinusoidal_encoding")
    assert defs == ["shared.py"], defs


def test_np_functional_reexports_the_shared_objects():
    from dlkit.np.functional import conv
    assert conv._pair is shared._pair and conv.conv_pads is shared.conv_pads
    assert conv.same_pads is shared.same_pads and conv.conv_output_size is shared.conv_output_size


def test_shared_imports_no_framework():
    code = "import sys, dlkit.shared; print(any(m.split('.')[0] in ('tensorflow', 'keras') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_normalize_tuple_and_padding():
    assert shared.normalize_tuple(3, "k") == (3, 3)
    assert shared.normalize_tuple((3, 2), "k") == (3, 2)
    assert shared.normalize_tuple(np.int64(2), "k", 3) == (2, 2, 2)
    for bad in (0, (1, 0), (1, 2, 3), "ab", None, True):
        with pytest.raises(ValueError, match="Conv2D kernel_size must be a positive int or a pair"):
            shared.normalize_tuple(bad, "Conv2D kernel_size")
    assert shared.normalize_padding("SAME") == "same"
    with pytest.raises(ValueError, match="padding must be 'valid' or 'same', got 'full'"):
        shared.normalize_padding("full")


@pytest.mark.parametrize("H,k,s,pad,pads,out", [(5, 3, 1, "same", (1, 1), 5), (6, 3, 2, "same", (0, 1), 3),
                                                (7, 3, 2, "valid", (0, 0), 3), (4, 5, 3, "same", (2, 2), 2)])
def test_conv_pads(H, k, s, pad, pads, out):
    assert shared.conv_pads(H, H, k, k, s, s, pad) == ((pads, pads), (out, out))
    assert shared.conv_output_size(None, k, s, pad) is None


def test_conv_pads_kernel_too_large():
    with pytest.raises(ValueError, match="larger than the 4x4 input with padding='valid'"):
        shared.conv_pads(4, 4, 5, 5, 1, 1, "valid")


def test_check_image_shape_messages():
    shared.check_image_shape("L", (None, 8, 8, 3), 3, (3, 3))
    shared.check_image_shape("L", None)
    with pytest.raises(ValueError, match=r"L: expected input of shape .*missing channel axis"):
        shared.check_image_shape("L", (2, 8, 8))
    with pytest.raises(ValueError, match="NCHW"):
        shared.check_image_shape("L", (2, 3, 8, 8), 3)
    with pytest.raises(ValueError, match="window 5x5 is larger than the 4x4 input"):
        shared.check_image_shape("L", (2, 4, 4, 1), None, (5, 5), "valid")
    shared.check_image_shape("L", (2, 4, 4, 1), None, (5, 5), "same")


def test_sinusoidal_encoding_formula():
    pe = shared.sinusoidal_encoding(7, 6, dtype="float64")
    t, i = 5, 2                                  # features 2i and 2i+1 share the frequency 1/10000^(2i/d)
    assert pe.shape == (7, 6) and pe.dtype == np.float64
    assert pe[t, 2 * i] == pytest.approx(np.sin(t / 10000 ** (2 * i / 6)), abs=1e-15)
    assert pe[t, 2 * i + 1] == pytest.approx(np.cos(t / 10000 ** (2 * i / 6)), abs=1e-15)
    assert shared.sinusoidal_encoding(3, 5).dtype == np.float32
    assert shared.EPSILON == 1e-7
