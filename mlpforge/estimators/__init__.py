"""scikit-learn estimators over mlpforge's engine, in this process (no server).

>>> from mlpforge.estimators import MLPClassifier   # instead of sklearn.neural_network
>>> clf = MLPClassifier(hidden_layer_sizes=(64,), random_state=0).fit(X_train, y_train)
>>> clf.score(X_test, y_test)

scikit-learn's parameters (names, order, defaults), methods and fitted attributes, plus the
engine's extras (more solvers, activations and schedules, ``l1``, ``dropout``,
``clip_grad_norm``, ``standardize``, ``restore_best_weights``, ``dtype``). To train the same
model on an mlpforge service instead, see :mod:`mlpforge.remote`.
"""

from mlpforge.estimators._classifier import MLPClassifier
from mlpforge.estimators._regressor import MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor"]
