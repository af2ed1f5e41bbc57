"""Every limit on one dataset, in one place, and the size check done before parsing cells.

Shape limits (413) bound the arrays; text limits (422) bound everything a dataset stores as
text — its name, feature names and class labels — so that the stored size of a dataset stays
a small constant times its cells whatever the upload holds.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import STATUS_TOO_LARGE, DatasetError, Loc, error

MIB = 1024 * 1024
#: Dataset names and feature (column) names.
MAX_NAME_CHARS = 200
#: Class labels (the values of a string target).
MAX_LABEL_CHARS = 256
#: Distinct classes of a string or boolean target.
MAX_CLASSES = 1000
# The decoded strings of an .npz (y, feature_names) may take as much memory as X does in
# float32, and always 1 MiB: a '<U1000' y of 100,000 rows is 400 MB once inflated, from an
# archive of a few hundred kB.
STRING_BYTES_PER_CELL = 4
MIN_STRING_BYTES = MIB


@dataclass(frozen=True)
class IngestLimits:
    """Upper bounds for one dataset; ``None`` means no bound of that kind."""

    max_cells: int = 100_000_000  # rows × features
    max_rows: int | None = None
    max_features: int | None = None
    max_name_chars: int = MAX_NAME_CHARS
    max_label_chars: int = MAX_LABEL_CHARS
    max_classes: int = MAX_CLASSES

    def __post_init__(self) -> None:
        for name in (
            "max_cells",
            "max_rows",
            "max_features",
            "max_name_chars",
            "max_label_chars",
            "max_classes",
        ):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"IngestLimits.{name} must be at least 1, got {value}")

    def max_string_bytes(self, n_rows: int, n_features: int) -> int:
        """How many bytes the decoded strings of one .npz array may take."""
        return max(STRING_BYTES_PER_CELL * n_rows * n_features, MIN_STRING_BYTES)


def check_size(
    limits: IngestLimits,
    n_rows: int,
    n_features: int,
    *,
    loc: Loc,
    approx: bool = False,
    n_targets: int = 1,
) -> None:
    """Raise a 413 :class:`DatasetError` when the shape is over any limit.

    ``approx`` marks a row count that is an upper bound (CSV lines counted before parsing), so
    the message does not claim more precision than it has. A multi-column target's cells
    (``n_targets`` > 1) count with the features': they are stored as much as X is.
    """
    about = "about " if approx else ""
    problems = []
    if limits.max_rows is not None and n_rows > limits.max_rows:
        problems.append(
            error(
                loc,
                f"the dataset has {about}{n_rows:,} rows, over the limit of "
                f"{limits.max_rows:,} rows",
            )
        )
    if limits.max_features is not None and n_features > limits.max_features:
        problems.append(
            error(
                loc,
                f"the dataset has {n_features:,} features, over the limit of "
                f"{limits.max_features:,} features",
            )
        )
    width = n_features + (n_targets if n_targets > 1 else 0)
    cells = n_rows * width
    if cells > limits.max_cells:
        columns = f"{n_features:,} features"
        if n_targets > 1:
            columns = f"({columns} + {n_targets:,} targets)"
        problems.append(
            error(
                loc,
                f"the dataset has {about}{n_rows:,} rows × {columns} = "
                f"{cells:,} cells, over the limit of {limits.max_cells:,} cells",
            )
        )
    if problems:
        raise DatasetError(problems, status=STATUS_TOO_LARGE)
