"""What one epoch reports: a job's history, its latest metrics and a model's final ones.

The engine's `EpochReport` is what a worker records; these are the API's documented views of
it (tests/service/test_public_shapes.py checks that they name every field of the report).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

_LOSS = "Mean training loss of the epoch, penalties included (scikit-learn's loss_), on the "
_LOSS += "standardized targets for regression."
_VAL_LOSS = "Data loss on the validation split (early stopping only)."
_VAL_SCORE = "Accuracy (classification) or R² (regression) on the validation split "
_VAL_SCORE += "(early stopping only)."
_TRAIN_RMSE = "Regression only: the RMSE of the epoch's training predictions in the target's "
_TRAIN_RMSE += "own units (as `loss`, at the weights each mini-batch saw; averaged over outputs)."
_RATE = "The learning rate used during the epoch (null with solver lbfgs)."


class EpochMetrics(BaseModel):
    """The metrics of one epoch: a job's latest, a model's last."""

    loss: float | None = Field(None, description=_LOSS)
    val_loss: float | None = Field(None, description=_VAL_LOSS)
    val_score: float | None = Field(None, description=_VAL_SCORE)
    train_rmse: float | None = Field(None, description=_TRAIN_RMSE)
    learning_rate: float | None = Field(None, description=_RATE)


class HistoryEntry(BaseModel):
    """One finished epoch (also the data of each `progress` event)."""

    epoch: int = Field(description="1-based count of finished epochs.")
    loss: float = Field(description=_LOSS)
    val_loss: float | None = Field(None, description=_VAL_LOSS)
    val_score: float | None = Field(None, description=_VAL_SCORE)
    train_rmse: float | None = Field(None, description=_TRAIN_RMSE)
    learning_rate: float | None = Field(description=_RATE)  # None: lbfgs has no rate
    seconds: float = Field(description="Wall time of the epoch.")


class History(BaseModel):
    history: list[HistoryEntry]


def epoch_metrics(stored: dict[str, Any] | None) -> EpochMetrics | None:
    if stored is None:
        return None
    return EpochMetrics(
        loss=stored.get("loss"),
        val_loss=stored.get("val_loss"),
        val_score=stored.get("val_score"),
        train_rmse=stored.get("train_rmse"),
        learning_rate=stored.get("learning_rate"),
    )


def history_public(entries: list[dict[str, Any]]) -> History:
    return History(history=[HistoryEntry.model_validate(entry) for entry in entries])
