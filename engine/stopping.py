"""scikit-learn's stopping rule: patience counted in epochs without an improvement of ``tol``.

It watches the validation score (higher is better) with early stopping, else the training loss
(lower is better), and remembers the best epoch. ``improved`` (by at least tol) drives the
patience and the plateau schedule; ``new_best`` (strictly better) decides which weights to keep.
"""

from __future__ import annotations

import math
from typing import Any


def encode_float(x: float | None) -> float | str | None:
    """JSON has no inf/nan (the best loss starts at inf): keep them as strings."""
    if x is None or math.isfinite(x):
        return x
    return repr(float(x))


class StoppingRule:
    def __init__(self, tol: float, n_iter_no_change: float) -> None:
        # n_iter_no_change may be inf: the patience never runs out
        self.tol, self.n_iter_no_change = tol, n_iter_no_change
        self.no_improvement = 0
        self.best_loss = math.inf
        self.best_score = -math.inf
        self.best_epoch: int | None = None

    def observe(self, epoch: int, loss: float, val_score: float | None) -> tuple[bool, bool]:
        """(improved by tol, new best) for a finished epoch; updates the patience counter."""
        if val_score is not None:
            improved = val_score >= self.best_score + self.tol
            new_best = val_score > self.best_score
            if new_best:
                self.best_score = val_score
        else:
            improved = loss <= self.best_loss - self.tol
            new_best = loss < self.best_loss
            if new_best:
                self.best_loss = loss
        if new_best:
            self.best_epoch = epoch
        self.no_improvement = 0 if improved else self.no_improvement + 1
        return improved, new_best

    @property
    def exhausted(self) -> bool:
        return self.no_improvement > self.n_iter_no_change

    def reset_patience(self) -> None:
        self.no_improvement = 0

    def state(self) -> dict[str, Any]:
        return {
            "no_improvement": self.no_improvement,
            "best_loss": encode_float(self.best_loss),
            "best_score": encode_float(self.best_score),
            "best_epoch": self.best_epoch,
        }

    def load_state(self, state: dict[str, Any]) -> None:
        self.no_improvement = int(state["no_improvement"])
        self.best_loss = float(state["best_loss"])
        self.best_score = float(state["best_score"])
        best = state["best_epoch"]
        self.best_epoch = None if best is None else int(best)
