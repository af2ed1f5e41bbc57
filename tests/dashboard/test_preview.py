"""GET /v1/datasets/{id}/preview: the first rows, per-column statistics and class counts,
right for every kind of target, and bounded in time and memory for a 20M-cell dataset."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Sequence

import numpy as np
import pytest
from fastapi.testclient import TestClient

import store.previews
from store.previews import column_stats, preview_of
from store.records import DatasetRecord


def _csv(rows: Sequence[Sequence[object]], header: list[str]) -> bytes:
    lines = [",".join(header)] + [",".join(str(v) for v in row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def _upload_csv(client: TestClient, data: bytes, target: str | None = None) -> dict[str, object]:
    response = client.post(
        "/v1/datasets",
        files={"file": ("flowers.csv", data, "text/csv")},
        data={"target": target} if target else None,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_a_categorical_dataset_shows_its_first_rows_statistics_and_classes(
    app_client: TestClient,
) -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(57, 3)).round(3)
    labels = np.array(["setosa", "versicolor", "virginica"])[rng.integers(0, 3, size=57)]
    data = _csv(
        [[*row, label] for row, label in zip(X.tolist(), labels, strict=True)],
        ["a", "b", "c", "species"],
    )
    dataset = _upload_csv(app_client, data)

    response = app_client.get(f"/v1/datasets/{dataset['id']}/preview")
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    preview = response.json()
    assert preview["n_samples"] == 57 and preview["n_features"] == 3
    assert preview["feature_names"] == ["a", "b", "c"]
    assert preview["rows"] == X[:20].tolist()  # float32 values shown as they were written
    assert preview["targets"] == labels[:20].tolist()  # labels, not the stored codes
    stored = X.astype(np.float32).astype(np.float64)
    for j, column in enumerate(preview["columns"]):
        assert column["name"] == "abc"[j]
        assert column["min"] == pytest.approx(stored[:, j].min())
        assert column["max"] == pytest.approx(stored[:, j].max())
        assert column["mean"] == pytest.approx(stored[:, j].mean(), rel=1e-12)
        assert column["std"] == pytest.approx(stored[:, j].std(), rel=1e-9)
    counts = {c["label"]: c["count"] for c in preview["class_counts"]}
    assert counts == {label: int((labels == label).sum()) for label in np.unique(labels)}
    assert preview["target"] is None


def test_a_continuous_target_has_statistics_instead_of_classes(app_client: TestClient) -> None:
    rows = [[i, i * 0.5, 1000.0 + i * 0.25] for i in range(150)]
    dataset = _upload_csv(app_client, _csv(rows, ["x", "price", "y"]), target="price")
    preview = app_client.get(f"/v1/datasets/{dataset['id']}/preview").json()
    assert preview["target_kind"] == "continuous"
    assert preview["class_counts"] is None
    (target,) = preview["target"]
    prices = np.array([row[1] for row in rows])
    assert target["name"] == "price"
    assert (target["min"], target["max"]) == (0.0, 74.5)
    assert target["mean"] == pytest.approx(prices.mean())
    assert preview["targets"][:3] == [0.0, 0.5, 1.0]


def test_rows_and_columns_are_bounded(app_client: TestClient) -> None:
    rows = [[i, -i, i % 2] for i in range(30)]
    dataset = _upload_csv(app_client, _csv(rows, ["u", "v", "label"]))
    path = f"/v1/datasets/{dataset['id']}/preview"
    few = app_client.get(path, params={"rows": 3, "columns": 1}).json()
    assert few["rows"] == [[0.0], [1.0], [2.0]]
    assert few["columns_shown"] == 1 and [c["name"] for c in few["columns"]] == ["u"]
    assert few["feature_names"] == ["u"]
    assert app_client.get(path, params={"rows": 0}).json()["rows"] == []
    for bad in ({"rows": 21}, {"columns": 0}, {"columns": 1001}, {"rows": "x"}):
        refused = app_client.get(path, params=bad)
        assert refused.status_code == 422, bad
        assert refused.headers["content-type"].startswith("application/problem+json")


def test_an_unknown_or_foreign_dataset_is_a_404(app_client: TestClient, tenant: str) -> None:
    assert app_client.get("/v1/datasets/ds_0193a7b2c3d4e5f6a7b8c9d0/preview").status_code == 404
    dataset = _upload_csv(app_client, _csv([[1, 0], [2, 1]], ["x", "y"]))
    path = f"/v1/datasets/{dataset['id']}/preview"
    assert app_client.get(path).status_code == 200
    other_tenant = {"Authorization": f"Bearer key-{tenant}-other"}
    assert app_client.get(path, headers=other_tenant).status_code == 404
    assert app_client.get(path, headers={"Authorization": "Bearer nobody"}).status_code == 401


def test_statistics_merged_over_slices_equal_numpys(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chan's update over many small slices: exact where a running sum of squares cancels."""
    monkeypatch.setattr(store.previews, "SLICE_CELLS", 7)  # slices of 2 rows of 3 columns
    rng = np.random.default_rng(1)
    X = (1e6 + rng.normal(size=(101, 3))).astype(np.float64)
    stats = column_stats(X, ["p", "q", "r"])
    for j, column in enumerate(stats):
        assert column.mean == pytest.approx(X[:, j].mean(), rel=1e-14)
        assert column.std == pytest.approx(X[:, j].std(), rel=1e-9)
        assert (column.min, column.max) == (X[:, j].min(), X[:, j].max())


