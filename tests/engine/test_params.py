"""MLPParams: scikit-learn defaults, validation naming the field, resolution, dict round trip."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import numpy as np
import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError
from sklearn.neural_network import MLPClassifier

from engine import MLPParams, ParamError, count_parameters


def test_defaults_are_scikit_learns() -> None:
    ours = MLPParams().to_dict()
    theirs = MLPClassifier().get_params()
    shared = set(ours) & set(theirs)
    assert len(shared) == 21
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
        ("solver", "newton"),
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
        ("validation_fraction", -0.1),
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
        ("max_iter", 5.0),
        ("max_fun", 0),
        ("n_iter_no_change", float("nan")),
        ("n_iter_no_change", "never"),
        ("dtype", "float16"),
        ("dtype", "int32"),
    ],
)
def test_bad_value_raises_value_error_naming_the_field(field: str, value: Any) -> None:
    with pytest.raises(ParamError, match=f"^{field}: ") as info:
        MLPParams(**{field: value})
    assert isinstance(info.value, ValueError) and info.value.field == field


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


def test_frozen() -> None:
    p = MLPParams()
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.alpha = 1.0  # type: ignore[misc]


def test_every_field_has_a_constraint() -> None:
    from engine.params import PARAMETER_CONSTRAINTS

    assert set(PARAMETER_CONSTRAINTS) == {f.name for f in dataclasses.fields(MLPParams)}


@pytest.mark.parametrize(
    "field,value,expected",
    [
        ("max_iter", np.int64(5), 5),
        ("batch_size", np.int32(16), 16),
        ("hidden_layer_sizes", np.array([4, 3]), (4, 3)),
        ("hidden_layer_sizes", [np.int64(4)], (4,)),
        ("alpha", np.float32(0.5), 0.5),
        ("alpha", np.int64(1), 1.0),
        ("shuffle", np.bool_(False), False),
        ("random_state", np.uint32(7), 7),
        ("n_iter_no_change", float("inf"), float("inf")),
        ("n_iter_no_change", np.inf, float("inf")),
        ("n_iter_no_change", "inf", float("inf")),
        ("dtype", np.float64, "float64"),
        ("dtype", np.dtype("float32"), "float32"),
        ("validation_fraction", 0.0, 0.0),
    ],
)
def test_numpy_values_are_accepted_as_plain_python(field: str, value: Any, expected: Any) -> None:
    """scikit-learn accepts numpy scalars (GridSearchCV hands them out); the engine keeps them
    as plain Python, so the params stay JSON-ready."""
    got = getattr(MLPParams(**{field: value}), field)
    assert got == expected and type(got) is type(expected)
    json.dumps(MLPParams(**{field: value}).to_dict())


def test_infinite_patience_round_trips_through_json() -> None:
    p = MLPParams(n_iter_no_change=float("inf"))
    d = json.loads(json.dumps(p.to_dict(), allow_nan=False))
    assert d["n_iter_no_change"] == "inf" and MLPParams.from_dict(d) == p


def test_resolve_lbfgs_and_dtype() -> None:
    p = MLPParams(solver="lbfgs", early_stopping=True, batch_size=16).resolve("regression", 90)
    assert p.batch_size == 90 and p.early_stopping is False and p.restore_best_weights is False
    assert p.dtype == "float64" and MLPParams().resolve("regression", 9).dtype == "float32"
    assert MLPParams(solver="lbfgs", dtype="float32").resolve("regression", 9).dtype == "float32"
    with pytest.raises(ParamError, match=r"^dropout: "):
        MLPParams(solver="lbfgs", dropout=0.5).resolve("classification", 10)
    assert MLPParams(loss="poisson").resolve("regression", 10).loss == "poisson"


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


def test_count_parameters() -> None:
    assert count_parameters(784, (256, 128), 10) == 784 * 256 + 256 + 256 * 128 + 128 + 1290
    assert count_parameters(4, (), 1) == 5
