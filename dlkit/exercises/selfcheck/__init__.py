"""Self-check for the exercises without nbgrader (e.g. in Google Colab): the last cell of each notebook runs

    from dlkit.exercises.selfcheck import check
    check("ch07_cnn", globals())

which compares the student's functions (looked up by name in ``globals()``) with dlkit's reference
implementations and finite differences on seeded random inputs, and prints one line per task::

    Task 1 conv_forward: pass
    Task 2 maxpool: FAIL — maxpool_forward on x (2, 5, 7, 3) ...: expected 1.2, got 0.7; largest |difference| ...
    Task 3 conv_backward: not attempted

It returns ``{task: True | False | None}`` (None: not attempted). It never raises (except on Ctrl-C), never
shows the graded tests (its inputs differ from theirs), imports only NumPy and dlkit (never TensorFlow),
and applies the exercises' policy: a task that asks you to write a function dlkit has fails if yours
calls dlkit's version. Passing the self-check is a good sign, not a grade.
"""
import importlib

__all__ = ["check", "ASSIGNMENTS"]

ASSIGNMENTS = ("ch01_perceptron", "ch02_mlp", "ch03_loss_gd", "ch04_backprop", "ch05_optimizers",
               "ch06_regularization", "ch07_cnn", "ch08_rnn", "ch09_lstm_gru", "ch10_attention", "ch11_transfer",
               "ch12_modern_cnn", "ch13_detection", "ch14_tokens_embeddings", "ch15_seq2seq",
               "ch16_text_pretraining", "ch17_autoencoders", "ch18_vae_gan", "ch19_diffusion",
               "ch20_rl")


def tasks(assignment):
    """The list of :class:`~dlkit.exercises.selfcheck._core.Task` of an assignment."""
    return importlib.import_module(f"{__name__}.{assignment}").TASKS


def check(assignment, namespace, only=None, seed=2024, verbose=True):
    """Check the functions of ``assignment`` found in ``namespace`` (pass the notebook's ``globals()``).

    ``only``: a grade_id or a list of them to check just these tasks. Prints one line per task (unless
    ``verbose=False``) and returns ``{grade_id: True (pass) | False (fail) | None (not attempted)}``."""
    results = {}
    try:
        from ._core import run_task

        if assignment not in ASSIGNMENTS:
            raise ValueError(f"unknown assignment {assignment!r}; expected one of {', '.join(ASSIGNMENTS)}")
        if not isinstance(namespace, dict):
            raise TypeError(f"expected the notebook's globals() (a dict), got {type(namespace).__name__}")
        selected = [only] if isinstance(only, str) else only
        for number, task in enumerate(tasks(assignment), start=1):
            if selected is not None and task.grade_id not in selected:
                continue
            status, text = run_task(task, namespace, seed + number)
            results[task.grade_id] = status
            if verbose:
                print(f"Task {number} {task.grade_id}: {text}", flush=True)
        if verbose and results:
            passed = sum(v is True for v in results.values())
            print(f"Self-check {assignment}: {passed} of {len(results)} tasks pass "
                  "(on other random inputs than the graded hidden tests).", flush=True)
    except KeyboardInterrupt:
        raise
    except BaseException as err:  # noqa: B036 - the self-check never raises
        if verbose:
            print(f"Self-check {assignment}: could not run ({type(err).__name__}: {err})", flush=True)
    return results
