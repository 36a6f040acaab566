"""Realistic answers to ch18_vae_gan (see ../mutation.py): (task, "wrong" | "correct", why, cell source)."""
_REPARAM = '''
def reparameterize(mu, log_var, eps):
    sigma = np.exp(0.5 * np.asarray(log_var, dtype=np.float64))
    return np.asarray(mu, dtype=np.float64) + sigma * eps


def reparameterize_backward(dz, log_var, eps):
    dz = np.asarray(dz, dtype=np.float64)
    sigma = np.exp(0.5 * np.asarray(log_var, dtype=np.float64))
    dmu = dz.copy()
    dlog_var = dz * 0.5 * sigma * eps
    return dmu, dlog_var
'''
_KL = '''
def gaussian_kl(mu, log_var):
    mu, log_var = np.asarray(mu, dtype=np.float64), np.asarray(log_var, dtype=np.float64)
    per_example = 0.5 * np.sum(np.exp(log_var) + mu ** 2 - 1.0 - log_var, axis=1)
    return float(np.mean(per_example))


def gaussian_kl_backward(mu, log_var):
    mu, log_var = np.asarray(mu, dtype=np.float64), np.asarray(log_var, dtype=np.float64)
    B = mu.shape[0]
    dmu = mu / B
    dlog_var = 0.5 * (np.exp(log_var) - 1.0) / B
    return dmu, dlog_var
'''
_GAN = '''
def discriminator_loss(real_logits, fake_logits):
    real = np.asarray(real_logits, dtype=np.float64)
    fake = np.asarray(fake_logits, dtype=np.float64)
    loss = np.mean(np.logaddexp(0.0, -real)) + np.mean(np.logaddexp(0.0, fake))
    d_real = -np.exp(-np.logaddexp(0.0, real)) / real.size
    d_fake = np.exp(-np.logaddexp(0.0, -fake)) / fake.size
    return float(loss), (d_real, d_fake)


def generator_loss(fake_logits):
    fake = np.asarray(fake_logits, dtype=np.float64)
    loss = np.mean(np.logaddexp(0.0, -fake))
    d_fake = -np.exp(-np.logaddexp(0.0, fake)) / fake.size
    return float(loss), d_fake
'''


def _edit(source, *pairs):
    """The reference cell with realistic mistakes: each `old` (which must occur exactly once) becomes `new`."""
    for old, new in zip(pairs[::2], pairs[1::2]):
        assert source.count(old) == 1, old
        source = source.replace(old, new)
    return source


