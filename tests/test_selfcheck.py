"""dlkit.exercises.selfcheck: the notebooks' self-check cell (for students without nbgrader, e.g. in Colab).

For every assignment, the source notebook's set-up cells and solution cells (markers stripped) run in one
namespace, like a student's notebook; then ``check(assignment, namespace)`` must report every task as passing,
a task whose cell is the released stub as "not attempted", a realistic bug as a FAIL of its own task only
(the others still pass: later tasks are checked with correct versions of earlier functions), and a call to
dlkit's version of the function a task asks for as a FAIL.
"""
import contextlib
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dlkit.exercises.selfcheck import ASSIGNMENTS, check, tasks

SOURCE = Path(__file__).resolve().parents[1] / "exercises" / "source"
LINE = re.compile(r"^Task (\d+) (\w+): (pass|FAIL — \S.*|not attempted.*)$")


def solution_cells(assignment):
    """[(grade_id or None, kind, source)] of the code cells that a student's notebook runs before the check:
    set-up cells ("setup") and solution cells ("solution"); test cells are left out."""
    nb = json.loads((SOURCE / assignment / f"{assignment}.ipynb").read_text(encoding="utf-8"))
    out = []
    for cell in nb["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell["cell_type"] != "code" or not meta or meta.get("grade"):
            continue
        source = "".join(cell["source"])
        source = "\n".join(re.sub(r"^(\s*)[%!].*$", r"\1pass", line) for line in source.splitlines())  # magics
        out.append((meta.get("grade_id"), "solution" if meta.get("solution") else "setup", source))
    return out


def strip_markers(source):
    return "\n".join(line for line in source.splitlines() if "### BEGIN SOLUTION" not in line
                     and "### END SOLUTION" not in line)


def released_stub(source):
    """The cell as nbgrader releases it: each solution region replaced by `raise NotImplementedError()`."""
    return re.sub(r"### BEGIN SOLUTION.*?### END SOLUTION", "# YOUR CODE HERE\n    raise NotImplementedError()",
                  source, flags=re.S)


def run_cell(namespace, source, name):
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(source, name, "exec"), namespace)


_NAMESPACES = {}


def notebook(assignment):
    """The namespace of a student's notebook with every solution run (built once per assignment) and
    ``solutions`` {grade_id: cell source}. Each test restores what it changes."""
    if assignment not in _NAMESPACES:
        ns, solutions = {"__name__": "__main__"}, {}
        for gid, kind, source in solution_cells(assignment):
            if kind == "solution":
                solutions[gid] = source
                source = strip_markers(source)
            run_cell(ns, source, f"<{assignment}:{gid}>")
        _NAMESPACES[assignment] = ns, solutions
    return _NAMESPACES[assignment]


def run_check(assignment, ns):
    """(results, {grade_id: line}) of check(); every task line has the documented form."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        results = check(assignment, ns)
    lines = out.getvalue().splitlines()
    assert lines[-1].startswith(f"Self-check {assignment}:"), lines
    by_task = {}
    for line in lines[:-1]:
        m = LINE.match(line)
        assert m, f"malformed line: {line!r}"
        by_task[m.group(2)] = line
    assert list(by_task) == list(results) == [t.grade_id for t in tasks(assignment)]
    return results, by_task


@contextlib.contextmanager
def replaced(assignment, code):
    """Run ``code`` (new definitions) in the assignment's namespace; restore the solutions afterwards."""
    ns, solutions = notebook(assignment)
    run_cell(ns, code, f"<{assignment}:replaced>")
    try:
        yield ns
    finally:
        for gid, source in solutions.items():
            run_cell(ns, strip_markers(source), f"<{assignment}:{gid}>")


def assert_only(results, lines, task, status, fragment=""):
    assert results[task] is status, lines[task]
    assert fragment in lines[task], lines[task]
    for other, value in results.items():
        if other != task:
            assert value is True, lines[other]


