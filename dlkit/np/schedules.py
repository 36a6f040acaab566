"""Learning-rate schedules with Keras semantics: ``lr = schedule(step)``, ``step`` = optimizer iterations.

>>> s = ExponentialDecay(0.1, decay_steps=100, decay_rate=0.5)
>>> round(s(100), 6)
0.05
"""
import math

__all__ = ["LearningRateSchedule", "ExponentialDecay", "CosineDecay"]


class LearningRateSchedule:
    """Base class: a callable ``step -> learning rate``."""

    def __call__(self, step):
        raise NotImplementedError


class ExponentialDecay(LearningRateSchedule):
    """``lr(step) = initial_learning_rate * decay_rate ** (step / decay_steps)`` (exponent floored when
    ``staircase=True``), exactly as ``keras.optimizers.schedules.ExponentialDecay``."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="ExponentialDecay"):
        if decay_steps <= 0:
            raise ValueError(f"Argument `decay_steps` must be > 0. Received: decay_steps={decay_steps}")
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step):
        p = float(step) / self.decay_steps
        if self.staircase:
            p = math.floor(p)
        return self.initial_learning_rate * self.decay_rate ** p


class CosineDecay(LearningRateSchedule):
    """Cosine decay (optionally after a linear warmup), as ``keras.optimizers.schedules.CosineDecay``.

    Without warmup: ``lr(step) = lr0 * ((1 - alpha) * 0.5 * (1 + cos(pi * min(step, decay_steps) /
    decay_steps)) + alpha)``. With ``warmup_target``: linear ramp from ``initial_learning_rate`` to
    ``warmup_target`` during ``warmup_steps``, then cosine decay from ``warmup_target``.
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        if decay_steps <= 0:
            raise ValueError(f"Argument `decay_steps` must be > 0. Received: decay_steps={decay_steps}")
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def _decay(self, step, from_lr):
        cosine = 0.5 * (1.0 + math.cos(math.pi * step / self.decay_steps))
        return from_lr * ((1 - self.alpha) * cosine + self.alpha)

    def __call__(self, step):
        step = float(step)
        if self.warmup_target is None:
            return self._decay(min(step, self.decay_steps), self.initial_learning_rate)
        step = min(step, self.decay_steps + self.warmup_steps)
        if step < self.warmup_steps:
            frac = step / self.warmup_steps
            return (self.warmup_target - self.initial_learning_rate) * frac + self.initial_learning_rate
        return self._decay(step - self.warmup_steps, self.warmup_target)


def get(identifier):
    if isinstance(identifier, LearningRateSchedule) or callable(identifier):
        return identifier
    raise ValueError(f"expected a LearningRateSchedule or a callable step -> lr, got {identifier!r}")