ANSWERS = [
    # -- Task 1: the reparameterized sample and its backward ----------------------------------------------------------
    ("reparameterize", "wrong", "exp(log_var) taken as the standard deviation (it is the variance), backward alike",
     _edit(_REPARAM, "sigma = np.exp(0.5 * np.asarray(log_var, dtype=np.float64))\n    return",
           "sigma = np.exp(np.asarray(log_var, dtype=np.float64))\n    return",
           "sigma = np.exp(0.5 * np.asarray(log_var, dtype=np.float64))\n    dmu",
           "sigma = np.exp(np.asarray(log_var, dtype=np.float64))\n    dmu",
           "dlog_var = dz * 0.5 * sigma * eps", "dlog_var = dz * sigma * eps")),
    ("reparameterize", "wrong", "dlog_var misses the 1/2 of the chain rule through exp(log_var / 2)",
     _edit(_REPARAM, "dlog_var = dz * 0.5 * sigma * eps", "dlog_var = dz * sigma * eps")),
    ("reparameterize", "wrong", "dlog_var forgets the noise: d sigma / d log_var times dz, without eps",
     _edit(_REPARAM, "dlog_var = dz * 0.5 * sigma * eps", "dlog_var = dz * 0.5 * sigma")),
    ("reparameterize", "wrong", "draws fresh noise instead of using the given eps",
     _edit(_REPARAM, "return np.asarray(mu, dtype=np.float64) + sigma * eps",
           "return np.asarray(mu, dtype=np.float64) + sigma * np.random.standard_normal(np.shape(mu))")),
    ("reparameterize", "wrong", "adds the noise to mu in place (z = mu; z += sigma * eps)", '''
def reparameterize(mu, log_var, eps):
    z = mu
    z += np.exp(0.5 * log_var) * eps
    return z


def reparameterize_backward(dz, log_var, eps):
    return dz.copy(), 0.5 * dz * np.exp(0.5 * log_var) * eps
'''),
    ("reparameterize", "wrong", "calls dlkit's reparameterize_forward/backward (policy: scores 0)", '''
from dlkit.np.functional.vae import reparameterize_backward as _rb, reparameterize_forward as _rf


def reparameterize(mu, log_var, eps):
    return _rf(mu, log_var, eps)[0]


def reparameterize_backward(dz, log_var, eps):
    return _rb(dz, _rf(np.zeros_like(log_var), log_var, eps)[1])
'''),
    ("reparameterize", "correct", "one entry at a time, sigma = sqrt(exp(log_var)), math.exp", '''
import math


def reparameterize(mu, log_var, eps):
    z = np.empty(np.shape(mu))
    for i in np.ndindex(z.shape):
        z[i] = mu[i] + math.sqrt(math.exp(log_var[i])) * eps[i]
    return z


def reparameterize_backward(dz, log_var, eps):
    dlog_var = np.empty(np.shape(dz))
    for i in np.ndindex(dlog_var.shape):
        sigma = math.sqrt(math.exp(log_var[i]))
        dlog_var[i] = dz[i] * eps[i] * sigma / 2       # d sigma / d log_var = sigma / 2
    return np.array(dz, dtype=float), dlog_var
'''),
    ("reparameterize", "correct", "np.add/np.multiply, dmu returned as dz itself (no copy), (z - mu) form", '''
def reparameterize(mu, log_var, eps):
    return np.add(mu, np.multiply(np.exp(log_var / 2), eps))


def reparameterize_backward(dz, log_var, eps):
    noise_part = np.exp(log_var / 2) * eps             # z - mu
    return dz, dz * noise_part / 2
'''),
    # -- Task 2: the closed-form KL and its gradient -------------------------------------------------------------------
    ("gaussian_kl", "wrong", "sign flipped: 0.5 sum(1 + log_var - mu^2 - exp(log_var)), the ELBO's term (-KL)",
     _edit(_KL, "per_example = 0.5 * np.sum(np.exp(log_var) + mu ** 2 - 1.0 - log_var, axis=1)",
           "per_example = 0.5 * np.sum(1.0 + log_var - mu ** 2 - np.exp(log_var), axis=1)",
           "dmu = mu / B", "dmu = -mu / B",
           "dlog_var = 0.5 * (np.exp(log_var) - 1.0) / B", "dlog_var = 0.5 * (1.0 - np.exp(log_var)) / B")),
    ("gaussian_kl", "wrong", "the -1 of each term forgotten (KL of the prior with itself is K/2)",
     _edit(_KL, "np.exp(log_var) + mu ** 2 - 1.0 - log_var", "np.exp(log_var) + mu ** 2 - log_var")),
    ("gaussian_kl", "wrong", "mean over the latent dimensions instead of the sum (loss and gradient)",
     _edit(_KL, "per_example = 0.5 * np.sum(np.exp(log_var) + mu ** 2 - 1.0 - log_var, axis=1)",
           "per_example = 0.5 * np.mean(np.exp(log_var) + mu ** 2 - 1.0 - log_var, axis=1)",
           "B = mu.shape[0]", "B = mu.size")),
    ("gaussian_kl", "wrong", "summed over the batch too (no 1/B, loss and gradient)",
     _edit(_KL, "return float(np.mean(per_example))", "return float(np.sum(per_example))",
           "B = mu.shape[0]", "B = 1")),
    ("gaussian_kl", "wrong", "log_var read as log sigma: variance exp(2 log_var), KL and gradient of that", '''
def gaussian_kl(mu, log_var):
    var = np.exp(2 * log_var)
    return float(np.mean(np.sum(0.5 * (var + mu ** 2 - 1) - log_var, axis=1)))


def gaussian_kl_backward(mu, log_var):
    B = mu.shape[0]
    return mu / B, (np.exp(2 * log_var) - 1) / B
'''),
    ("gaussian_kl", "wrong", "dlog_var misses the 1/2: (exp(log_var) - 1) / B",
     _edit(_KL, "dlog_var = 0.5 * (np.exp(log_var) - 1.0) / B", "dlog_var = (np.exp(log_var) - 1.0) / B")),
    ("gaussian_kl", "correct", "the Keras VAE example's form: -0.5 (1 + log_var - mu^2 - exp(log_var))", '''
def gaussian_kl(mu, log_var):
    kl = -0.5 * (1 + log_var - np.square(mu) - np.exp(log_var))
    return np.mean(np.sum(kl, axis=1))


def gaussian_kl_backward(mu, log_var):
    n = len(mu)
    return mu / n, -0.5 * (1 - np.exp(log_var)) / n
'''),
    ("gaussian_kl", "correct", "in terms of sigma: -log sigma + (sigma^2 + mu^2 - 1) / 2, gradient via d sigma", '''
def gaussian_kl(mu, log_var):
    sigma = np.sqrt(np.exp(log_var))
    terms = -np.log(sigma) + (sigma ** 2 + mu ** 2 - 1) / 2
    return terms.sum() / mu.shape[0]


def gaussian_kl_backward(mu, log_var):
    sigma = np.sqrt(np.exp(log_var))
    dsigma = (-1 / sigma + sigma) / mu.shape[0]        # dKL/dsigma
    return mu / mu.shape[0], dsigma * sigma / 2        # dsigma/dlog_var = sigma / 2
'''),
    ("gaussian_kl", "correct", "the general Gaussian formula: trace, mu^T mu, K and log det, one example at a time",
     '''
def gaussian_kl(mu, log_var):
    B, K = mu.shape
    total = 0.0
    for n in range(B):
        cov = np.diag(np.exp(log_var[n]))
        total += 0.5 * (np.trace(cov) + mu[n] @ mu[n] - K - np.linalg.slogdet(cov)[1])
    return total / B


def gaussian_kl_backward(mu, log_var):
    B = mu.shape[0]
    return np.array(mu, dtype=float) / B, (np.exp(log_var) - 1) / (2 * B)
'''),
    # -- Task 3: the GAN losses ----------------------------------------------------------------------------------------
    ("gan_losses", "wrong", "naive -log(sigmoid(a)): log(0) = -inf at logits of +-1000 (gradients naive but fine)", '''
def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def discriminator_loss(real_logits, fake_logits):
    loss = -np.mean(np.log(sigmoid(real_logits))) - np.mean(np.log(1.0 - sigmoid(fake_logits)))
    return float(loss), ((sigmoid(real_logits) - 1.0) / real_logits.size, sigmoid(fake_logits) / fake_logits.size)


def generator_loss(fake_logits):
    return float(-np.mean(np.log(sigmoid(fake_logits)))), (sigmoid(fake_logits) - 1.0) / fake_logits.size
'''),
    ("gan_losses", "wrong", "stable losses, but sigmoid as exp(a) / (1 + exp(a)): inf / inf = nan at a = 1000",
     _edit(_GAN, "d_real = -np.exp(-np.logaddexp(0.0, real)) / real.size",
           "d_real = (np.exp(real) / (1.0 + np.exp(real)) - 1.0) / real.size",
           "d_fake = np.exp(-np.logaddexp(0.0, -fake)) / fake.size",
           "d_fake = np.exp(fake) / (1.0 + np.exp(fake)) / fake.size",
           "d_fake = -np.exp(-np.logaddexp(0.0, fake)) / fake.size",
           "d_fake = (np.exp(fake) / (1.0 + np.exp(fake)) - 1.0) / fake.size")),
    ("gan_losses", "wrong", "saturating generator loss mean(log(1 - sigmoid(a))) and its gradient -sigmoid(a)",
     _edit(_GAN, "loss = np.mean(np.logaddexp(0.0, -fake))", "loss = -np.mean(np.logaddexp(0.0, fake))",
           "d_fake = -np.exp(-np.logaddexp(0.0, fake)) / fake.size",
           "d_fake = -np.exp(-np.logaddexp(0.0, -fake)) / fake.size")),
    ("gan_losses", "wrong", "gradient signs flipped (label - sigmoid(a), the ascent direction of the discriminator)",
     _edit(_GAN, "d_real = -np.exp(-np.logaddexp(0.0, real)) / real.size",
           "d_real = np.exp(-np.logaddexp(0.0, real)) / real.size",
           "d_fake = np.exp(-np.logaddexp(0.0, -fake)) / fake.size",
           "d_fake = -np.exp(-np.logaddexp(0.0, -fake)) / fake.size",
           "d_fake = -np.exp(-np.logaddexp(0.0, fake)) / fake.size",
           "d_fake = np.exp(-np.logaddexp(0.0, fake)) / fake.size")),
    ("gan_losses", "wrong", "gradients without the 1/N of the means",
     _edit(_GAN, "d_real = -np.exp(-np.logaddexp(0.0, real)) / real.size",
           "d_real = -np.exp(-np.logaddexp(0.0, real))",
           "d_fake = np.exp(-np.logaddexp(0.0, -fake)) / fake.size", "d_fake = np.exp(-np.logaddexp(0.0, -fake))",
           "d_fake = -np.exp(-np.logaddexp(0.0, fake)) / fake.size", "d_fake = -np.exp(-np.logaddexp(0.0, fake))")),
    ("gan_losses", "wrong", "one mean over all N_r + N_f logits (real and fake concatenated with their labels)", '''
def discriminator_loss(real_logits, fake_logits):
    a = np.concatenate([np.ravel(real_logits), np.ravel(fake_logits)])
    y = np.concatenate([np.ones(np.size(real_logits)), np.zeros(np.size(fake_logits))])
    loss = np.mean(np.maximum(a, 0) - a * y + np.log1p(np.exp(-np.abs(a))))
    g = (np.exp(-np.logaddexp(0.0, -a)) - y) / a.size
    n = np.size(real_logits)
    return float(loss), (g[:n].reshape(np.shape(real_logits)), g[n:].reshape(np.shape(fake_logits)))


def generator_loss(fake_logits):
    fake = np.asarray(fake_logits, dtype=np.float64)
    return float(np.mean(np.logaddexp(0.0, -fake))), -np.exp(-np.logaddexp(0.0, fake)) / fake.size
'''),
    ("gan_losses", "correct", "TF's max(a, 0) - a y + log1p(exp(-|a|)), own helpers named like dlkit's", '''
def sigmoid(a):
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1 / (1 + e), e / (1 + e))


def softplus(a):
    return np.maximum(a, 0) + np.log1p(np.exp(-np.abs(a)))


def bce_with_logits(a, label):
    return softplus(a) - a * label       # = max(a, 0) - a y + log(1 + exp(-|a|))


def discriminator_loss(real_logits, fake_logits):
    loss = bce_with_logits(real_logits, 1.0).mean() + bce_with_logits(fake_logits, 0.0).mean()
    return loss, ((sigmoid(real_logits) - 1) / len(real_logits), sigmoid(fake_logits) / len(fake_logits))


def generator_loss(fake_logits):
    return bce_with_logits(fake_logits, 1.0).mean(), (sigmoid(fake_logits) - 1) / len(fake_logits)
'''),
    ("gan_losses", "correct", "scipy.special.log_expit and expit", '''
from scipy.special import expit, log_expit


def discriminator_loss(real_logits, fake_logits):
    loss = -np.mean(log_expit(real_logits)) - np.mean(log_expit(-fake_logits))   # 1 - sigmoid(a) = sigmoid(-a)
    return float(loss), (-expit(-real_logits) / real_logits.size, expit(fake_logits) / fake_logits.size)


def generator_loss(fake_logits):
    return float(-np.mean(log_expit(fake_logits))), -expit(-fake_logits) / fake_logits.size
'''),
    ("gan_losses", "correct", "one logit at a time in plain Python with a branch on the sign", '''
import math


def _softplus(x):
    return x + math.log1p(math.exp(-x)) if x > 0 else math.log1p(math.exp(x))


def _sigmoid(x):
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


def discriminator_loss(real_logits, fake_logits):
    r, f = np.ravel(real_logits), np.ravel(fake_logits)
    loss = sum(_softplus(-x) for x in r) / len(r) + sum(_softplus(x) for x in f) / len(f)
    d_real = np.array([(_sigmoid(x) - 1) / len(r) for x in r]).reshape(np.shape(real_logits))
    d_fake = np.array([_sigmoid(x) / len(f) for x in f]).reshape(np.shape(fake_logits))
    return loss, (d_real, d_fake)


def generator_loss(fake_logits):
    f = np.ravel(fake_logits)
    loss = sum(_softplus(-x) for x in f) / len(f)
    return loss, np.array([(_sigmoid(x) - 1) / len(f) for x in f]).reshape(np.shape(fake_logits))
'''),
]
