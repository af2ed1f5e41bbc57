"""scikit-learn estimators that train on an mlpforge service: change one import.

>>> from mlpforge.remote import RemoteMLPClassifier   # instead of sklearn.neural_network
>>> clf = RemoteMLPClassifier(hidden_layer_sizes=(32,), max_iter=50, url="http://...")
>>> clf.fit(X_train, y_train).score(X_test, y_test)

``fit`` uploads the data, starts a job with the estimator's parameters, waits for it (raising
:class:`~mlpforge.client.JobFailedError` if it fails) and reads back the model and its history;
``predict``, ``predict_proba`` and ``score`` call the service with the trained model. The
parameters are scikit-learn's ``MLPClassifier``/``MLPRegressor``'s (same names, meanings and
defaults) plus mlpforge's extras and a few of the service's own (``url``, ``api_key``,
``device``, ``max_runtime_secs``, ``timeout``, ``name``, ``tags``, ``keep_data``). Only
parameters that differ from their default are sent, so a server that does not know an
unused one (say ``max_fun``) is never bothered with it.

The fitted estimator holds ids, not a connection: it pickles, ``clone``s and works in
``GridSearchCV`` and pipelines like any other estimator.
"""

from mlpforge.remote._classifier import RemoteMLPClassifier
from mlpforge.remote._regressor import RemoteMLPRegressor

__all__ = ["RemoteMLPClassifier", "RemoteMLPRegressor"]
