"""A finished job's scores per split, in the target's units (scikit-learn's metrics)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from store.records import Evaluation as StoredEvaluation

_UNDEFINED = " Null when the split leaves it undefined."


_WEIGHTED = (
    "The scores weigh each row by its dataset's sample weight (as scikit-learn's metrics with "
    "sample_weight); false: every row counts once."
)


class ClassificationScores(BaseModel):
    n_samples: int = Field(description="Rows scored.")
    weighted: bool = Field(False, description=_WEIGHTED)
    accuracy: float | None = Field(
        description="sklearn.metrics.accuracy_score (multilabel: rows with every label right)."
    )
    balanced_accuracy: float | None = Field(
        description="balanced_accuracy_score: the mean recall of the classes present (null "
        "for multilabel)."
    )
    f1_macro: float | None = Field(
        description='f1_score(average="macro") (multilabel: over the labels).'
    )
    log_loss: float | None = Field(
        description="log_loss over the model's classes (null for multilabel)."
    )
    roc_auc: float | None = Field(
        None,
        description="roc_auc_score of the second class's probability; binary problems only "
        "(multilabel: averaged over the labels)." + _UNDEFINED,
    )


class RegressionScores(BaseModel):
    n_samples: int = Field(description="Rows scored.")
    weighted: bool = Field(False, description=_WEIGHTED)
    rmse: float | None = Field(
        description="root_mean_squared_error, in the target's units (averaged over outputs)."
    )
    mae: float | None = Field(description="mean_absolute_error, in the target's units.")
    r2: float | None = Field(description="r2_score." + _UNDEFINED)


SplitScores = ClassificationScores | RegressionScores


class Evaluation(BaseModel):
    """Scores of the final model, computed once when the job succeeded."""

    train: SplitScores = Field(description="The rows the model trained on.")
    validation: SplitScores | None = Field(
        None, description="The rows early stopping held out (early_stopping only)."
    )
    test: SplitScores | None = Field(
        None, description="The job's test_dataset_id, when it named one."
    )
    held_out: SplitScores | None = Field(
        None,
        description="A cross-validated search trial: the fold it did not train on "
        "(`fold`), what the search's objective is scored on.",
    )


def evaluation_public(stored: StoredEvaluation | None, task: str) -> Evaluation | None:
    if stored is None or "train" not in stored:
        return None
    kind = ClassificationScores if task == "classification" else RegressionScores

    def split(name: str) -> SplitScores | None:
        scores = stored.get(name)
        return None if scores is None else kind.model_validate(scores)

    train = split("train")
    assert train is not None
    return Evaluation(
        train=train,
        validation=split("validation"),
        test=split("test"),
        held_out=split("held_out"),
    )
