"""The Python client of the mlpforge API.

>>> from mlpforge.client import Client
>>> with Client("http://127.0.0.1:8000", api_key="...") as client:
...     dataset = client.upload_dataset(X, y, name="iris")
...     job = client.train(dataset.id, "classification", {"hidden_layer_sizes": [16]})
...     job = client.wait(job.id, raise_on_failure=True)
...     labels = client.predict(job.model_id, X[:5])

Resources come back as pydantic models of the client's own (:class:`Dataset`, :class:`Job`,
:class:`Model`, ...), which keep any field the server adds (``job.to_dict()`` gives the raw
body); listings as iterators that follow ``next_cursor``; predictions as numpy arrays; error
answers as :class:`ApiError` subclasses carrying the problem+json fields.

``RemoteMLPClassifier`` / ``RemoteMLPRegressor`` (scikit-learn estimators that train on the
service) live in :mod:`mlpforge.remote` and are importable from here too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlpforge.client._async import AsyncClient
from mlpforge.client._errors import (
    ApiConnectionError,
    ApiError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    JobFailedError,
    MlpforgeError,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ServiceUnavailableError,
    ValidationError,
    WaitTimeoutError,
)
from mlpforge.client._models import (
    Dataset,
    Event,
    HistoryEntry,
    Identified,
    Job,
    Model,
    Page,
    Prediction,
    Readiness,
    Resource,
    Search,
)
from mlpforge.client._pager import AsyncPager, Pager
from mlpforge.client._sync import Client

if TYPE_CHECKING:
    from mlpforge.remote import RemoteMLPClassifier, RemoteMLPRegressor

__all__ = [
    "ApiConnectionError",
    "ApiError",
    "AsyncClient",
    "AsyncPager",
    "AuthenticationError",
    "BadRequestError",
    "Client",
    "ConflictError",
    "Dataset",
    "Event",
    "HistoryEntry",
    "Identified",
    "Job",
    "JobFailedError",
    "MlpforgeError",
    "Model",
    "NotFoundError",
    "Page",
    "Pager",
    "PayloadTooLargeError",
    "PermissionDeniedError",
    "Prediction",
    "RateLimitError",
    "Readiness",
    "RemoteMLPClassifier",
    "RemoteMLPRegressor",
    "Resource",
    "Search",
    "ServerError",
    "ServiceUnavailableError",
    "ValidationError",
    "WaitTimeoutError",
]


def __getattr__(name: str) -> Any:
    # The estimators import scikit-learn (~0.5 s): only when asked for.
    if name in ("RemoteMLPClassifier", "RemoteMLPRegressor"):
        from mlpforge import remote

        return getattr(remote, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