# -- the table: which task is stubbed, which realistic bug and which delegation each assignment gets ---------------
STUB = {"ch01_perceptron": "perceptron_update", "ch02_mlp": "activations", "ch03_loss_gd": "mse",
        "ch04_backprop": "dense", "ch05_optimizers": "momentum", "ch06_regularization": "l2",
        "ch07_cnn": "conv_forward", "ch08_rnn": "rnn_step", "ch09_lstm_gru": "lstm_gates",
        "ch10_attention": "attention", "ch11_transfer": "replace_head",
        "ch12_modern_cnn": "residual_block", "ch13_detection": "nms", "ch14_tokens_embeddings": "bpe_merge",
        "ch15_seq2seq": "beam_search", "ch16_text_pretraining": "mlm_mask",
        "ch17_autoencoders": "info_nce_grad", "ch18_vae_gan": "gaussian_kl",
        "ch19_diffusion": "ddpm_loss", "ch20_rl": "reinforce"}

BUGS = {  # assignment: (task, fragment of the FAIL message, code)
    "ch01_perceptron": ("perceptron_update", "perceptron_update w", '''
def perceptron_update(w, b, x, y, lr=1.0):
    t = 1.0 if y == 1 else -1.0
    if t * (x @ w + b) < 0:             # boundary points not counted as mistakes
        return w + lr * t * x, b + lr * t
    return w.copy(), b
'''),
    "ch02_mlp": ("mlp_forward", "mlp_forward with layer sizes", '''
def mlp_forward(X, params, activation="relu"):
    act = {"relu": relu, "tanh": tanh, "sigmoid": sigmoid}[activation]
    h = X
    for W, b in params:
        h = act(h @ W + b)              # also after the last layer
    return h
'''),
    "ch03_loss_gd": ("softmax_cross_entropy", "softmax_cross_entropy dz", '''
def softmax_cross_entropy(z, y):
    z = np.asarray(z, dtype=float)
    n = z.shape[0]
    shifted = z - z.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    dz = np.exp(log_p)
    dz[np.arange(n), y] -= 1
    return float(-log_p[np.arange(n), y].mean()), dz   # not divided by n
'''),
    "ch04_backprop": ("dense", "dense_backward db", '''
def dense_backward(dout, cache):
    x, W, b = cache
    return dout @ W.T, x.T @ dout, dout.sum(axis=1)    # wrong axis
'''),
    "ch05_optimizers": ("rmsprop", "rmsprop_step w after step 1", '''
def rmsprop_step(w, g, s, lr=0.001, rho=0.9, eps=1e-7):
    s = rho * s + (1 - rho) * g ** 2
    return w - lr * g / (np.sqrt(s) + eps), s          # eps outside the root (PyTorch)
'''),
    "ch06_regularization": ("early_stopping", "early_stopping(", '''
def early_stopping(val_losses, patience, min_delta=0.0):
    best, best_epoch, wait = np.inf, 0, 0
    for epoch, loss in enumerate(val_losses):
        if loss < best - min_delta:
            best, best_epoch, wait = loss, epoch, 0
        else:
            wait += 1
            if wait > patience:                         # one epoch too late
                return epoch + 1, best_epoch
    return len(val_losses), best_epoch
'''),
    "ch07_cnn": ("maxpool", "maxpool_backward on x", '''
def maxpool_backward(dout, cache):
    x, p, s = cache
    N, Ho, Wo, C = dout.shape
    dx = np.zeros(x.shape)
    for n in range(N):
        for i in range(Ho):
            for j in range(Wo):
                for c in range(C):
                    window = x[n, i * s:i * s + p, j * s:j * s + p, c]
                    a, bb = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, i * s + a, j * s + bb, c] = dout[n, i, j, c]   # overlapping windows overwrite
    return dx
'''),
    "ch08_rnn": ("rnn_step", "rnn_step (N=", '''
def rnn_step(x_t, h_prev, kernel, recurrent_kernel, bias):
    return np.tanh(x_t @ kernel + h_prev @ recurrent_kernel.T + bias)
'''),
    "ch09_lstm_gru": ("gru_step", "gru_step (N=", '''
def gru_step(x_t, h_prev, kernel, recurrent_kernel, bias):
    U = recurrent_kernel.shape[0]
    ax = x_t @ kernel + bias[0]
    ah = h_prev @ recurrent_kernel + bias[1]
    z = sigmoid(ax[:, :U] + ah[:, :U])
    r = sigmoid(ax[:, U:2 * U] + ah[:, U:2 * U])
    hh = np.tanh(ax[:, 2 * U:] + (r * h_prev) @ recurrent_kernel[:, 2 * U:] + bias[1, 2 * U:])  # reset before
    return z * h_prev + (1.0 - z) * hh
'''),
    "ch10_attention": ("heads", "split_heads on x", '''
def split_heads(x, num_heads):
    B, T, D = x.shape
    if D % num_heads:
        raise ValueError("not divisible")
    return x.reshape(B, num_heads, T, D // num_heads)   # reshape without transpose
'''),
    "ch11_transfer": ("freeze", "trainable flags after freeze", '''
def freeze(model, n_frozen):
    for layer in model.layers[:n_frozen]:
        layer.trainable = False                         # never unfreezes the others
    return int(sum(layer.params[k].size for layer in model.layers for k in layer.trainable_names))
'''),
    "ch12_modern_cnn": ("residual_block", "residual_block_backward dx", '''
def residual_block_backward(dout, cache):
    conv1, bn1, a1, conv2, bn2, z = cache
    dz = dout * (z > 0)
    dc2, dgamma2, dbeta2 = batchnorm_backward(dz, bn2)
    dh, dw2, _ = conv2d_backward(dc2, conv2)
    dc1, dgamma1, dbeta1 = batchnorm_backward(dh * (a1 > 0), bn1)
    dx, dw1, _ = conv2d_backward(dc1, conv1)            # forgets the gradient of the skip connection
    return dx, {"w1": dw1, "gamma1": dgamma1, "beta1": dbeta1, "w2": dw2, "gamma2": dgamma2, "beta2": dbeta2}
'''),
    "ch13_detection": ("nms", "nms", '''
def nms(boxes, scores, iou_threshold=0.5):
    order = np.argsort(-np.asarray(scores, dtype=np.float64), kind="stable")
    keep = []
    while order.size > 0:
        best, rest = order[0], order[1:]
        keep.append(best)
        iou = box_iou(np.asarray(boxes, dtype=np.float64)[best][None, :], np.asarray(boxes, dtype=np.float64)[rest])[0]
        order = rest[iou < iou_threshold]               # also removes a box whose IoU equals the threshold
    return np.array(keep, dtype=np.int64)
'''),
    "ch14_tokens_embeddings": ("sgns", "sgns", '''
def sgns_loss(v, u_o, u_k):
    v, u_o, u_k = (np.asarray(a, dtype=np.float64) for a in (v, u_o, u_k))
    B = v.shape[0]
    pos = np.sum(u_o * v, axis=1)
    neg = np.einsum("bkd,bd->bk", u_k, v)
    sig = lambda x: 1.0 / (1.0 + np.exp(-x))            # log(sigmoid) overflows to -inf for large |scores|
    loss = -(np.log(sig(pos)).sum() + np.log(1.0 - sig(neg)).sum()) / B
    g_pos, g_neg = (sig(pos) - 1.0) / B, sig(neg) / B
    dv = g_pos[:, None] * u_o + np.einsum("bk,bkd->bd", g_neg, u_k)
    return float(loss), (dv, g_pos[:, None] * v, g_neg[:, :, None] * v[:, None, :])
'''),
    "ch16_text_pretraining": ("masked_pool", "masked_mean_pool_forward on x", '''
def masked_mean_pool_forward(x, mask):
    x = np.asarray(x)
    m = (np.asarray(mask) != 0).astype(x.dtype)
    return np.einsum("btd,bt->bd", x, m) / x.shape[1]   # divided by T: the padding steps counted
'''),
    "ch15_seq2seq": ("bleu", "corpus_bleu of references of lengths 3 and 9", '''
def corpus_bleu(hypotheses, references):
    c = r = 0
    matches, totals = [0] * 4, [0] * 4
    for hyp, refs in zip(hypotheses, references):
        c += len(hyp)
        r += min(len(ref) for ref in refs)              # the shortest reference, not the closest one
        for n in range(1, 5):
            grams = Counter(tuple(hyp[i:i + n]) for i in range(len(hyp) - n + 1))
            best = Counter()
            for ref in refs:
                best |= Counter(tuple(ref[i:i + n]) for i in range(len(ref) - n + 1))
            matches[n - 1] += sum((grams & best).values())
            totals[n - 1] += sum(grams.values())
    if c == 0 or min(matches) == 0:
        return 0.0
    bp = 1.0 if c > r else math.exp(1.0 - r / c)
    return bp * math.exp(sum(math.log(m / t) for m, t in zip(matches, totals)) / 4)
'''),
    "ch17_autoencoders": ("info_nce", "info_nce", '''
def info_nce(z1, z2, temperature=0.5):
    z = np.concatenate([z1, z2], axis=0)
    u = z / np.linalg.norm(z, axis=1, keepdims=True)
    s = u @ u.T / temperature                           # the anchor's own similarity is not left out
    n2 = len(z)
    m = s.max(axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.exp(s - m).sum(axis=1))
    return float(np.mean(lse - s[np.arange(n2), (np.arange(n2) + n2 // 2) % n2]))
'''),
    "ch18_vae_gan": ("gan_losses", "discriminator_loss", '''
def discriminator_loss(real_logits, fake_logits):
    sig = lambda a: 1.0 / (1.0 + np.exp(-a))            # -log(sigmoid(-1000)) = -log(0) = inf
    loss = -np.mean(np.log(sig(real_logits))) - np.mean(np.log(1.0 - sig(fake_logits)))
    return float(loss), ((sig(real_logits) - 1.0) / real_logits.size, sig(fake_logits) / fake_logits.size)
'''),
    "ch19_diffusion": ("guided_step", "ddpm_step(x_t", '''
def ddpm_step(x_t, t, eps_hat, betas, noise):
    shape = (-1,) + (1,) * (np.ndim(x_t) - 1)
    beta = betas[t].reshape(shape)
    abar = np.cumprod(1.0 - betas)[t].reshape(shape)
    mean = (x_t - beta / np.sqrt(1.0 - abar) * eps_hat) / np.sqrt(1.0 - beta)
    return mean + np.sqrt(beta) * noise                 # noise also at the last step, t = 0
'''),
    "ch20_rl": ("advantages", "advantages", '''
def advantages(returns, states, actions, Q, probs):
    return np.asarray(returns, dtype=float) - Q[states, actions]   # a baseline that leaks the action
'''),
}

