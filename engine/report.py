"""The per-epoch report handed to callbacks and kept as the fit's history."""

from __future__ import annotations

from typing import Any, TypedDict


class EpochReport(TypedDict):
    epoch: int  # 1-based count of finished epochs
    loss: float  # mean training loss of the epoch, penalties included (scikit-learn's loss_)
    val_loss: float | None  # data loss on the validation split (early stopping only)
    val_score: float | None  # accuracy / R^2 on the validation split (early stopping only)
    learning_rate: float  # the rate used during this epoch
    seconds: float  # wall time of this epoch


def history_from_json(items: Any) -> list[EpochReport]:
    out: list[EpochReport] = []
    for it in items:
        out.append(
            EpochReport(
                epoch=int(it["epoch"]),
                loss=float(it["loss"]),
                val_loss=None if it["val_loss"] is None else float(it["val_loss"]),
                val_score=None if it["val_score"] is None else float(it["val_score"]),
                learning_rate=float(it["learning_rate"]),
                seconds=float(it["seconds"]),
            )
        )
    return out
