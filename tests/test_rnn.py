"""Gradient checks (float64, >= 5 time steps) and bad-input errors for Embedding, SimpleRNN, LSTM, GRU
and the functional step/sequence functions in dlkit.np.functional.rnn."""
import numpy as np
import pytest

import dlkit.np.functional as F
from dlkit.gradcheck import check_layer, eval_numerical_gradient, eval_numerical_gradient_array
from dlkit.gradcheck import scaled_rel_error
from dlkit.np import layers as L


def rel_error(analytic, numeric):
    # entries 100x below the largest are compared at that scale: BPTT gradients vanish to ~1e-7,
    # where central differences are at their noise floor
    return scaled_rel_error(analytic, numeric, scale=1e-2)

TOL = 1e-5   # max elementwise relative error; gradients through many sigmoid steps reach ~1e-4,
#              where central differences (h = 1e-5) are only accurate to ~1e-6 relative
RNNS = [(L.SimpleRNN, {}), (L.SimpleRNN, {"activation": "sigmoid"}), (L.LSTM, {}), (L.GRU, {}),
        (L.GRU, {"reset_after": False})]


def _x(shape=(3, 6, 4), seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("cls,kw", RNNS)
@pytest.mark.parametrize("return_sequences", [False, True])
def test_layer_gradcheck(cls, kw, return_sequences):
    layer = cls(5, return_sequences=return_sequences, dtype="float64", **kw)
    errors = check_layer(layer, _x(), h=1e-5)
    assert set(errors) == {"x", "kernel", "recurrent_kernel", "bias"}
    assert max(errors.values()) < TOL, errors


@pytest.mark.parametrize("cls,kw", RNNS)
def test_state_outputs_and_initial_state_gradients(cls, kw):
    """return_state outputs, gradients of final states and of the initial states."""
    rng = np.random.default_rng(1)
    x = _x()
    layer = cls(5, return_state=True, dtype="float64", **kw)
    n_states = 2 if cls is L.LSTM else 1
    init = [rng.standard_normal((3, 5)) for _ in range(n_states)]
    outs = layer(x, initial_state=init)
    assert len(outs) == 1 + n_states
    np.testing.assert_array_equal(outs[0], outs[1])                 # last output == final h
    ds = [rng.standard_normal(o.shape) for o in outs]

    def loss(_):
        return sum(np.sum(o * d) for o, d in zip(layer(x, initial_state=init), ds))

    dx = layer.backward(ds)
    assert rel_error(dx, eval_numerical_gradient(loss, x)) < TOL
    for s, ds0 in zip(init, layer.initial_state_grads):
        assert rel_error(ds0, eval_numerical_gradient(loss, s)) < TOL


def test_step_functions_match_numerical_gradients():
    rng = np.random.default_rng(2)
    N, D, U = 3, 4, 5
    x, h, c = rng.standard_normal((N, D)), rng.standard_normal((N, U)), rng.standard_normal((N, U))
    dh, dc = rng.standard_normal((N, U)), rng.standard_normal((N, U))
    # vanilla RNN
    Wx, Wh, b = rng.standard_normal((D, U)), rng.standard_normal((U, U)), rng.standard_normal(U)
    _, cache = F.rnn_step_forward(x, h, Wx, Wh, b)
    grads = F.rnn_step_backward(dh, cache)
    for g, v in zip(grads, (x, h, Wx, Wh, b)):
        num = eval_numerical_gradient_array(lambda _: F.rnn_step_forward(x, h, Wx, Wh, b)[0], v, dh)
        assert rel_error(g, num) < TOL
    # LSTM: loss = sum(h' * dh) + sum(c' * dc)
    Wx, Wh, b = rng.standard_normal((D, 4 * U)), rng.standard_normal((U, 4 * U)), rng.standard_normal(4 * U)
    _, _, cache = F.lstm_step_forward(x, h, c, Wx, Wh, b)
    grads = F.lstm_step_backward(dh, dc, cache)

    def lstm_loss(_):
        hn, cn, _ = F.lstm_step_forward(x, h, c, Wx, Wh, b)
        return np.sum(hn * dh) + np.sum(cn * dc)
    for g, v in zip(grads, (x, h, c, Wx, Wh, b)):
        assert rel_error(g, eval_numerical_gradient(lstm_loss, v)) < TOL
    # GRU (reset_after=True, bias (2, 3U))
    Wx, Wh, b = rng.standard_normal((D, 3 * U)), rng.standard_normal((U, 3 * U)), rng.standard_normal((2, 3 * U))
    _, cache = F.gru_step_forward(x, h, Wx, Wh, b)
    grads = F.gru_step_backward(dh, cache)
    for g, v in zip(grads, (x, h, Wx, Wh, b)):
        num = eval_numerical_gradient_array(lambda _: F.gru_step_forward(x, h, Wx, Wh, b)[0], v, dh)
        assert rel_error(g, num) < TOL


def test_embedding_scatter_add_gradient():
    rng = np.random.default_rng(3)
    ids = np.array([[0, 2, 2, 5], [5, 5, 1, 0]])            # repeated ids accumulate
    layer = L.Embedding(6, 3, dtype="float64")
    y = layer(ids)
    assert y.shape == (2, 4, 3)
    np.testing.assert_array_equal(y[0, 1], layer.params["embeddings"][2])
    dy = rng.standard_normal(y.shape)
    dx = layer.backward(dy)
    assert dx.shape == ids.shape and not dx.any()            # ids are not differentiable
    num = eval_numerical_gradient_array(lambda _: layer(ids), layer.params["embeddings"], dy)
    assert rel_error(layer.grads["embeddings"], num) < TOL
    np.testing.assert_allclose(layer.grads["embeddings"][3], 0)   # unused id: zero gradient


def test_state_grad_norms_show_vanishing_gradients():
    """A tanh RNN with a contractive recurrent matrix: the gradient of h_t shrinks going back in time."""
    layer = L.SimpleRNN(8, dtype="float64")
    x = _x((4, 20, 3))
    layer(x)
    layer.params["recurrent_kernel"][...] *= 0.5
    y = layer(x)
    dy = np.ones_like(y)
    layer.backward(dy)
    norms = layer.state_grad_norms
    assert norms.shape == (20,)
    assert norms[-1] == pytest.approx(np.linalg.norm(dy))
    assert np.all(np.diff(norms) > 0) and norms[0] < 1e-3 * norms[-1]
    lstm = L.LSTM(8, dtype="float64")
    lstm(x)
    lstm.backward(np.ones((4, 8)))
    assert lstm.state_grad_norms.shape == (20,) and lstm.state_grad_norms[0] > 0


@pytest.mark.parametrize("cls", [L.SimpleRNN, L.LSTM, L.GRU])
def test_rnn_bad_input(cls):
    layer = cls(4)
    with pytest.raises(ValueError, match=r"\(batch, timesteps, features\)"):
        layer(np.zeros((2, 3)))
    layer(np.zeros((2, 5, 3)))
    with pytest.raises(ValueError, match=r"expected input of shape \(batch, timesteps, 3\)"):
        layer(np.zeros((2, 5, 7)))
    with pytest.raises(ValueError, match="initial state"):
        layer(np.zeros((2, 5, 3)), initial_state=[np.zeros((2, 9))] * layer._n_states)
    with pytest.raises(ValueError, match="gradient of shape"):
        layer.backward(np.zeros((2, 5, 4)))
    with pytest.raises(RuntimeError, match="before forward"):
        cls(4).backward(np.zeros((2, 4)))


def test_embedding_bad_input():
    layer = L.Embedding(10, 4)
    with pytest.raises(IndexError, match=r"\[0, 10\)"):
        layer(np.array([[1, 10]]))
    with pytest.raises(IndexError, match=r"\[0, 10\)"):
        layer(np.array([[-1, 2]]))
    with pytest.raises(TypeError, match="integer ids"):
        layer(np.array([[0.5, 1.0]]))
    with pytest.raises(ValueError, match="positive integer"):
        L.Embedding(0, 4)
    np.testing.assert_array_equal(layer(np.array([[1.0, 2.0]])), layer(np.array([[1, 2]])))
