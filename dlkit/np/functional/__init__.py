"""CS231n-style functional core: ``*_forward(x, ...) -> (out, cache)``, ``*_backward(dout, cache) -> grads``."""
from dlkit.np.functional.dense import *  # noqa: F401,F403
from dlkit.np.functional.conv import *  # noqa: F401,F403
from dlkit.np.functional.pooling import *  # noqa: F401,F403
from dlkit.np.functional.normalization import *  # noqa: F401,F403
from dlkit.np.functional.rnn import *  # noqa: F401,F403
from dlkit.np.functional.attention import *  # noqa: F401,F403
from dlkit.np.functional.contrastive import *  # noqa: F401,F403
from dlkit.np.functional.vae import *  # noqa: F401,F403
from dlkit.np.functional.gan import *  # noqa: F401,F403
from dlkit.np.functional.diffusion import *  # noqa: F401,F403
