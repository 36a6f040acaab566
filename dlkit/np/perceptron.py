"""Rosenblatt's perceptron (1958), the classic mistake-driven learning rule.

For each example (x_i, t_i) with t_i in {-1, +1}: if ``t_i * (w . x_i + b) <= 0`` (a mistake, points on
the boundary included) then ``w += lr * t_i * x_i`` and ``b += lr * t_i``. Training stops at the first
epoch without mistakes; by the perceptron convergence theorem that happens after finitely many updates
if and only if the data are linearly separable (XOR is not, so it never converges).

>>> import numpy as np
>>> X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]]); y = np.array([0, 0, 0, 1])   # AND
>>> p = Perceptron().fit(X, y); p.converged_, p.predict(X).tolist()
(True, [0, 0, 0, 1])
"""
import numpy as np

from dlkit.np.random import get_rng

__all__ = ["Perceptron"]


class Perceptron:
    """Binary perceptron with labels in {0, 1} or {-1, 1} (predictions use the same label set).

    Attributes after ``fit``: ``w_`` (n_features,), ``b_`` (float), ``errors_`` (mistakes per epoch),
    ``n_epochs_``, ``converged_`` (True when the last epoch had no mistakes), ``classes_``.
    """

    def __init__(self, learning_rate=1.0, max_epochs=100, shuffle=False, seed=None):
        if learning_rate <= 0:
            raise ValueError(f"Perceptron: learning_rate must be > 0, got {learning_rate}")
        if int(max_epochs) < 1:
            raise ValueError(f"Perceptron: max_epochs must be >= 1, got {max_epochs}")
        self.learning_rate, self.max_epochs, self.shuffle, self.seed = learning_rate, int(max_epochs), shuffle, seed

    @staticmethod
    def _check_X(X, n_features=None):
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2:
            raise ValueError(f"Perceptron: X must have shape (n_samples, n_features), got {X.shape}")
        if n_features is not None and X.shape[1] != n_features:
            raise ValueError(f"Perceptron: expected X of shape (n_samples, {n_features}), got {X.shape}")
        return X

    def fit(self, X, y):
        X = self._check_X(X)
        y = np.asarray(y).ravel()
        if len(y) != len(X):
            raise ValueError(f"Perceptron: X has {len(X)} rows but y has {len(y)} labels")
        labels = set(np.unique(y).tolist())
        if labels <= {0, 1}:
            self.classes_ = np.array([0, 1])
        elif labels <= {-1, 1}:
            self.classes_ = np.array([-1, 1])
        else:
            raise ValueError(f"Perceptron: labels must be in {{0, 1}} or {{-1, 1}}, got {sorted(labels)}")
        t = np.where(y == 1, 1.0, -1.0)
        rng = get_rng(self.seed)
        self.w_ = np.zeros(X.shape[1])
        self.b_ = 0.0
        self.errors_ = []
        self.converged_ = False
        lr = self.learning_rate
        for _ in range(self.max_epochs):
            order = rng.permutation(len(X)) if self.shuffle else range(len(X))
            mistakes = 0
            for i in order:
                if t[i] * (X[i] @ self.w_ + self.b_) <= 0:
                    self.w_ += lr * t[i] * X[i]
                    self.b_ += lr * t[i]
                    mistakes += 1
            self.errors_.append(mistakes)
            if mistakes == 0:
                self.converged_ = True
                break
        self.n_epochs_ = len(self.errors_)
        return self

    def _check_fitted(self):
        if not hasattr(self, "w_"):
            raise RuntimeError("Perceptron: call fit(X, y) before predict/decision_function/score")

    def decision_function(self, X):
        """Signed score ``X @ w_ + b_`` of shape (n_samples,)."""
        self._check_fitted()
        return self._check_X(X, len(self.w_)) @ self.w_ + self.b_

    def predict(self, X):
        """Class labels (same label set as in fit): positive class where the score is > 0."""
        return np.where(self.decision_function(X) > 0, self.classes_[1], self.classes_[0])

    def score(self, X, y):
        """Mean accuracy on (X, y)."""
        return float(np.mean(self.predict(X) == np.asarray(y).ravel()))

    def __repr__(self):
        return (f"Perceptron(learning_rate={self.learning_rate}, max_epochs={self.max_epochs}, "
                f"shuffle={self.shuffle}, seed={self.seed})")
