"""Realistic answers to ch06_regularization (see ../mutation.py): (task, "wrong" | "correct", why, cell source)."""
ANSWERS = [
    # --- Task 1: inverted dropout --------------------------------------------------------------------
    ("dropout", "wrong", "keeps where u < 1 - rate: right statistics, not the grader's mask", '''
def dropout_forward(x, rate, training, rng):
    """Inverted dropout; returns (out, mask) with mask None at inference."""
    if not training:
        return x, None
    mask = (rng.random(x.shape) < 1 - rate) / (1 - rate)
    return x * mask, mask


def dropout_backward(dout, mask):
    """Gradient of dropout with respect to its input."""
    return dout if mask is None else dout * mask
'''),
    ("dropout", "wrong", "draws the mask with rng.binomial instead of the specified uniforms", '''
def dropout_forward(x, rate, training, rng):
    """Inverted dropout; returns (out, mask) with mask None at inference."""
    if not training:
        return x, None
    mask = rng.binomial(1, 1 - rate, size=x.shape) / (1 - rate)
    return x * mask, mask


def dropout_backward(dout, mask):
    """Gradient of dropout with respect to its input."""
    return dout if mask is None else dout * mask
'''),
    ("dropout", "wrong", "one mask per example broadcast over the features (wrong broadcast axis)", '''
def dropout_forward(x, rate, training, rng):
    """Inverted dropout; returns (out, mask) with mask None at inference."""
    if not training:
        return x, None
    keep = rng.random(x.shape[:1] + (1,) * (x.ndim - 1)) >= rate
    mask = np.broadcast_to(keep / (1 - rate), x.shape)
    return x * mask, mask


def dropout_backward(dout, mask):
    """Gradient of dropout with respect to its input."""
    return dout if mask is None else dout * mask
'''),
    ("dropout", "wrong", "draws the mask before looking at `training` (consumes random numbers at inference)", '''
def dropout_forward(x, rate, training, rng):
    """Inverted dropout; returns (out, mask) with mask None at inference."""
    keep = rng.random(x.shape) >= rate
    if not training:
        return x, None
    mask = keep / (1.0 - rate)
    return x * mask, mask


def dropout_backward(dout, mask):
    """Gradient of dropout with respect to its input."""
    return dout if mask is None else dout * mask
'''),
    ("dropout", "wrong", "applies the mask to x and dout in place", '''
def dropout_forward(x, rate, training, rng):
    """Inverted dropout; returns (out, mask) with mask None at inference."""
    if not training:
        return x, None
    mask = (rng.random(x.shape) >= rate) / (1.0 - rate)
    x *= mask
    return x, mask


def dropout_backward(dout, mask):
    """Gradient of dropout with respect to its input."""
    if mask is not None:
        dout *= mask
    return dout
'''),
    ("dropout", "wrong", "returns the boolean keep mask: the backward pass forgets the 1 / (1 - rate) scale", '''
def dropout_forward(x, rate, training, rng):
    """Inverted dropout; returns (out, mask) with mask None at inference."""
    if not training:
        return x, None
    keep = rng.random(x.shape) >= rate
    return x * keep / (1 - rate), keep


def dropout_backward(dout, mask):
    """Gradient of dropout with respect to its input."""
    return dout if mask is None else dout * mask
'''),
    ("dropout", "wrong", "standard (not inverted) dropout: no rescaling of the survivors", '''
def dropout_forward(x, rate, training, rng):
    """Inverted dropout; returns (out, mask) with mask None at inference."""
    if not training:
        return x, None
    mask = (rng.random(x.shape) >= rate).astype(float)
    return x * mask, mask


def dropout_backward(dout, mask):
    """Gradient of dropout with respect to its input."""
    return dout if mask is None else dout * mask
'''),
    ("dropout", "wrong", "delegates to dlkit's Dropout layer (policy: scores 0)", '''
def dropout_forward(x, rate, training, rng):
    """Inverted dropout; returns (out, mask) with mask None at inference."""
    if not training:
        return x, None
    layer = dnp.layers.Dropout(rate, seed=rng, dtype="float64")
    out = layer(x, training=True)
    return out, layer.backward(np.ones_like(out))


def dropout_backward(dout, mask):
    """Gradient of dropout with respect to its input."""
    return dout if mask is None else dout * mask
'''),
    ("dropout", "correct", "rng.uniform (the same numbers as rng.random), float32 mask, np.where", '''
def dropout_forward(x, rate, training, rng):
    """Inverted dropout; returns (out, mask) with mask None at inference."""
    if not training:
        return x, None
    u = rng.uniform(size=np.shape(x))
    mask = np.where(u >= rate, 1 / (1 - rate), 0).astype(np.float32)
    return np.multiply(x, mask), mask


def dropout_backward(dout, mask):
    """Gradient of dropout with respect to its input."""
    if mask is None:
        return dout
    return np.multiply(dout, mask)
'''),
    ("dropout", "correct", "a copy at inference, scaled x masked by boolean indexing", '''
def dropout_forward(x, rate, training, rng):
    """Inverted dropout; returns (out, mask) with mask None at inference."""
    if not training:
        return x.copy(), None
    dropped = rng.random(x.shape) < rate
    mask = np.full(x.shape, 1.0 / (1.0 - rate))
    mask[dropped] = 0.0
    out = x / (1.0 - rate)
    out[dropped] = 0.0
    return out, mask


def dropout_backward(dout, mask):
    """Gradient of dropout with respect to its input."""
    return dout if mask is None else mask * dout
'''),

    # --- Task 2: L2 weight decay ---------------------------------------------------------------------
    ("l2", "wrong", "builds the gradients in place in the weights (modifies the caller's arrays)", '''
def l2_penalty(weights, lam):
    """L2 penalty lam * sum of squares over all arrays, and its gradients."""
    penalty = lam * sum(float(np.sum(w ** 2)) for w in weights)
    for w in weights:
        w *= 2 * lam
    return penalty, weights


def sgd_step_l2(w, g, lr, lam):
    """SGD step on data loss + lam * sum(w**2)."""
    return w - lr * (g + 2 * lam * w)
'''),
    ("l2", "wrong", "sgd_step_l2 updates w in place", '''
def l2_penalty(weights, lam):
    """L2 penalty lam * sum of squares over all arrays, and its gradients."""
    penalty = lam * sum(float(np.sum(w ** 2)) for w in weights)
    return penalty, [2 * lam * w for w in weights]


def sgd_step_l2(w, g, lr, lam):
    """SGD step on data loss + lam * sum(w**2)."""
    w -= lr * (g + 2 * lam * w)
    return w
'''),
    ("l2", "wrong", "sum of squares as sum(w.T @ w): right for vectors, wrong for matrices", '''
def l2_penalty(weights, lam):
    """L2 penalty lam * sum of squares over all arrays, and its gradients."""
    penalty = lam * sum(float(np.sum(w.T @ w)) for w in weights)
    return penalty, [2 * lam * w for w in weights]


def sgd_step_l2(w, g, lr, lam):
    """SGD step on data loss + lam * sum(w**2)."""
    return w - lr * (g + 2 * lam * w)
'''),
    ("l2", "wrong", "concatenates the flattened weights: the gradients come back flat, not in the weights' shapes", '''
def l2_penalty(weights, lam):
    """L2 penalty lam * sum of squares over all arrays, and its gradients."""
    flat = np.concatenate([np.ravel(w) for w in weights])
    grads = np.split(2 * lam * flat, np.cumsum([np.size(w) for w in weights])[:-1])
    return float(lam * flat @ flat), grads


def sgd_step_l2(w, g, lr, lam):
    """SGD step on data loss + lam * sum(w**2)."""
    return w - lr * (g + 2 * lam * w)
'''),
    ("l2", "wrong", "gradient lam * w (forgets the 2 of the derivative)", '''
def l2_penalty(weights, lam):
    """L2 penalty lam * sum of squares over all arrays, and its gradients."""
    penalty = lam * sum(float(np.sum(w ** 2)) for w in weights)
    return penalty, [lam * w for w in weights]


def sgd_step_l2(w, g, lr, lam):
    """SGD step on data loss + lam * sum(w**2)."""
    return w - lr * (g + lam * w)
'''),
    ("l2", "wrong", "mean of the squares instead of their sum", '''
def l2_penalty(weights, lam):
    """L2 penalty lam * sum of squares over all arrays, and its gradients."""
    penalty = lam * sum(float(np.mean(w ** 2)) for w in weights)
    return penalty, [2 * lam * w / w.size for w in weights]


def sgd_step_l2(w, g, lr, lam):
    """SGD step on data loss + lam * sum(w**2)."""
    return w - lr * (g + 2 * lam * w)
'''),
    ("l2", "wrong", "decay applied without the learning rate", '''
def l2_penalty(weights, lam):
    """L2 penalty lam * sum of squares over all arrays, and its gradients."""
    penalty = lam * sum(float(np.sum(w ** 2)) for w in weights)
    return penalty, [2 * lam * w for w in weights]


def sgd_step_l2(w, g, lr, lam):
    """SGD step on data loss + lam * sum(w**2)."""
    return w - lr * g - 2 * lam * w
'''),
    ("l2", "wrong", "delegates to dlkit's L2 regularizer and SGD (policy: scores 0)", '''
def l2_penalty(weights, lam):
    """L2 penalty lam * sum of squares over all arrays, and its gradients."""
    reg = dnp.regularizers.L2(lam)
    return float(sum(reg(w) for w in weights)), [reg.gradient(w) for w in weights]


def sgd_step_l2(w, g, lr, lam):
    """SGD step on data loss + lam * sum(w**2)."""
    new_w = np.array(w, dtype=float)
    dnp.optimizers.SGD(learning_rate=lr, weight_decay=2 * lam).apply_gradients([(g, new_w)])
    return new_w
'''),
    ("l2", "correct", "np.vdot for the squares; the step as shrink-then-descend", '''
def l2_penalty(weights, lam):
    """L2 penalty lam * sum of squares over all arrays, and its gradients."""
    total = 0.0
    grads = []
    for w in weights:
        w = np.asarray(w, dtype=np.float64)
        total += float(np.vdot(w, w))
        grads.append(2.0 * lam * w)
    return lam * total, grads


def sgd_step_l2(w, g, lr, lam):
    """SGD step on data loss + lam * sum(w**2)."""
    return (1 - 2 * lr * lam) * w - lr * g
'''),
    ("l2", "correct", "squared norms with np.linalg.norm, gradients via np.multiply, float32 gradients", '''
def l2_penalty(weights, lam):
    """L2 penalty lam * sum of squares over all arrays, and its gradients."""
    penalty = lam * sum(np.linalg.norm(np.ravel(w)) ** 2 for w in weights)
    return float(penalty), [np.multiply(2 * lam, w).astype(np.float32) for w in weights]


def sgd_step_l2(w, g, lr, lam):
    """SGD step on data loss + lam * sum(w**2)."""
    _, (decay,) = l2_penalty([np.asarray(w, dtype=np.float64)], lam)
    return w - lr * (g + np.asarray(decay, dtype=np.float64))
'''),

    # --- Task 3: early stopping ----------------------------------------------------------------------
    ("early_stopping", "wrong", "an equal loss counts as an improvement (<= instead of <): ties", '''
def early_stopping(val_losses, patience, min_delta=0.0):
    """Replay Keras' EarlyStopping on val_losses; returns (epochs_run, best_epoch)."""
    best, best_epoch, wait = np.inf, 0, 0
    for epoch, loss in enumerate(val_losses):
        wait += 1
        if loss <= best - min_delta:
            best, best_epoch, wait = loss, epoch, 0
        elif wait >= patience:
            return epoch + 1, best_epoch
    return len(val_losses), best_epoch
'''),
    ("early_stopping", "wrong", "checks for stopping before checking for an improvement", '''
def early_stopping(val_losses, patience, min_delta=0.0):
    """Replay Keras' EarlyStopping on val_losses; returns (epochs_run, best_epoch)."""
    best, best_epoch, wait = np.inf, 0, 0
    for epoch, loss in enumerate(val_losses):
        wait += 1
        if wait >= patience and epoch > 0:
            return epoch + 1, best_epoch
        if loss < best - min_delta:
            best, best_epoch, wait = loss, epoch, 0
    return len(val_losses), best_epoch
'''),
    ("early_stopping", "wrong", "best starts at 1e9 instead of infinity: huge losses never improve", '''
def early_stopping(val_losses, patience, min_delta=0.0):
    """Replay Keras' EarlyStopping on val_losses; returns (epochs_run, best_epoch)."""
    best, best_epoch, wait = 1e9, 0, 0
    for epoch, loss in enumerate(val_losses):
        wait += 1
        if loss < best - min_delta:
            best, best_epoch, wait = loss, epoch, 0
        elif wait >= patience:
            return epoch + 1, best_epoch
    return len(val_losses), best_epoch
'''),
    ("early_stopping", "wrong", "stops when wait == patience: never stops with patience 0", '''
def early_stopping(val_losses, patience, min_delta=0.0):
    """Replay Keras' EarlyStopping on val_losses; returns (epochs_run, best_epoch)."""
    best, best_epoch, wait = float("inf"), 0, 0
    for epoch, loss in enumerate(val_losses):
        wait += 1
        if loss < best - min_delta:
            best, best_epoch, wait = loss, epoch, 0
        if wait == patience:
            return epoch + 1, best_epoch
    return len(val_losses), best_epoch
'''),
    ("early_stopping", "wrong", "off by one: stops when wait > patience", '''
def early_stopping(val_losses, patience, min_delta=0.0):
    """Replay Keras' EarlyStopping on val_losses; returns (epochs_run, best_epoch)."""
    best, best_epoch, wait = np.inf, 0, 0
    for epoch, loss in enumerate(val_losses):
        wait += 1
        if loss < best - min_delta:
            best, best_epoch, wait = loss, epoch, 0
        elif wait > patience:
            return epoch + 1, best_epoch
    return len(val_losses), best_epoch
'''),
    ("early_stopping", "wrong", "best epoch = argmin of the losses seen, ignoring min_delta", '''
def early_stopping(val_losses, patience, min_delta=0.0):
    """Replay Keras' EarlyStopping on val_losses; returns (epochs_run, best_epoch)."""
    best, wait, epochs_run = np.inf, 0, len(val_losses)
    for epoch, loss in enumerate(val_losses):
        wait += 1
        if loss < best - min_delta:
            best, wait = loss, 0
        elif wait >= patience:
            epochs_run = epoch + 1
            break
    return epochs_run, int(np.argmin(val_losses[:epochs_run]))
'''),
    ("early_stopping", "wrong", "returns the 0-based index of the last epoch, not the number of epochs run", '''
def early_stopping(val_losses, patience, min_delta=0.0):
    """Replay Keras' EarlyStopping on val_losses; returns (epochs_run, best_epoch)."""
    best, best_epoch, wait = np.inf, 0, 0
    for epoch, loss in enumerate(val_losses):
        wait += 1
        if loss < best - min_delta:
            best, best_epoch, wait = loss, epoch, 0
        elif wait >= patience:
            return epoch, best_epoch
    return len(val_losses) - 1, best_epoch
'''),
    ("early_stopping", "wrong", "delegates to dlkit's EarlyStopping callback (policy: scores 0)", '''
class _Model:
    stop_training = False


def early_stopping(val_losses, patience, min_delta=0.0):
    """Replay Keras' EarlyStopping on val_losses; returns (epochs_run, best_epoch)."""
    model = _Model()
    cb = dnp.callbacks.EarlyStopping(monitor="val_loss", patience=patience, min_delta=min_delta)
    cb.set_model(model)
    cb.on_train_begin()
    for epoch, loss in enumerate(val_losses):
        cb.on_epoch_end(epoch, {"val_loss": loss})
        if model.stop_training:
            return epoch + 1, cb.best_epoch
    return len(val_losses), cb.best_epoch
'''),
    ("early_stopping", "correct", "counts epochs since the best one instead of a wait counter", '''
def early_stopping(val_losses, patience, min_delta=0.0):
    """Replay Keras' EarlyStopping on val_losses; returns (epochs_run, best_epoch)."""
    best, best_epoch = float("inf"), 0
    for epoch, loss in enumerate(val_losses):
        if best - loss > min_delta:
            best, best_epoch = loss, epoch
        elif epoch - best_epoch >= patience:
            return epoch + 1, best_epoch
    return len(val_losses), best_epoch
'''),
    ("early_stopping", "correct", "a while loop; counter incremented only on epochs without improvement", '''
def early_stopping(val_losses, patience, min_delta=0.0):
    """Replay Keras' EarlyStopping on val_losses; returns (epochs_run, best_epoch)."""
    losses = np.asarray(val_losses, dtype=np.float64)
    best, best_epoch, wait, epoch = np.inf, 0, 0, 0
    while epoch < len(losses):
        if losses[epoch] < best - min_delta:
            best, best_epoch, wait = losses[epoch], epoch, 0
        else:
            wait += 1
            if wait >= patience:
                return epoch + 1, best_epoch
        epoch += 1
    return len(losses), best_epoch
'''),
]
