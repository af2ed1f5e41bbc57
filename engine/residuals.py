"""The training RMSE of an epoch in the target's own units, gathered batch by batch.

The network learns standardized targets, so its loss is in standard deviations; people read
errors in the target's units (dollars, degrees). Each mini-batch's outputs are compared with
its targets right after the forward pass that produced its loss, so the figure describes the
same predictions as the epoch's ``loss`` at the cost of a [batch, n_outputs] subtraction.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType

import numpy as np

from engine.xp import Array, to_host


class SquaredResiduals:
    """Sums of squared residuals per output, on the training device, in float64."""

    def __init__(
        self,
        xp: ModuleType,
        y_scale: np.ndarray | None,
        n_outputs: int,
        sums: Sequence[float] | None = None,
    ) -> None:
        start = np.zeros(n_outputs) if sums is None else np.asarray(sums, dtype=np.float64)
        if start.shape != (n_outputs,):
            raise ValueError(f"squared residuals: expected {n_outputs} sums, got {start.shape}")
        self._sums = xp.asarray(start)
        # A target that was not standardized is already in its units.
        self._scale = np.ones(n_outputs) if y_scale is None else y_scale.astype(np.float64)

    def add(self, outputs: Array, targets: Array) -> None:
        residual = outputs - targets
        residual *= residual
        self._sums += residual.sum(axis=0, dtype=np.float64)

    def sums(self) -> list[float]:
        """The running sums (what a mid-epoch checkpoint keeps)."""
        return [float(v) for v in to_host(self._sums)]

    def rmse(self, n_rows: int) -> float:
        """scikit-learn's root_mean_squared_error, uniform average over outputs."""
        per_output = np.sqrt(to_host(self._sums) / max(1, n_rows)) * self._scale
        return float(per_output.mean())
