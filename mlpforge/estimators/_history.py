"""scikit-learn's training-history attributes from the engine's epoch reports.

Continuing a fit (``warm_start``, ``partial_fit``) extends them as scikit-learn does:
``loss_curve_``, ``validation_scores_`` and ``t_`` accumulate over calls, ``n_iter_`` counts
the epochs of the last call.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine import EpochReport


@dataclass(frozen=True)
class History:
    loss_: float | None
    loss_curve_: list[float]
    best_loss_: float | None
    validation_scores_: list[float] | None
    best_validation_score_: float | None
    n_iter_: int
    t_: int


def history(
    reports: list[EpochReport],
    *,
    t: int,
    early_stopping: bool,
    before: History | None,
) -> History:
    """``t``: training samples seen over every call (the engine counts them); ``before``: the
    history of the fit this call continues (None for a fresh one)."""
    losses = [float(r["loss"]) for r in reports]
    curve = (before.loss_curve_ if before else []) + losses
    last = curve[-1] if curve else None
    if early_stopping:
        scores = [float(r["val_score"]) for r in reports if r["val_score"] is not None]
        earlier = before.validation_scores_ if before and before.validation_scores_ else []
        all_scores = earlier + scores
        best_score = max(all_scores) if all_scores else None
        return History(last, curve, None, all_scores, best_score, len(reports), t)
    best = min(curve) if curve else None
    return History(last, curve, best, None, None, len(reports), t)
