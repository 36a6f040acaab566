"""Self-check of Exercise 6 (regularization): references from dlkit.np.layers.Dropout, the L2 rule with
finite differences, and dlkit.np.callbacks.EarlyStopping."""
import numpy as np

from dlkit.exercises.checks import check_close, check_grad, check_true, describe
from dlkit.gradcheck import eval_numerical_gradient
from dlkit.np.callbacks import EarlyStopping
from dlkit.np.layers import Dropout

from ._core import Task, parts

DROPOUT_POLICY = ("dlkit.np.layers.Dropout",)
L2_POLICY = ("dlkit.np.regularizers.L2", "dlkit.np.regularizers.L1L2", "dlkit.np.regularizers.get",
             "dlkit.np.optimizers.SGD", "dlkit.np.optimizers.get")
EARLY_POLICY = ("dlkit.np.callbacks.EarlyStopping",)


def _dropout(S, rng):
    for seed, rate, shape in [(4, 0.4, (6, 5)), (5, 0.2, (2, 3, 4)), (6, 0.8, (40,))]:
        x, dout = rng.normal(size=shape), rng.normal(size=shape)
        layer = Dropout(rate, seed=seed, dtype="float64")
        ref_out = layer(x, training=True)
        ref_dx = layer.backward(dout)
        what = f"(rate={rate}, x of shape {shape})"
        out, mask = parts(f"dropout_forward {what}", S.dropout_forward(x, rate, True, np.random.default_rng(seed)), 2,
                          "(out, mask)")
        check_close(f"dropout_forward in training {what}", out, ref_out,
                    hint="keep = rng.random(x.shape) >= rate, drawn once; out = x * keep / (1 - rate)")
        check_close(f"dropout_backward {what}", S.dropout_backward(dout, mask), ref_dx, hint="dout * mask")
    x = rng.normal(size=(3, 4))
    out, mask = parts("dropout_forward at inference", S.dropout_forward(x, 0.5, False, rng), 2, "(out, mask)")
    check_close("dropout_forward at inference (training=False)", out, x, hint="the identity at inference")
    check_true(mask is None, f"dropout_forward mask at inference: expected None, got {describe(mask)}")
    check_close("dropout_backward with mask None", S.dropout_backward(np.arange(4.0), None), np.arange(4.0),
                hint="mask None: the gradient passes unchanged")


def _l2(S, rng):
    ws = [rng.normal(size=(3, 4)), rng.normal(size=5), rng.normal(size=(2, 1, 3))]
    lam = float(rng.uniform(1e-3, 1e-1))
    pen, grads = parts("l2_penalty", S.l2_penalty([w.copy() for w in ws], lam), 2, "(penalty, grads)")
    check_close(f"l2_penalty of 3 random arrays, lam={lam:.3g}", pen, lam * sum(np.sum(w ** 2) for w in ws),
                hint="lam * the sum of the squares of ALL the arrays")
    check_true(isinstance(grads, (list, tuple)) and len(grads) == len(ws),
               f"l2_penalty gradients: expected a list of {len(ws)} arrays, got {describe(grads)}")
    for i, w in enumerate(ws):
        check_grad(f"l2_penalty gradient {i} (shape {w.shape}) vs finite differences", grads[i],
                   eval_numerical_gradient(lambda v: lam * np.sum(v ** 2), w.copy()), hint="2 * lam * w")
    for _ in range(3):
        w, g, lr = rng.normal(size=4), rng.normal(size=4), float(rng.uniform(0.01, 0.5))
        check_close(f"sgd_step_l2 (lr={lr:.3g}, lam={lam:.3g})", S.sgd_step_l2(w.copy(), g.copy(), lr, lam),
                    w - lr * (g + 2 * lam * w), hint="w - lr * (g + 2 * lam * w)")


class _FakeModel:
    stop_training = False


def _early_ref(vals, patience, min_delta):
    model = _FakeModel()
    cb = EarlyStopping(monitor="val_loss", patience=patience, min_delta=min_delta)
    cb.set_model(model)
    cb.on_train_begin()
    best, best_epoch = np.inf, 0
    for e, v in enumerate(vals):
        cb.on_epoch_end(e, {"val_loss": float(v)})
        if v < best - min_delta:
            best, best_epoch = v, e
        if model.stop_training:
            return e + 1, best_epoch
    return len(vals), best_epoch


def _early(S, rng):
    for _ in range(20):
        n = int(rng.integers(1, 30))
        vals = np.round(1 / (1 + np.arange(n)) + 0.04 * np.arange(n) / n + rng.normal(scale=0.05, size=n), 3)
        patience = int(rng.integers(0, 5))
        delta = float(rng.choice([0.0, 0.02, 0.05]))
        got = S.early_stopping(list(vals), patience, delta)
        check_close(f"early_stopping({vals[:5].tolist()}..., patience={patience}, min_delta={delta})", got,
                    _early_ref(vals, patience, delta),
                    hint="wait += 1 every epoch; reset on improvement (loss < best - min_delta); "
                         "stop when wait >= patience")


TASKS = [Task("dropout", ["dropout_forward", "dropout_backward"], _dropout, DROPOUT_POLICY),
         Task("l2", ["l2_penalty", "sgd_step_l2"], _l2, L2_POLICY),
         Task("early_stopping", ["early_stopping"], _early, EARLY_POLICY)]
