"""A job's params in the OpenAPI document: the engine's MLPParams, described by the service."""

from __future__ import annotations

import dataclasses

from engine import MLPParams
from service.schemas import JobCreate
from service.schemas.params import PARAM_DESCRIPTIONS


def test_every_param_is_described_in_the_schema() -> None:
    names = {f.name for f in dataclasses.fields(MLPParams)}
    assert set(PARAM_DESCRIPTIONS) == names
    schema = JobCreate.model_json_schema()
    properties = schema["$defs"]["MLPParams"]["properties"]
    assert {name: properties[name]["description"] for name in names} == PARAM_DESCRIPTIONS
    assert schema["$defs"]["MLPParams"]["additionalProperties"] is False


def test_the_engine_still_checks_the_values() -> None:
    job = JobCreate.model_validate(
        {"dataset_id": "ds_x", "params": {"solver": "lbfgs", "n_iter_no_change": "inf"}}
    )
    assert job.params.solver == "lbfgs" and job.params.n_iter_no_change == float("inf")