DELEGATIONS = {  # assignment: (task, code that calls dlkit's version of the function the task asks for)
    "ch01_perceptron": ("train_perceptron", '''
def train_perceptron(X, y, lr=1.0, max_epochs=100):
    p = dnp.Perceptron(learning_rate=lr, max_epochs=max_epochs).fit(X, y)
    return p.w_, p.b_, p.n_epochs_
'''),
    "ch02_mlp": ("activations", '''
from dlkit.np.activations import sigmoid as _dlkit_sigmoid
def sigmoid(x):
    return _dlkit_sigmoid(x)
'''),
    "ch03_loss_gd": ("mse", '''
def mse(y_pred, y_true):
    loss = dnp.losses.MeanSquaredError()
    return float(loss(y_true, y_pred)), loss.backward()
'''),
    "ch04_backprop": ("dense", '''
from dlkit.np.functional import dense_forward, dense_backward
'''),
    "ch05_optimizers": ("initializers", '''
def glorot_uniform(fan_in, fan_out, rng):
    return dnp.initializers.glorot_uniform((fan_in, fan_out), dtype="float64", rng=rng)
'''),
    "ch06_regularization": ("dropout", '''
def dropout_forward(x, rate, training, rng):
    layer = dnp.layers.Dropout(rate, dtype="float64")
    out = layer(x, training=training)
    return out, (out / x if training else None)
'''),
    "ch07_cnn": ("conv_forward", '''
from dlkit.np.functional import conv2d_naive
def conv2d(x, w, b, stride=1, padding="valid"):
    return conv2d_naive(x, w, b, strides=stride, padding=padding)
'''),
    "ch08_rnn": ("rnn_forward", '''
import dlkit.np.functional as F
def rnn_forward(x, h0, kernel, recurrent_kernel, bias):
    return F.rnn_forward(x, h0, kernel, recurrent_kernel, bias)[0]
'''),
    "ch09_lstm_gru": ("gru_step", '''
from dlkit.np.functional import gru_step_forward
def gru_step(x_t, h_prev, kernel, recurrent_kernel, bias):
    return gru_step_forward(x_t, h_prev, kernel, recurrent_kernel, bias)[0]
'''),
    "ch10_attention": ("attention", '''
from dlkit.np.functional import scaled_dot_product_attention_forward as _sdpa
def attention(q, k, v, mask=None):
    out, cache = _sdpa(q, k, v, mask=mask)
    return out, cache["p"]
'''),
    "ch12_modern_cnn": ("global_avg_pool", '''
from dlkit.np.functional import global_avgpool2d_forward, global_avgpool2d_backward
def global_avg_pool_forward(x):
    return global_avgpool2d_forward(x)[0]
def global_avg_pool_backward(dout, input_shape):
    return global_avgpool2d_backward(dout, input_shape)
'''),
    "ch13_detection": ("box_iou", '''
import dlkit.vision
def box_iou(boxes1, boxes2):
    return dlkit.vision.box_iou(boxes1, boxes2)
'''),
    "ch14_tokens_embeddings": ("bpe_encode", '''
from dlkit.text import bpe_encode_fast
def bpe_encode_word(word, merges):
    return bpe_encode_fast(word, merges)
def bpe_encode(text, merges):
    return bpe_encode_fast(text, merges)
'''),
    "ch16_text_pretraining": ("sampling", '''
from dlkit.text import top_k_filter, top_p_filter
def sample_next(logits, rng, temperature=1.0, top_k=None, top_p=None):
    import dlkit.text
    return dlkit.text.sample_next(logits, rng, temperature, top_k, top_p)
'''),
    "ch15_seq2seq": ("attention", '''
def additive_attention_forward(query, keys, values, W_q, W_k, v, mask=None):
    layer = dnp.layers.AdditiveAttention(dtype="float64")
    layer([query @ W_q, values, keys @ W_k])
    layer.params["scale"][...] = v
    out, weights = layer([query @ W_q, values, keys @ W_k], mask=None if mask is None else [None, mask],
                         return_attention_scores=True)
    return out, weights, (layer, query, keys, W_q, W_k)
'''),
    "ch17_autoencoders": ("autoencoder", '''
from dlkit.np.functional import dense_forward, dense_backward
def ae_forward(x, params, activation="relu"):
    z, c1 = dense_forward(x, params["W1"], params["b1"])
    h = np.maximum(z, 0) if activation == "relu" else (np.tanh(z) if activation == "tanh" else z)
    x_hat, c2 = dense_forward(h, params["W2"], params["b2"])
    return float(np.mean((x_hat - x) ** 2)), x_hat, (c1, c2, z, h, x_hat, x, activation)
'''),
    "ch18_vae_gan": ("reparameterize", '''
from dlkit.np.functional.vae import reparameterize_forward
def reparameterize(mu, log_var, eps):
    return reparameterize_forward(mu, log_var, eps)[0]
'''),
    "ch19_diffusion": ("schedule", '''
from dlkit.np.functional.diffusion import alpha_bars as _dlkit_alpha_bars
def alpha_bars(betas):
    return _dlkit_alpha_bars(betas)
'''),
    "ch20_rl": ("returns", '''
from dlkit.rl import discounted_returns as _dlkit_returns
def discounted_returns(rewards, dones, gamma):
    return _dlkit_returns(rewards, dones, gamma)
'''),
}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_solutions_pass(assignment):
    ns, solutions = notebook(assignment)
    assert [t.grade_id for t in tasks(assignment)] == list(solutions), "the tasks are the solution cells' grade_ids"
    for task in tasks(assignment):
        for name in task.functions:
            assert re.search(rf"^def {name}\(", solutions[task.grade_id], re.M), (task.grade_id, name)
    results, lines = run_check(assignment, ns)
    assert all(v is True for v in results.values()), "\n".join(lines.values())
    assert all(line.endswith(": pass") for line in lines.values())


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_released_stub_is_not_attempted(assignment):
    task = STUB[assignment]
    ns, solutions = notebook(assignment)
    with replaced(assignment, released_stub(solutions[task])):
        results, lines = run_check(assignment, ns)
    assert lines[task].endswith(f"{task}: not attempted")
    assert_only(results, lines, task, None)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_realistic_bug_fails_its_task_only(assignment):
    task, fragment, code = BUGS[assignment]
    with replaced(assignment, code) as ns:
        results, lines = run_check(assignment, ns)
    assert_only(results, lines, task, False, fragment)
    assert "expected" in lines[task] and "got" in lines[task]


