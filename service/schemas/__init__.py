"""The API's own shapes: request bodies, and the public views of the store's records.

One module per resource; everything is importable from here (``from service.schemas import
JobPublic``). The public models are built from the store's records field by field
(``job_public``, ``model_public``, ``dataset_public``), so what the API shows is decided here,
not by how Redis holds it.
"""

from service.schemas.common import (
    LOCATION_HEADER,
    MAX_NAME_CHARS,
    MAX_TAG_CHARS,
    MAX_TAGS,
    TAG_PATTERN,
    Name,
    NamingUpdate,
    Page,
    Tag,
    Tags,
)
from service.schemas.datasets import (
    EXAMPLE_DATASET,
    DatasetJSON,
    DatasetPublic,
    DatasetUpload,
    dataset_public,
)
from service.schemas.evaluation import (
    ClassificationScores,
    Evaluation,
    RegressionScores,
    SplitScores,
    evaluation_public,
)
from service.schemas.history import (
    EpochMetrics,
    History,
    HistoryEntry,
    epoch_metrics,
    history_public,
)
from service.schemas.jobs import JobCreate, JobErrorPublic, JobPublic, job_public
from service.schemas.models import ModelPublic, Prediction, PredictRequest, model_public
from service.schemas.ops import Health, Readiness
from service.schemas.problems import NotReady, Problem, ValidationIssue
from service.schemas.search_create import SearchCreate
from service.schemas.searches import SearchPublic, search_public

__all__ = [
    "EXAMPLE_DATASET",
    "LOCATION_HEADER",
    "MAX_NAME_CHARS",
    "MAX_TAGS",
    "MAX_TAG_CHARS",
    "TAG_PATTERN",
    "ClassificationScores",
    "DatasetJSON",
    "DatasetPublic",
    "DatasetUpload",
    "EpochMetrics",
    "Evaluation",
    "Health",
    "History",
    "HistoryEntry",
    "JobCreate",
    "JobErrorPublic",
    "JobPublic",
    "ModelPublic",
    "Name",
    "NamingUpdate",
    "NotReady",
    "Page",
    "PredictRequest",
    "Prediction",
    "Problem",
    "Readiness",
    "RegressionScores",
    "SearchCreate",
    "SearchPublic",
    "SplitScores",
    "Tag",
    "Tags",
    "ValidationIssue",
    "dataset_public",
    "epoch_metrics",
    "evaluation_public",
    "history_public",
    "job_public",
    "model_public",
    "search_public",
]
