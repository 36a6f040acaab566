"""dlkit.np layers: Keras names, arguments, defaults and weight layout; hand-written backward."""
from dlkit.np.base import Layer
from dlkit.np.graph import Input
from dlkit.np.layers.core import *  # noqa: F401,F403
from dlkit.np.layers.conv import *  # noqa: F401,F403
from dlkit.np.layers.pooling import *  # noqa: F401,F403
from dlkit.np.layers.normalization import *  # noqa: F401,F403
from dlkit.np.layers.embedding import *  # noqa: F401,F403
from dlkit.np.layers.recurrent import *  # noqa: F401,F403
from dlkit.np.layers.lstm import *  # noqa: F401,F403
from dlkit.np.layers.gru import *  # noqa: F401,F403
from dlkit.np.layers.attention import *  # noqa: F401,F403
from dlkit.np.layers.transformer import *  # noqa: F401,F403
from dlkit.np.layers.merging import *  # noqa: F401,F403
from dlkit.np.layers.conv_extra import *  # noqa: F401,F403
from dlkit.np.layers.augmentation import *  # noqa: F401,F403
from dlkit.np.layers.wrappers import *  # noqa: F401,F403
from dlkit.np.layers.bidirectional import *  # noqa: F401,F403
from dlkit.np.layers.seq2seq import *  # noqa: F401,F403
