"""Which device TensorFlow computes on. TF places ops on a visible GPU by itself; nothing to hand-roll."""
import tensorflow as tf

__all__ = ["device_report"]


def device_report(print_it=True):
    """A one-line report such as "TensorFlow 2.21.0: no GPU visible, running on CPU"; printed unless
    ``print_it=False``, and returned."""
    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        msg = f"TensorFlow {tf.__version__}: no GPU visible, running on CPU"
    else:
        names = []
        for g in gpus:
            try:
                details = tf.config.experimental.get_device_details(g)
            except Exception:  # details are optional; the device name is enough
                details = {}
            label = details.get("device_name")
            names.append(f"{g.name} ({label})" if label else g.name)
        msg = f"TensorFlow {tf.__version__}: {len(gpus)} GPU(s) visible: {', '.join(names)}"
    if print_it:
        print(msg)
    return msg
