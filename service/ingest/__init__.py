"""Parsing uploaded datasets (JSON bodies, CSV and .npz files) into arrays.

Pure functions over bytes: no HTTP, no storage. Every problem with the data raises
:class:`DatasetError`, whose ``errors`` (``[{"loc": [...], "msg": ...}]``) name the place —
row, column, array index — and whose ``status`` is 413 for size limits, else 422.
Categorical targets come out as class codes plus a class table (see targets).
"""

from .csv_file import parse_csv_dataset
from .dataset import EncodedTarget, ParsedDataset
from .errors import DatasetError
from .json_body import parse_json_dataset
from .limits import IngestLimits
from .names import check_dataset_name
from .npz_file import parse_npz_dataset
from .targets import MAX_CATEGORICAL_CLASSES, classify_target, encode_labels

__all__ = [
    "MAX_CATEGORICAL_CLASSES",
    "DatasetError",
    "EncodedTarget",
    "IngestLimits",
    "ParsedDataset",
    "check_dataset_name",
    "classify_target",
    "encode_labels",
    "parse_csv_dataset",
    "parse_json_dataset",
    "parse_npz_dataset",
]