def test_integer_features_keep_their_values() -> None:
    X = np.arange(12, dtype=np.uint8).reshape(4, 3)
    record = _record(n_samples=4, n_features=3, classes=[0, 1])
    preview = preview_of(record, X, np.array([0, 1, 1, 0], dtype=np.uint8), rows=2, columns=3)
    assert preview.rows == [[0, 1, 2], [3, 4, 5]]
    assert all(type(value) is int for row in preview.rows for value in row)
    assert [c.max for c in preview.columns] == [9, 10, 11]
    assert type(preview.columns[0].max) is int
    assert [(c.label, c.count) for c in preview.class_counts or []] == [(0, 2), (1, 2)]


def _record(*, n_samples: int, n_features: int, classes: list[object] | None) -> DatasetRecord:
    return DatasetRecord.model_validate(
        {
            "id": "ds_0193a7b2c3d4e5f6a7b8c9d0",
            "n_samples": n_samples,
            "n_features": n_features,
            "feature_names": [f"f{j}" for j in range(n_features)],
            "target_kind": "categorical" if classes is not None else "continuous",
            "classes": classes,
            "sha256": "0" * 64,
            "created_at": "2025-01-01T00:00:00Z",
        }
    )


def test_a_20_million_cell_dataset_is_previewed_in_bounded_time_and_memory() -> None:
    rows, width = 200_000, 100  # 20M float32 cells: 80 MB, as MLPFORGE_MAX_DATASET_CELLS allows
    X = np.random.default_rng(2).random((rows, width), dtype=np.float32)
    y = (np.arange(rows) % 10).astype(np.uint8)
    record = _record(n_samples=rows, n_features=width, classes=list(range(10)))
    tracemalloc.start()
    began = time.perf_counter()
    preview = preview_of(record, X, y, rows=20, columns=1000)
    seconds = time.perf_counter() - began
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(preview.columns) == width and len(preview.rows) == 20
    assert sum(c.count for c in preview.class_counts or []) == rows
    # One float64 slice at a time (8 MB), never a float64 copy of the dataset (160 MB).
    assert peak < 40 * 2**20, f"peak {peak / 2**20:.0f} MiB"
    assert seconds < 15, f"{seconds:.1f} s"  # ~0.5 s alone on 2 cores; generous when shared
    reference = X[:, 7].astype(np.float64)
    assert preview.columns[7].mean == pytest.approx(reference.mean(), rel=1e-12)
    assert preview.columns[7].std == pytest.approx(reference.std(), rel=1e-9)
