"""The result of parsing an upload: arrays ready for the engine plus what the API reports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from store.records import Label, TargetKind

# bool, signed and unsigned integers, floats: what X may be stored as.
FEATURE_KINDS = "biuf"


class EncodedTarget(NamedTuple):
    """``y`` is class codes (unsigned) indexing ``classes`` when ``kind`` is "categorical",
    else float64 values and ``classes`` is None. A multi-column target is 2-D: a 0/1 matrix
    (multilabel, or regression on its values) as uint8 codes into ``[0, 1]``, else float64."""

    y: np.ndarray
    kind: TargetKind
    classes: list[Label] | None


@dataclass(frozen=True, eq=False)  # eq=False: comparing arrays with == is ambiguous
class ParsedDataset:
    """A validated dataset.

    ``X`` is C-contiguous, 2-D ``(n_samples, n_features)``, every value finite and within
    float32's range: from JSON and CSV float32, or the smallest of uint8, int8, uint16, int16
    and int32 that holds the values when their float32 values are all integers within ±2**24
    (numeric.narrow_features); from an ``.npz`` the dtype it was saved in (bool, integers,
    float16/32/64). That is how it is stored.
    ``classes`` holds the sorted distinct target values as plain Python scalars (int, bool or
    str) when ``target_kind`` is "categorical", and ``y`` then holds each row's index into it,
    in an unsigned dtype; for "continuous" targets ``classes`` is None and ``y`` is float64.
    ``y`` is 2-D ``(n_samples, n_targets)`` for a multi-column target (``target_names``, when
    given, name its columns). ``weights``: one finite, non-negative float64 per row, not all
    zero (``weights_name``: the CSV column they came from), or None.
    """

    X: np.ndarray
    y: np.ndarray
    feature_names: list[str]
    target_name: str | None
    target_kind: TargetKind
    classes: list[Label] | None
    weights: np.ndarray | None = None
    target_names: list[str] | None = None
    weights_name: str | None = None

    def __post_init__(self) -> None:
        # Cheap invariant checks: a violation is a bug in this package, not bad user data,
        # so these are plain ValueErrors rather than DatasetErrors.
        X, y = self.X, self.y
        if X.dtype.kind not in FEATURE_KINDS or X.ndim != 2 or not X.flags.c_contiguous:
            raise ValueError(f"X must be a 2-D C-contiguous numeric array, got {X.dtype} {X.shape}")
        if y.ndim not in (1, 2) or y.shape[0] != X.shape[0] or (y.ndim == 2 and y.shape[1] < 2):
            raise ValueError(
                f"y must be 1-D with {X.shape[0]} values or 2-D with 2 or more columns, "
                f"got shape {y.shape}"
            )
        if self.target_names is not None and (y.ndim != 2 or len(self.target_names) != y.shape[1]):
            raise ValueError(f"{len(self.target_names)} target names for y of shape {y.shape}")
        w = self.weights
        if w is not None and (w.dtype != np.float64 or w.shape != (X.shape[0],)):
            raise ValueError(f"weights must be float64 of shape ({X.shape[0]},), got {w.shape}")
        if len(self.feature_names) != X.shape[1]:
            raise ValueError(f"{len(self.feature_names)} feature names for {X.shape[1]} features")
        if (self.classes is None) != (self.target_kind == "continuous"):
            raise ValueError("classes must be given exactly when target_kind is categorical")
        if self.classes is None and y.dtype != np.float64:
            raise ValueError(f"a continuous y must be float64, got {y.dtype}")
        if self.classes is not None and y.dtype.kind != "u":
            raise ValueError(f"a categorical y must hold class codes (unsigned), got {y.dtype}")

    @classmethod
    def of(
        cls,
        X: np.ndarray,
        target: EncodedTarget,
        feature_names: list[str],
        target_name: str | None = None,
        *,
        weights: np.ndarray | None = None,
        target_names: list[str] | None = None,
        weights_name: str | None = None,
    ) -> ParsedDataset:
        return cls(
            X=X,
            y=target.y,
            feature_names=feature_names,
            target_name=target_name,
            target_kind=target.kind,
            classes=target.classes,
            weights=weights,
            target_names=target_names,
            weights_name=weights_name,
        )

    @property
    def n_samples(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])

    @property
    def n_targets(self) -> int:
        return 1 if self.y.ndim == 1 else int(self.y.shape[1])

    def target_values(self) -> np.ndarray:
        """The targets as values (labels for categorical ones). This builds the wide array the
        codes avoid: for tests and small previews, never on the way to storage."""
        if self.classes is None or self.y.ndim == 2:  # a 0/1 matrix's codes are its values
            return self.y
        return np.asarray(self.classes)[self.y]