@pytest.mark.parametrize("assignment", sorted(DELEGATIONS))
def test_delegation_to_dlkit_fails(assignment):
    task, code = DELEGATIONS[assignment]
    with replaced(assignment, code) as ns:
        results, lines = run_check(assignment, ns)
    assert_only(results, lines, task, False, "expected your own code, got a call to dlkit's version")


def test_partly_written_task_fails_and_missing_function_is_not_attempted():
    with replaced("ch10_attention", "def decoder_mask(tokens, pad_id=0):\n    raise NotImplementedError()\n") as ns:
        results, lines = run_check("ch10_attention", ns)
        assert results["masks"] is False
        assert "decoder_mask: expected your code, got NotImplementedError" in lines["masks"]
        saved = ns.pop("positional_encoding")
        try:
            results, lines = run_check("ch10_attention", ns)
        finally:
            ns["positional_encoding"] = saved
    assert results["posenc"] is None and "`positional_encoding` is not defined" in lines["posenc"]


def test_check_never_raises():
    ns, _ = notebook("ch07_cnn")
    broken = '''
import sys
def conv2d(x, w, b, stride=1, padding="valid"):
    sys.exit(1)
def maxpool_forward(x, pool_size=2, stride=None):
    print("debugging output")
    return x
def conv2d_weight_grad(x, dout, kh, kw, stride=1, padding="valid"):
    dw = np.zeros((kh, kw, x.shape[-1], dout.shape[-1]))
'''
    with replaced("ch07_cnn", broken):
        results, lines = run_check("ch07_cnn", ns)
    assert results == {"conv_forward": False, "maxpool": False, "conv_backward": False}, lines
    assert "conv2d(uint8 array" not in lines["conv_forward"] and "got SystemExit: 1" in lines["conv_forward"]
    assert "maxpool_forward on x (2, 5, 6, 2)" in lines["maxpool"]
    assert "expected a tuple (out, cache)" in lines["maxpool"]
    assert "debugging output" not in "".join(lines.values())
    assert "expected a tuple (dw, db), got None (a missing `return`?)" in lines["conv_backward"]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert check("ch99_nothing", {}) == {}
        assert check("ch07_cnn", None) == {}
    assert "could not run" in out.getvalue()


def test_a_fresh_notebook_imports_no_tensorflow():
    code = ("import sys\nfrom dlkit.exercises.selfcheck import check, ASSIGNMENTS\n"
            "for a in ASSIGNMENTS:\n    assert all(v is None for v in check(a, {}, verbose=False).values())\n"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'torch', 'jax')]\n"
            "assert not bad, bad\n")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_overflow_warning_of_a_naive_sigmoid_is_a_failure():
    code = "def sigmoid(x):\n    return 1 / (1 + np.exp(-x))\n"
    with replaced("ch02_mlp", code) as ns:
        results, lines = run_check("ch02_mlp", ns)
    assert_only(results, lines, "activations", False, "without warnings, got RuntimeWarning: overflow")
