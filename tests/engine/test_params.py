"""MLPParams: scikit-learn defaults, validation naming the field, resolution, dict round trip."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError
from sklearn.neural_network import MLPClassifier

from engine import MLPParams, count_parameters
from engine.params import DESCRIPTIONS


def test_defaults_are_scikit_learns() -> None:
    ours = MLPParams().to_dict()
    theirs = MLPClassifier().get_params()
    shared = set(ours) & set(theirs)
    assert len(shared) == 20
    for name in shared:
        expected = theirs[name]
        if name == "hidden_layer_sizes":
            expected = list(expected)
        assert ours[name] == expected, name


def test_extras_defaults() -> None:
    p = MLPParams()
    assert (p.rho, p.weight_decay, p.l1, p.dropout, p.clip_grad_norm) == (0.9, 0.01, 0, 0, None)
    assert (p.standardize, p.loss, p.restore_best_weights) == (True, None, None)


@pytest.mark.parametrize(
    "field,value",
    [
        ("hidden_layer_sizes", (0,)),
        ("hidden_layer_sizes", (10, -1)),
        ("hidden_layer_sizes", (2.5,)),
        ("hidden_layer_sizes", "10"),
        ("activation", "softplus"),
        ("solver", "lbfgs"),
        ("alpha", -0.1),
        ("alpha", float("nan")),
        ("batch_size", 0),
        ("batch_size", "big"),
        ("batch_size", True),
        ("learning_rate", "cyclic"),
        ("learning_rate_init", 0.0),
        ("power_t", -1.0),
        ("max_iter", 0),
        ("shuffle", "yes"),
        ("random_state", -1),
        ("random_state", 2**32),
        ("tol", -1e-3),
        ("momentum", 1.5),
        ("nesterovs_momentum", 1),
        ("early_stopping", None),
        ("validation_fraction", 0.0),
        ("validation_fraction", 1.0),
        ("beta_1", 1.0),
        ("beta_2", -0.1),
        ("epsilon", 0.0),
        ("n_iter_no_change", 0),
        ("rho", 1.0),
        ("weight_decay", -1.0),
        ("l1", -1.0),
        ("dropout", 1.0),
        ("clip_grad_norm", 0.0),
        ("standardize", "no"),
        ("loss", "hinge"),
        ("restore_best_weights", "x"),
    ],
)
def test_bad_value_raises_value_error_naming_the_field(field: str, value: Any) -> None:
    with pytest.raises(ValueError, match=f"^{field}: "):
        MLPParams(**{field: value})


def test_zero_units_message() -> None:
    with pytest.raises(ValueError, match="hidden_layer_sizes: every layer needs at least 1 unit"):
        MLPParams(hidden_layer_sizes=(10, 0))


def test_lists_and_ints_become_tuples() -> None:
    assert MLPParams(hidden_layer_sizes=[3, 4]).hidden_layer_sizes == (3, 4)  # type: ignore[arg-type]
    assert MLPParams(hidden_layer_sizes=7).hidden_layer_sizes == (7,)  # type: ignore[arg-type]
    assert MLPParams(alpha=1).alpha == 1.0 and isinstance(MLPParams(alpha=1).alpha, float)


def test_resolve_classification() -> None:
    p = MLPParams(activation="sigmoid").resolve("classification", 150)
    assert p.batch_size == 150 and p.loss == "log_loss" and p.restore_best_weights is False
    assert p.activation == "logistic"
    assert MLPParams().resolve("classification", 5000).batch_size == 200
    assert MLPParams(batch_size=64).resolve("classification", 5000).batch_size == 64
    assert MLPParams(batch_size=500).resolve("classification", 100).batch_size == 100
    assert MLPParams(random_state=None).resolve("classification", 10).random_state is None


def test_resolve_with_early_stopping_uses_the_training_split() -> None:
    p = MLPParams(early_stopping=True, validation_fraction=0.2).resolve("classification", 150)
    assert p.batch_size == 120 and p.restore_best_weights is True
    q = MLPParams(early_stopping=True, restore_best_weights=False).resolve("regression", 10)
    assert q.restore_best_weights is False


def test_resolve_regression_losses() -> None:
    assert MLPParams().resolve("regression", 10).loss == "squared_error"
    assert MLPParams(loss="huber").resolve("regression", 10).loss == "huber"
    with pytest.raises(ValueError, match=r"^loss: "):
        MLPParams(loss="huber").resolve("classification", 10)
    with pytest.raises(ValueError, match=r"^loss: "):
        MLPParams(loss="log_loss").resolve("regression", 10)
    with pytest.raises(ValueError, match=r"^task: "):
        MLPParams().resolve("ranking", 10)  # type: ignore[arg-type]


def test_dict_round_trip_and_unknown_keys() -> None:
    p = MLPParams(hidden_layer_sizes=(8, 4), solver="sgd", clip_grad_norm=1.0)
    d = p.to_dict()
    assert d["hidden_layer_sizes"] == [8, 4]
    assert MLPParams.from_dict(d) == p
    with pytest.raises(ValueError, match=r"unknown parameter.*bogus"):
        MLPParams.from_dict({**d, "bogus": 1})


def test_frozen_and_described() -> None:
    p = MLPParams()
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.alpha = 1.0  # type: ignore[misc]
    names = {f.name for f in dataclasses.fields(MLPParams)}
    assert names == set(DESCRIPTIONS) == set(MLPParams.descriptions())
    assert all(MLPParams.descriptions().values())


class _Job(BaseModel):
    params: MLPParams = MLPParams()


def test_pydantic_validates_it_as_a_field() -> None:
    job = _Job.model_validate({"params": {"hidden_layer_sizes": [3], "alpha": 1}})
    assert job.params == MLPParams(hidden_layer_sizes=(3,), alpha=1.0)
    for bad in ({"hidden_layer_sizes": [0]}, {"bogus": 1}, {"activation": "x"}, {"alpha": -1}):
        with pytest.raises(ValidationError):
            _Job.model_validate({"params": bad})
    schema = TypeAdapter(MLPParams).json_schema()
    assert schema["additionalProperties"] is False
    assert schema["properties"]["alpha"]["description"] == DESCRIPTIONS["alpha"]


def test_count_parameters() -> None:
    assert count_parameters(784, (256, 128), 10) == 784 * 256 + 256 + 256 * 128 + 128 + 1290
    assert count_parameters(4, (), 1) == 5
