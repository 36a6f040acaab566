"""Learning test: a tiny causal Transformer (dlkit.np, hand-written backward) learns to sort digit strings.

Sequence: ``a_1 .. a_6 SEP sort(a)_1 .. sort(a)_6`` over digits 0-9 (SEP = 10). The LM is trained with
teacher forcing on the next-token loss of the sorted half only (per-token mask); it must reach >= 99%
token accuracy on held-out strings, and greedy generation must sort them too. Seeded; < 60 s on 2 cores.
"""
import time

import numpy as np
from threadpoolctl import threadpool_limits

import dlkit.np as dnp
from dlkit.np.optimizers import Adam, CosineDecay
from dlkit.np.sequence import TransformerLM, token_accuracy

L, SEP = 6, 10


def make_batch(rng, n):
    a = rng.integers(0, 10, (n, L))
    seq = np.concatenate([a, np.full((n, 1), SEP), np.sort(a, axis=1)], axis=1)
    x, y = seq[:, :-1], seq[:, 1:]
    mask = np.zeros(y.shape, dtype=bool)
    mask[:, L:] = True                      # only score the sorted half
    return x, y, mask


def test_tiny_transformer_learns_sorting():
    dnp.set_seed(0)
    rng = np.random.default_rng(0)
    x_test, y_test, m_test = make_batch(np.random.default_rng(123), 1000)
    steps = 300
    model = TransformerLM(vocab_size=11, seq_len=2 * L, d_model=64, num_heads=4, ff_dim=128, num_layers=2)
    model.compile(Adam(learning_rate=CosineDecay(3e-3, decay_steps=steps, alpha=0.02)))
    before = model.evaluate(x_test, y_test, sample_weight=m_test, return_dict=True)["token_accuracy"]
    t0 = time.perf_counter()
    with threadpool_limits(1):   # tiny GEMMs: one BLAS thread is faster and immune to oversubscription
        for _ in range(steps):
            model.train_on_batch(*make_batch(rng, 64))
    elapsed = time.perf_counter() - t0
    res = model.evaluate(x_test, y_test, sample_weight=m_test, return_dict=True)
    print(f"sorting: token accuracy {before:.3f} -> {res['token_accuracy']:.4f}, loss {res['loss']:.4f}, "
          f"{elapsed:.1f} s")
    assert before < 0.5
    assert res["token_accuracy"] >= 0.99
    assert elapsed < 60
    # autoregressive decoding cannot peek at the answer: generate the sorted half from the prompt
    gen = model.generate(x_test[:200, :L + 1], steps=L)
    assert np.mean(gen[:, L + 1:] == np.sort(x_test[:200, :L], axis=1)) >= 0.98
    # the causal mask: changing future tokens leaves earlier logits unchanged
    x2 = x_test[:50].copy()
    x2[:, 9:] = (x2[:, 9:] + 1) % 10
    np.testing.assert_array_equal(model.predict(x_test[:50])[:, :9], model.predict(x2)[:, :9])
    assert token_accuracy(y_test, model.predict(x_test), m_test) == res["token_accuracy"]


def test_fit_api_lowers_masked_loss_and_reports_history():
    dnp.set_seed(1)
    x, y, mask = make_batch(np.random.default_rng(1), 128)
    model = TransformerLM(vocab_size=11, seq_len=2 * L, d_model=16, num_heads=2, ff_dim=32, num_layers=1,
                          positional="sinusoidal", norm_first=False)
    model.compile(Adam(learning_rate=3e-3))
    with threadpool_limits(1):
        hist = model.fit(x, y, sample_weight=mask, epochs=5, batch_size=32,
                         validation_data=(x, y, mask), verbose=0).history
    assert sorted(hist) == ["loss", "token_accuracy", "val_loss", "val_token_accuracy"]
    assert len(hist["loss"]) == 5 and hist["loss"][-1] < 0.8 * hist["loss"][0]
    assert model.evaluate(x, y, sample_weight=mask, return_dict=True)["loss"] == hist["val_loss"][-1]
