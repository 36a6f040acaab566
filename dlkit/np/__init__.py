"""dlkit.np: the NumPy reference implementation. Importing it never imports TensorFlow.

>>> import dlkit.np as dnp
>>> model = dnp.Sequential([dnp.layers.Dense(16, activation="relu"), dnp.layers.Dense(1)])
"""
from dlkit.np import activations, initializers, losses, optimizers, callbacks, metrics, layers, functional
from dlkit.np import regularizers, schedules
from dlkit.np.random import set_seed
from dlkit.np.model import *  # noqa: F401,F403  (Model, Input, train_step)
from dlkit.np.sequential import *  # noqa: F401,F403  (Sequential)
from dlkit.np.callbacks import *  # noqa: F401,F403  (History, EarlyStopping)
from dlkit.np.perceptron import *  # noqa: F401,F403  (Perceptron)
from dlkit.np.sequence import *  # noqa: F401,F403  (sequence-model helpers)
from dlkit.np import models, saving  # noqa: E402
from dlkit.np.saving import save_model, load_model  # noqa: E402,F401
from dlkit.np.keras_bridge import to_keras, from_keras  # noqa: E402,F401
