"""Learning tests for the recurrent layers (seeded, each well under 60 s on 2 cores):
an LSTM solves the adding problem where a SimpleRNN of the same size stays at the baseline, and a
character-level LSTM learns the offline template corpus well enough to generate real words."""
import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import dlkit.np as dnp
from dlkit.datasets.sequences import CharVocab, make_adding_problem, make_char_corpus, make_char_windows
from dlkit.np import layers as L

BASELINE_MSE = 1 / 6          # variance of the sum of two U(0, 1) values: predicting the mean


@pytest.fixture(autouse=True)
def _single_threaded_blas():
    """Per-step GEMMs are tiny: one BLAS thread is faster and immune to oversubscribed CI machines."""
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _fit_adding(cls, epochs=10, length=30):
    x, y = make_adding_problem(2000, length=length, seed=0)
    xv, yv = make_adding_problem(500, length=length, seed=1)
    dnp.set_seed(0)
    model = dnp.Sequential([cls(16), L.Dense(1)])
    model.compile(optimizer=dnp.optimizers.Adam(0.01), loss="mse")
    hist = model.fit(x, y, batch_size=32, epochs=epochs, verbose=0, validation_data=(xv, yv))
    return hist.history["val_loss"]


def test_lstm_solves_adding_problem_where_simple_rnn_fails():
    lstm, rnn = _fit_adding(L.LSTM), _fit_adding(L.SimpleRNN)
    assert lstm[-1] < 0.2 * BASELINE_MSE, lstm            # LSTM: near-perfect sums
    assert min(rnn) > 0.6 * BASELINE_MSE, rnn              # SimpleRNN: never leaves the baseline


def test_char_lstm_generates_corpus_words():
    text = make_char_corpus(seed=0)
    vocab = CharVocab(text)
    x, y = make_char_windows(vocab.encode(text), seq_len=32, step=16)
    dnp.set_seed(0)
    model = dnp.Sequential([L.Embedding(len(vocab), 16), L.LSTM(64, return_sequences=True),
                            L.Dense(len(vocab))])
    model.compile(optimizer=dnp.optimizers.Adam(0.01),
                  loss=dnp.losses.SparseCategoricalCrossentropy(from_logits=True))
    hist = model.fit(x, y, batch_size=32, epochs=6, verbose=0)
    losses = hist.history["loss"]
    assert losses[-1] < 0.5 * np.log(len(vocab)), losses  # far below a uniform guess
    # greedy generation from a prompt
    ids = list(vocab.encode("the cat "))
    for _ in range(80):
        logits = model(np.array([ids[-32:]]))[0, -1]
        ids.append(int(np.argmax(logits)))
    generated = vocab.decode(ids)
    words = set(text.replace(".", " ").split())
    gen_words = generated.replace(".", " ").split()[:-1]   # the last word may be cut off
    known = sum(w in words for w in gen_words)
    assert len(gen_words) >= 8 and known >= 0.8 * len(gen_words), generated
