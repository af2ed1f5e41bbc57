"""The per-epoch report handed to callbacks and kept as the fit's history."""

from __future__ import annotations

from typing import Any, TypedDict


class EpochReport(TypedDict):
    epoch: int  # 1-based count of finished epochs
    loss: float  # mean training loss of the epoch, penalties included (scikit-learn's loss_)
    val_loss: float | None  # data loss on the validation split (early stopping only)
    val_score: float | None  # accuracy / R^2 on the validation split (early stopping only)
    # Regression only: the root mean squared error of the epoch's training predictions in the
    # target's own units (undoing the standardization `loss` is measured in), taken as `loss`
    # is, at the weights each mini-batch saw; averaged uniformly over outputs.
    train_rmse: float | None
    learning_rate: float | None  # the rate used during this epoch (None: lbfgs has none)
    seconds: float  # wall time of this epoch


# What a job shows as its latest metrics (and a model as its final ones): the report less its
# bookkeeping (epoch, seconds).
EPOCH_METRICS: tuple[str, ...] = ("loss", "val_loss", "val_score", "train_rmse", "learning_rate")


def _optional(value: Any) -> float | None:
    return None if value is None else float(value)


def history_from_json(items: Any) -> list[EpochReport]:
    out: list[EpochReport] = []
    for it in items:
        out.append(
            EpochReport(
                epoch=int(it["epoch"]),
                loss=float(it["loss"]),
                val_loss=_optional(it["val_loss"]),
                val_score=_optional(it["val_score"]),
                # Absent from histories written before it existed.
                train_rmse=_optional(it.get("train_rmse")),
                learning_rate=_optional(it["learning_rate"]),
                seconds=float(it["seconds"]),
            )
        )
    return out
