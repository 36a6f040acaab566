"""dlkit.exercises: messages that teach, one bug one task, and the no-delegation policy."""
import numpy as np
import pytest

from dlkit.exercises import DelegationError, check_close, check_dtype, check_grad, check_shape, no_delegation, using


def message(fn, *args, **kwargs):
    with pytest.raises(AssertionError) as info:
        fn(*args, **kwargs)
    return str(info.value)


def test_messages_lead_with_expected_and_got_within_80_characters():
    msg = message(check_close, "softmax row 0", np.array([0.2, 0.8]), np.array([0.3, 0.7]), hint="rows sum to 1")
    head = msg[:80]
    assert "expected 0.3" in head and "got 0.2" in head, msg
    assert "largest |difference| 0.1" in msg and "tolerance 1e-07 + 1e-05*|expected|" in msg


def test_a_long_name_never_pushes_expected_and_got_past_80_characters():
    name = "softmax_cross_entropy loss (n=8, C=3, logit scale 300.0, labels drawn at random)"
    msg = message(check_close, name, 0.5, 0.75)
    assert msg.startswith("expected 0.75, got 0.5 in softmax_cross_entropy"), msg


def test_two_identical_looking_numbers_never_appear_without_the_difference():
    msg = message(check_close, "pe", np.float32(0.84147096), np.float64(0.8414709848078965), rtol=1e-12, atol=0)
    assert "largest |difference|" in msg and "expected 0.84147098" in msg and "got 0.84147096" in msg


def test_plain_ints_and_shapes_under_numpy_2():
    msg = message(check_close, "count", np.int64(3), 4)
    assert msg.startswith("count: expected 4, got 3") and "np.int64" not in msg
    msg = message(check_shape, "y", np.zeros((2, 3)), (np.int64(3), np.int64(2)))
    assert msg.startswith("y: expected shape (3, 2), got shape (2, 3)")
    assert message(check_dtype, "pe", np.zeros(2, np.float32), "float64").startswith(
        "pe: expected dtype float64, got dtype float32")
    assert "None" in message(check_close, "f", None, 1.0)
    assert "finite" in message(check_close, "f", np.array([1.0, np.nan]), np.array([1.0, 2.0]))


def test_check_grad_and_passing_checks():
    check_close("ok", [1.0, 2.0], [1.0, 2.0 + 1e-9])
    check_grad("g", np.array([1.0, 2.0]), np.array([1.0, 2.0]))
    assert "relative error" in message(check_grad, "g", np.array([1.0, 2.0]), np.array([1.0, 2.5]))


def test_using_swaps_in_references_and_restores_and_notes_wrong_earlier_tasks(capsys):
    ns = {"forward": lambda x: 2 * x, "train": None}
    ns["train"] = lambda x: ns["forward"](x) + 1  # a later task calling the earlier one by name
    with using(ns, probe={"forward": (np.arange(3.0),)}, forward=lambda x: 3 * x):
        assert ns["train"](1.0) == 4.0  # graded with the correct forward
    assert "your `forward` (an earlier task) gives wrong results" in capsys.readouterr().out
    assert ns["train"](1.0) == 3.0  # the student's own function is back
    with using(ns, probe={"forward": (np.arange(3.0),)}, forward=lambda x: 2 * x):
        pass
    assert capsys.readouterr().out == ""  # a correct earlier task: no note


def test_no_delegation_catches_module_and_imported_names():
    import dlkit.np.functional as F

    original = F.causal_mask
    ns = {"mask": F.causal_mask}  # `from dlkit.np.functional import causal_mask as mask` in the notebook

    def student_a(t):
        return F.causal_mask(t)

    def student_b(t):
        return ns["mask"](t)

    def honest(t):
        return np.triu(np.ones((t, t)), 1)

    with no_delegation(ns, "dlkit.np.functional.causal_mask"):
        for fn in (student_a, student_b):
            with pytest.raises(DelegationError, match="expected your own code"):
                fn(3)
        honest(3)
    assert ns["mask"] is original and F.causal_mask is original  # restored
    import dlkit.np.functional.attention as A
    assert getattr(A, "causal_mask", original) is original


def test_no_delegation_reaches_layers_that_store_the_function_as_a_class_attribute():
    import dlkit.np as dnp

    x = np.random.default_rng(0).normal(size=(1, 4, 4, 2))
    with no_delegation({}, "dlkit.np.functional.maxpool2d_forward"):
        with pytest.raises(DelegationError):
            dnp.layers.MaxPooling2D(2)(x)
    assert dnp.layers.MaxPooling2D(2)(x).shape == (1, 2, 2, 2)  # restored
