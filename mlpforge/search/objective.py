"""What a search optimizes, and where each trial's value of it is read.

* ``val_score`` / ``val_loss``: the early-stopping split's (every candidate needs
  ``early_stopping``). ``val_score`` is the final model's accuracy (classification) or R²
  (regression) on that split — with ``restore_best_weights`` (the default), scikit-learn's
  ``best_validation_score_``; ``val_loss`` is the last epoch's validation loss.
* an evaluation score (``accuracy``, ``balanced_accuracy``, ``f1_macro``, ``log_loss``,
  ``roc_auc``; ``rmse``, ``mae``, ``r2``): of the final model, in the target's units, on the
  held-out fold with ``cv``; else on the early-stopping split; else — no rows held out at all —
  on the training rows, with a warning on the search.

With ``cv`` a trial's objective is the mean over its folds (scikit-learn's mean_test_score).
"""

from __future__ import annotations

from typing import Any, Literal

Goal = Literal["maximize", "minimize"]
Split = Literal["held_out", "validation", "train"]

CLASSIFICATION_SCORES = ("accuracy", "balanced_accuracy", "f1_macro", "log_loss", "roc_auc")
REGRESSION_SCORES = ("rmse", "mae", "r2")
EARLY_STOPPING_METRICS = ("val_score", "val_loss")
METRICS = (*EARLY_STOPPING_METRICS, *CLASSIFICATION_SCORES, *REGRESSION_SCORES)
MINIMIZED = frozenset({"val_loss", "log_loss", "rmse", "mae"})

TRAIN_SPLIT_WARNING = (
    "the objective is scored on the rows each trial trained on (no cv and no early_stopping "
    "hold any rows out), which favours overfitting: set cv, or early_stopping"
)


class ObjectiveError(ValueError):
    """A metric the search cannot read; ``field`` names the part of the request at fault."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def default_goal(metric: str) -> Goal:
    return "minimize" if metric in MINIMIZED else "maximize"


def split_for(metric: str, *, cv: bool, early_stopping: bool) -> Split | None:
    """Where an evaluation score is read (None for the early-stopping metrics)."""
    if metric in EARLY_STOPPING_METRICS:
        return None
    if cv:
        return "held_out"
    return "validation" if early_stopping else "train"


def check(
    metric: str, task: str, *, cv: bool, early_stopping: set[bool], n_classes: int
) -> list[str]:
    """The warnings the objective deserves, or ObjectiveError. ``early_stopping``: the values
    early_stopping takes over the candidates (resolved: lbfgs never stops early)."""
    if metric not in METRICS:
        raise ObjectiveError("metric", f"unknown metric {metric!r}; one of {', '.join(METRICS)}")
    if task == "classification" and metric in REGRESSION_SCORES:
        raise ObjectiveError(
            "metric",
            f"{metric!r} scores regression; for classification use one of "
            f"{', '.join((*EARLY_STOPPING_METRICS, *CLASSIFICATION_SCORES))}",
        )
    if task == "regression" and metric in CLASSIFICATION_SCORES:
        raise ObjectiveError(
            "metric",
            f"{metric!r} scores classification; for regression use one of "
            f"{', '.join((*EARLY_STOPPING_METRICS, *REGRESSION_SCORES))}",
        )
    if metric == "roc_auc" and n_classes != 2:
        raise ObjectiveError("metric", f"'roc_auc' needs two classes; this dataset has {n_classes}")
    if metric in EARLY_STOPPING_METRICS and early_stopping != {True}:
        raise ObjectiveError(
            "metric",
            f"{metric!r} is measured on the early-stopping split: set params.early_stopping "
            "to true (with a stochastic solver; lbfgs never holds rows out), or optimize an "
            "evaluation score such as 'accuracy' or 'r2'",
        )
    if cv:
        return []
    if len(early_stopping) > 1:
        raise ObjectiveError(
            "metric",
            "early_stopping varies across the space, so the objective would be scored on the "
            "validation split for some trials and the training rows for others: use cv, or "
            "fix early_stopping",
        )
    return [] if early_stopping == {True} else [TRAIN_SPLIT_WARNING]


def value_of(
    metric: str,
    *,
    task: str,
    split: Split | None,
    evaluation: dict[str, dict[str, Any]] | None,
    metrics: dict[str, Any] | None,
) -> float | None:
    """A succeeded job's value of ``metric``; None when the job does not have it."""
    if metric == "val_loss":
        value = (metrics or {}).get("val_loss")
    elif metric == "val_score":
        score = "accuracy" if task == "classification" else "r2"
        value = ((evaluation or {}).get("validation") or {}).get(score)
    else:
        assert split is not None
        value = ((evaluation or {}).get(split) or {}).get(metric)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def ranking_key(objective: float | None, goal: Goal) -> tuple[int, float]:
    """Sorts best first: a missing objective last, then by value in the goal's direction."""
    if objective is None:
        return (1, 0.0)
    return (0, -objective if goal == "maximize" else objective)
