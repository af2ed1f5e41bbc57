"""Datasets with per-row sample weights and multi-column targets, in every upload format: stored
beside X and y in their own bounded dtypes, shown on the dataset, refused with the row or column
named when they are bad."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
import redis
from fastapi.testclient import TestClient

from store import Store
from store.keys import TenantKeys
from tests.e2e.helpers import assert_problem

X = [[0.0, 1.0], [1.0, 0.5], [2.0, 2.5], [3.0, 1.5], [4.0, 0.0], [5.0, 3.0]]
LABELS = [[0, 1, 1], [1, 0, 0], [1, 1, 0], [0, 0, 1], [1, 0, 1], [0, 1, 0]]


def _json(client: TestClient, **body: Any) -> Any:
    return client.post("/v1/datasets", json={"features": X, **body})


def _npz(client: TestClient, **arrays: Any) -> Any:
    buffer = io.BytesIO()
    np.savez(buffer, X=np.asarray(X), **arrays)
    files = {"file": ("d.npz", buffer.getvalue(), "application/octet-stream")}
    return client.post("/v1/datasets", files=files)


def _csv(client: TestClient, text: str, **form: str) -> Any:
    files = {"file": ("d.csv", text.encode(), "text/csv")}
    return client.post("/v1/datasets", files=files, data=form)


def _stored(redis_client: redis.Redis, tenant: str, dataset_id: str) -> Any:
    arrays = Store(redis_client, tenant).datasets.arrays(dataset_id)
    assert arrays is not None
    return arrays


def test_weights_in_every_format_are_stored_and_shown(
    client: TestClient, redis_client: redis.Redis, tenant: str
) -> None:
    weights = [1.0, 2.0, 0.0, 0.5, 3.0, 1.0]
    csv = "a,b,w,y\n" + "".join(
        f"{r[0]},{r[1]},{w},{i % 2}\n" for i, (r, w) in enumerate(zip(X, weights, strict=True))
    )
    answers = [
        _json(client, targets=[0, 1, 0, 1, 0, 1], weights=weights),
        _npz(client, y=np.arange(6) % 2, w=np.asarray(weights, dtype=np.float32)),
        _csv(client, csv, target="y", weights="w"),
    ]
    for answer in answers:
        assert answer.status_code == 201, answer.text
        dataset = answer.json()
        assert dataset["has_weights"] is True and dataset["n_features"] == 2
        stored = _stored(redis_client, tenant, dataset["id"])
        assert stored.w.dtype == np.float64 and stored.w.tolist() == weights
    assert answers[2].json()["weights_column"] == "w"
    assert answers[2].json()["feature_names"] == ["a", "b"]  # the weights are no feature
    plain = _json(client, targets=[0, 1, 0, 1, 0, 1]).json()
    assert plain["has_weights"] is False and _stored(redis_client, tenant, plain["id"]).w is None
    # the weights are part of what the dataset is
    assert plain["sha256"] != answers[0].json()["sha256"]


@pytest.mark.parametrize(
    ("weights", "loc", "fragment"),
    [
        ([1, 1, -1, 1, 1, 1], ["body", "weights", 2], "weight 2: the weight -1.0 is negative"),
        ([0, 0, 0, 0, 0, 0], ["body", "weights"], "every weight is 0"),
        ([1, 1, 1], ["body", "weights"], "has 3 weights but features has 6 rows"),
        ([1, 1, True, 1, 1, 1], ["body", "weights", 2], "weight 2 is not a number: true"),
        ([1, 1, 1, 1, 1e39, 1], ["body", "weights", 4], "outside the float32 range"),
        ("heavy", ["body", "weights"], "must be an array of numbers"),
    ],
)
def test_bad_json_weights_name_the_row(
    client: TestClient, weights: Any, loc: list[Any], fragment: str
) -> None:
    problem = assert_problem(_json(client, targets=[0, 1] * 3, weights=weights), 422, fragment)
    assert problem["errors"][0]["loc"] == loc


def test_bad_weights_in_files_name_the_row_or_the_array(client: TestClient) -> None:
    csv = "a,b,w,y\n1,2,1,0\n3,4,nan,1\n5,6,1,1\n"
    problem = assert_problem(_csv(client, csv, weights="w"), 422, "row 2, column 'w'", "NaN/inf")
    assert problem["errors"][0]["loc"] == ["file", "row 2", "w"]
    assert_problem(_csv(client, csv, weights="nope"), 422, "no column named 'nope'")
    assert_problem(_csv(client, csv, target="w", weights="w"), 422, "both target and weights")
    # checked from the .npy header, before the weights are loaded
    problem = assert_problem(_npz(client, y=np.zeros(6), w=np.ones(5)), 422, "one weight per row")
    assert problem["errors"][0]["loc"] == ["file", "w"]
    problem = assert_problem(_npz(client, y=np.zeros(6), w=-np.ones(6)), 422, "w[0]")
    assert problem["errors"][0]["loc"] == ["file", "w", 0]


def test_a_0_1_matrix_is_a_label_matrix_stored_as_one_byte_per_cell(
    client: TestClient, redis_client: redis.Redis, tenant: str
) -> None:
    names = ["sports", "politics", "science"]
    for answer in (
        _json(client, targets=LABELS, target_names=names),
        _npz(client, y=np.asarray(LABELS, dtype=np.float64), target_names=np.array(names)),
        _csv(
            client,
            "a,b,sports,politics,science\n"
            + "".join(
                f"{r[0]},{r[1]},{','.join(map(str, t))}\n" for r, t in zip(X, LABELS, strict=True)
            ),
            target="sports,politics,science",
        ),
    ):
        assert answer.status_code == 201, answer.text
        dataset = answer.json()
        assert dataset["target_kind"] == "categorical" and dataset["classes"] == [0, 1]
        assert dataset["n_targets"] == 3 and dataset["target_names"] == names
        stored = _stored(redis_client, tenant, dataset["id"])
        assert stored.y.dtype == np.uint8 and stored.y.tolist() == LABELS
        preview = client.get(f"/v1/datasets/{dataset['id']}/preview").json()
        assert preview["targets"][0] == LABELS[0]


def test_other_numbers_are_a_multi_output_regression_target(
    client: TestClient, redis_client: redis.Redis, tenant: str
) -> None:
    targets = [[float(i), i * 0.5 - 1] for i in range(6)]
    answer = _json(client, targets=targets)
    assert answer.status_code == 201, answer.text
    dataset = answer.json()
    assert dataset["target_kind"] == "continuous" and dataset["classes"] is None
    assert dataset["n_targets"] == 2 and dataset["target_names"] is None
    stored = _stored(redis_client, tenant, dataset["id"])
    assert stored.y.dtype == np.float64 and stored.y.tolist() == targets
    preview = client.get(f"/v1/datasets/{dataset['id']}/preview").json()
    assert [column["name"] for column in preview["target"]] == ["target[0]", "target[1]"]
    # a one-column matrix is the ordinary one-target case
    single = _json(client, targets=[[1.5], [2.5], [0.5], [1.0], [2.0], [3.0]]).json()
    assert single["n_targets"] == 1 and single["target_kind"] == "continuous"


@pytest.mark.parametrize(
    ("body", "loc", "fragment"),
    [
        ({"targets": [[0, 1]] * 5 + [[1]]}, ["body", "targets", 5], "expected 2"),
        ({"targets": [[0, 1]] * 5 + [[1, "a"]]}, ["body", "targets", 5, 1], "not a number"),
        ({"targets": [[0, 1]] * 5 + [[1, None]]}, ["body", "targets", 5, 1], "missing"),
        ({"targets": [[0, 1]] * 5 + [1]}, ["body", "targets", 5], "must be a row of numbers"),
        (
            {"targets": [[0, 1]] * 6, "target_names": ["a"]},
            ["body", "target_names"],
            "has 1 name but the rows of targets have 2 values",
        ),
        (
            {"targets": [0, 1] * 3, "target_names": ["a"]},
            ["body", "target_names"],
            "this dataset has one target",
        ),
        ({"targets": [[0, 1e39]] * 6}, ["body", "targets", 0, 1], "outside the float32 range"),
    ],
)
def test_bad_json_target_rows_name_the_cell(
    client: TestClient, body: dict[str, Any], loc: list[Any], fragment: str
) -> None:
    problem = assert_problem(_json(client, **body), 422, fragment)
    assert problem["errors"][0]["loc"] == loc


def test_bad_target_matrices_in_files(client: TestClient) -> None:
    problem = assert_problem(
        _npz(client, y=np.array([["a", "b"]] * 6)), 422, "a 2-D y holds numbers"
    )
    assert problem["errors"][0]["loc"] == ["file", "y"]
    y = np.ones((6, 2))
    y[3, 1] = np.inf
    problem = assert_problem(_npz(client, y=y), 422, "y[3, 1]: inf")
    assert problem["errors"][0]["loc"] == ["file", "y", 3, 1]
    csv = "a,b,c,d\n1,2,0,1\n3,4,x,1\n"
    assert_problem(_csv(client, csv, target="c,d"), 422, "row 2, column 'c': 'x' is not a number")
    assert_problem(_csv(client, csv, target="c,zz"), 422, "no column named 'zz'")


def test_target_columns_count_toward_the_cell_limit(client: TestClient) -> None:
    """The settings allow 50,000 cells: 1,000 rows of 2 features fit, with 60 targets they do
    not (their cells are stored as X's are); so many columns are refused from the header."""
    rows = np.zeros((1000, 2))
    buffer = io.BytesIO()
    np.savez(buffer, X=rows, y=np.zeros((1000, 60)))
    files = {"file": ("d.npz", buffer.getvalue(), "application/octet-stream")}
    assert_problem(client.post("/v1/datasets", files=files), 413, "60 targets", "50,000 cells")
    buffer = io.BytesIO()
    np.savez(buffer, X=np.zeros((2, 2)), y=np.zeros((2, 1001)))
    files = {"file": ("d.npz", buffer.getvalue(), "application/octet-stream")}
    assert_problem(client.post("/v1/datasets", files=files), 413, "1,001 columns")


def test_stored_size_is_a_small_constant_times_the_cells(
    client: TestClient, redis_client: redis.Redis, tenant: str
) -> None:
    """Weights take 8 bytes a row, a label matrix one byte a cell, other targets 8; features
    their own dtype's size (these are float64: 8, the most any dtype takes)."""
    rng = np.random.default_rng(0)
    n = 2000
    features = rng.normal(size=(n, 3)).round(3)
    for targets, per_cell in ((rng.integers(0, 2, size=(n, 4)), 1), (rng.normal(size=(n, 4)), 8)):
        answer = _npz_rows(client, features, targets, rng.random(n))
        assert answer.status_code == 201, answer.text
        dataset_id = answer.json()["id"]
        keys = TenantKeys(tenant)
        sizes = {
            part: int(redis_client.strlen(key(dataset_id)))
            for part, key in (("X", keys.dataset_x), ("y", keys.dataset_y), ("w", keys.dataset_w))
        }
        assert sizes["X"] <= 8 * n * 3 + 256
        assert sizes["y"] <= per_cell * n * 4 + 256
        assert sizes["w"] <= 8 * n + 256


def _npz_rows(client: TestClient, X: np.ndarray, y: np.ndarray, w: np.ndarray) -> Any:
    buffer = io.BytesIO()
    np.savez(buffer, X=X, y=y, w=w)
    files = {"file": ("d.npz", buffer.getvalue(), "application/octet-stream")}
    return client.post("/v1/datasets", files=files)


def test_deleting_a_dataset_removes_its_weights(
    client: TestClient, redis_client: redis.Redis, tenant: str
) -> None:
    dataset = _json(client, targets=[0, 1] * 3, weights=[1] * 6).json()
    key = TenantKeys(tenant).dataset_w(dataset["id"])
    assert redis_client.exists(key)
    assert client.delete(f"/v1/datasets/{dataset['id']}").status_code == 204
    assert not redis_client.exists(key)
