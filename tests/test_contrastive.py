"""dlkit.np.functional.info_nce_*: the NT-Xent loss of SimCLR against a naive loop, central differences and TF."""
import numpy as np
import pytest

from dlkit.gradcheck import eval_numerical_gradient, scaled_rel_error
from dlkit.np.functional import info_nce_backward, info_nce_forward


def _views(n=6, d=5, seed=0):
    rng = np.random.default_rng(seed)
    z1 = rng.standard_normal((n, d))
    return z1, z1 + 0.5 * rng.standard_normal((n, d))  # correlated views, as after training


def _naive_loss(z1, z2, tau):
    """The definition, one anchor at a time with Python loops (an independent reference)."""
    z = [v / np.linalg.norm(v) for v in np.concatenate([z1, z2])]
    n2, n = len(z), len(z1)
    total = 0.0
    for i in range(n2):
        p = (i + n) % n2
        den = sum(np.exp(z[i] @ z[k] / tau) for k in range(n2) if k != i)
        total += -np.log(np.exp(z[i] @ z[p] / tau) / den)
    return total / n2


@pytest.mark.parametrize("tau", [0.1, 0.5, 1.0])
def test_forward_matches_naive_definition(tau):
    z1, z2 = _views()
    loss, _ = info_nce_forward(z1, z2, temperature=tau)
    assert abs(loss - _naive_loss(z1, z2, tau)) < 1e-12


def test_loss_is_scale_invariant_and_perfect_views_score_low():
    z1, z2 = _views()
    a, _ = info_nce_forward(z1, z2)
    b, _ = info_nce_forward(3.0 * z1, 0.2 * z2)
    assert abs(a - b) < 1e-12
    rng = np.random.default_rng(1)
    far = np.linalg.qr(rng.standard_normal((8, 8)))[0][:6]  # orthonormal rows, identical views
    good, _ = info_nce_forward(far, far.copy(), temperature=0.1)
    bad, _ = info_nce_forward(far, far[::-1].copy(), temperature=0.1)  # positives swapped with negatives
    assert good < 0.01 < 1.0 < bad


@pytest.mark.parametrize("tau", [0.2, 1.0])
def test_backward_central_differences(tau):
    z1, z2 = _views(n=5, d=4, seed=tau > 0.5)
    _, cache = info_nce_forward(z1, z2, temperature=tau)
    dz1, dz2 = info_nce_backward(1.0, cache)
    num1 = eval_numerical_gradient(lambda v: info_nce_forward(v, z2, temperature=tau)[0], z1.copy(), h=1e-6)
    num2 = eval_numerical_gradient(lambda v: info_nce_forward(z1, v, temperature=tau)[0], z2.copy(), h=1e-6)
    assert scaled_rel_error(dz1, num1) < 1e-7
    assert scaled_rel_error(dz2, num2) < 1e-7
    dz1_half, _ = info_nce_backward(0.5, cache)  # dloss scales the gradient
    np.testing.assert_allclose(dz1_half, 0.5 * dz1, rtol=1e-12)


def test_gradient_is_tangent_to_the_sphere():
    z1, z2 = _views()
    _, cache = info_nce_forward(z1, z2)
    dz1, dz2 = info_nce_backward(1.0, cache)
    assert np.max(np.abs(np.sum(dz1 * z1, axis=1))) < 1e-12  # scaling a row does not change the loss
    assert np.max(np.abs(np.sum(dz2 * z2, axis=1))) < 1e-12


def _tf_nt_xent(tf, z1, z2, tau):
    """NT-Xent written with TensorFlow ops (as in the SimCLR code: a masked softmax cross-entropy)."""
    n = tf.shape(z1)[0]
    z = tf.math.l2_normalize(tf.concat([z1, z2], axis=0), axis=1)
    s = tf.matmul(z, z, transpose_b=True) / tau
    s = s - 1e9 * tf.eye(2 * n, dtype=s.dtype)
    labels = tf.concat([tf.range(n, 2 * n), tf.range(n)], axis=0)
    return tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=s))


@pytest.mark.parametrize("tau", [0.1, 0.5])
def test_forward_and_backward_match_tensorflow(tau):
    tf = pytest.importorskip("tensorflow")
    z1, z2 = _views(n=8, d=6, seed=3)
    t1, t2 = tf.Variable(z1), tf.Variable(z2)
    with tf.GradientTape() as tape:
        ref = _tf_nt_xent(tf, t1, t2, tau)
    g1, g2 = tape.gradient(ref, [t1, t2])
    loss, cache = info_nce_forward(z1, z2, temperature=tau)
    dz1, dz2 = info_nce_backward(1.0, cache)
    assert abs(loss - float(ref)) < 1e-12
    np.testing.assert_allclose(dz1, g1.numpy(), rtol=1e-9, atol=1e-13)
    np.testing.assert_allclose(dz2, g2.numpy(), rtol=1e-9, atol=1e-13)


def test_bad_input_names_the_argument():
    z1, z2 = _views()
    with pytest.raises(ValueError, match="z1 and z2"):
        info_nce_forward(z1, z2[:-1])
    with pytest.raises(ValueError, match="N >= 2"):
        info_nce_forward(z1[:1], z2[:1])
    with pytest.raises(TypeError, match="z2"):
        info_nce_forward(z1, z2.tolist())
    with pytest.raises(TypeError, match="z1"):
        info_nce_forward(z1[0], z2[0])
    with pytest.raises(ValueError, match="temperature"):
        info_nce_forward(z1, z2, temperature=0.0)
    for bad in (0.0, -1e-12, "1e-12"):
        with pytest.raises(ValueError, match="epsilon"):
            info_nce_forward(z1, z2, epsilon=bad)
