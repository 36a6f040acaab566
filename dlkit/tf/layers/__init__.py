"""dlkit.tf.layers: Keras names, arguments, defaults and weight layout; explicit TF ops, autodiff by GradientTape."""

from dlkit.tf.layers.core import *  # noqa: F401,F403
from dlkit.tf.layers.conv import *  # noqa: F401,F403
from dlkit.tf.layers.pooling import *  # noqa: F401,F403
from dlkit.tf.layers.normalization import *  # noqa: F401,F403
from dlkit.tf.layers.embedding import *  # noqa: F401,F403
from dlkit.tf.layers.recurrent import *  # noqa: F401,F403
from dlkit.tf.layers.lstm import *  # noqa: F401,F403
from dlkit.tf.layers.gru import *  # noqa: F401,F403
from dlkit.tf.layers.attention import *  # noqa: F401,F403
from dlkit.tf.layers.transformer import *  # noqa: F401,F403
from dlkit.tf.layers.conv_extra import *  # noqa: F401,F403
from dlkit.tf.layers.augmentation import *  # noqa: F401,F403
from dlkit.tf.layers.wrappers import *  # noqa: F401,F403
from dlkit.tf.layers.bidirectional import *  # noqa: F401,F403
from dlkit.tf.layers.merging import *  # noqa: F401,F403
from dlkit.tf.layers.seq2seq import *  # noqa: F401,F403
