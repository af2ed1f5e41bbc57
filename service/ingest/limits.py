"""Size limits of one dataset, checked before the expensive part of parsing."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import STATUS_TOO_LARGE, DatasetError, Loc, error


@dataclass(frozen=True)
class IngestLimits:
    """Upper bounds for one dataset; ``None`` means no bound of that kind."""

    max_cells: int = 20_000_000  # rows × features
    max_rows: int | None = None
    max_features: int | None = None

    def __post_init__(self) -> None:
        for name in ("max_cells", "max_rows", "max_features"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"IngestLimits.{name} must be at least 1, got {value}")


def check_size(
    limits: IngestLimits, n_rows: int, n_features: int, *, loc: Loc, approx: bool = False
) -> None:
    """Raise a 413 :class:`DatasetError` when the shape is over any limit.

    ``approx`` marks a row count that is an upper bound (CSV lines counted before parsing), so
    the message does not claim more precision than it has.
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
    cells = n_rows * n_features
    if cells > limits.max_cells:
        problems.append(
            error(
                loc,
                f"the dataset has {about}{n_rows:,} rows × {n_features:,} features = "
                f"{cells:,} cells, over the limit of {limits.max_cells:,} cells",
            )
        )
    if problems:
        raise DatasetError(problems, status=STATUS_TOO_LARGE)
