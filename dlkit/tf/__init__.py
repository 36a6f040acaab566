"""dlkit.tf: the TensorFlow mirror of dlkit.np (same class names, arguments and weight layout).

Layers are ``keras.layers.Layer`` subclasses written with explicit TF ops; gradients come from
``tf.GradientTape``. TensorFlow places ops on a GPU by itself when it sees one.
"""
from dlkit.tf import activations, losses, layers, vision  # noqa: F401
from dlkit.tf.device import *  # noqa: F401,F403  (device_report)
from dlkit.tf.compare import *  # noqa: F401,F403  (copy_weights, first_step_check, timed_fit)
