"""The `mlpforge` command, through its installed entry point, against the real stack."""

from __future__ import annotations

import csv
import json
import re
import struct
from pathlib import Path

import numpy as np
import pytest

from mlpforge.client import Client
from tests.client.conftest import CLI, blobs

NAMES = ["sepal_length", "sepal_width", "petal_length"]


def write_csv(path: Path, X: np.ndarray, y: np.ndarray | None, header: list[str] | None) -> Path:
    with path.open("w", newline="") as stream:
        writer = csv.writer(stream)
        if header is not None:
            writer.writerow(header)
        for index, row in enumerate(X):
            writer.writerow([*row.tolist(), *([y[index]] if y is not None else [])])
    return path


@pytest.mark.slow
def test_upload_train_follow_predict_export(mlpforge: CLI, tmp_path: Path) -> None:
    X, y = blobs(seed=5)
    data = write_csv(tmp_path / "blobs.csv", X, y, [*NAMES, "colour"])

    upload = mlpforge("datasets", "upload", str(data), "--target", "colour", "--json")
    assert upload.returncode == 0, upload.stderr
    dataset = json.loads(upload.stdout)
    assert dataset["n_samples"] == 90 and dataset["feature_names"] == NAMES
    listed = mlpforge("datasets", "ls")
    assert listed.returncode == 0 and dataset["id"] in listed.stdout
    shown = mlpforge("datasets", "show", dataset["id"])
    assert "sepal_length, sepal_width, petal_length" in shown.stdout

    train = mlpforge(
        "train", dataset["id"], "--task", "classification",
        "--param", "hidden_layer_sizes=[8]", "--param", "max_iter=12",
        "--param", "learning_rate_init=0.05", "-p", "random_state=0", "-p", "activation=tanh",
        "--follow",
    )  # fmt: skip
    assert train.returncode == 0, train.stderr
    # Piped, the progress is one plain line per epoch at most once a second, and the last.
    assert re.search(r"epoch \d+/12  loss \d\.\d{4}", train.stderr), train.stderr
    done = re.search(r"(job_\w+) succeeded after (\d+) epochs .*model (mdl_\w+)", train.stdout)
    assert done, train.stdout
    job_id, model_id = done[1], done[3]
    assert f"epoch {done[2]}/12" in train.stderr

    jobs = mlpforge("jobs", "ls", "--dataset", dataset["id"], "--json")
    assert [job["id"] for job in json.loads(jobs.stdout)] == [job_id]
    shown = mlpforge("jobs", "show", job_id, "--json")
    job = json.loads(shown.stdout)
    assert job["status"] == "succeeded" and job["params"]["activation"] == "tanh"
    assert job["params"]["hidden_layer_sizes"] == [8]
    assert "succeeded" in mlpforge("jobs", "show", job_id).stdout

    # Columns by name, in another order and with the target column: matched to the model.
    rows = write_csv(tmp_path / "rows.csv", X[:6, ::-1], y[:6], [*NAMES[::-1], "colour"])
    out = tmp_path / "out.csv"
    predicted = mlpforge("predict", model_id, str(rows), "-o", str(out))
    assert predicted.returncode == 0, predicted.stderr
    table = list(csv.DictReader(out.open()))
    assert list(table[0]) == [
        "prediction", "probability_blue", "probability_green", "probability_red"
    ]  # fmt: skip
    assert [row["prediction"] for row in table] == list(y[:6])
    for row in table:
        assert abs(sum(float(row[f"probability_{c}"]) for c in ("blue", "green", "red")) - 1) < 1e-5
    # Just numbers, no header; the CSV goes to stdout.
    numbers = write_csv(tmp_path / "numbers.csv", X[:3], None, None)
    plain = mlpforge("predict", model_id, str(numbers))
    assert plain.returncode == 0 and plain.stdout.splitlines()[1].split(",")[0] == y[0]

    models = mlpforge("models", "ls", "--json")
    assert model_id in [model["id"] for model in json.loads(models.stdout)]
    exported = mlpforge("models", "export", model_id, "--format", "safetensors", "-o", "m.st")
    assert exported.returncode == 0, exported.stderr
    blob = (tmp_path / "m.st").read_bytes()
    (header_len,) = struct.unpack("<Q", blob[:8])
    assert blob[8:9] == b"{" and 8 + header_len <= len(blob)
    json.loads(blob[8 : 8 + header_len])

    assert mlpforge("jobs", "rm", job_id).returncode == 0
    assert mlpforge("models", "rm", model_id).returncode == 0
    assert mlpforge("datasets", "rm", dataset["id"]).returncode == 0


def test_errors_are_red_problems_with_a_nonzero_exit(mlpforge: CLI, tmp_path: Path) -> None:
    bad_key = mlpforge("datasets", "ls", key_="not-a-key")
    assert bad_key.returncode == 1
    assert "Error:" in bad_key.stderr and "the API key is not valid" in bad_key.stderr
    assert "401" in bad_key.stderr

    unknown = mlpforge("train", "ds_0000000000000000000000000", "--follow")
    assert unknown.returncode == 1
    assert "dataset 'ds_0000000000000000000000000' does not exist" in unknown.stderr

    X, y = blobs(n=30, seed=6)
    data = write_csv(tmp_path / "small.csv", X, y, [*NAMES, "colour"])
    dataset_id = mlpforge("datasets", "upload", str(data), "-q").stdout.strip()
    invalid = mlpforge("train", dataset_id, "-p", "max_iter=0")
    assert invalid.returncode == 1 and "max_iter" in invalid.stderr and "422" in invalid.stderr
    unknown_param = mlpforge("train", dataset_id, "-p", "nope=1")
    assert unknown_param.returncode == 1 and "body.params.nope" in unknown_param.stderr

    malformed = mlpforge("train", dataset_id, "-p", "max_iter")
    assert malformed.returncode == 1 and "expected KEY=VALUE" in malformed.stderr

    unreachable = mlpforge("--url", "http://127.0.0.1:9", "jobs", "ls")
    assert unreachable.returncode == 1 and "cannot reach http://127.0.0.1:9" in unreachable.stderr


def test_follow_exits_nonzero_when_the_job_fails(mlpforge: CLI, tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    X = rng.normal(size=(40, 3)) * 1e3
    data = write_csv(tmp_path / "wild.csv", X, X.sum(axis=1) * 1e3, ["a", "b", "c", "y"])
    dataset_id = mlpforge("datasets", "upload", str(data), "-q").stdout.strip()
    # A huge step on unscaled data: the loss overflows and the job fails.
    failed = mlpforge(
        "train", dataset_id, "--task", "regression", "-p", "solver=sgd",
        "-p", "learning_rate_init=1000", "-p", "standardize=false", "-p", "max_iter=5",
        "--follow",
    )  # fmt: skip
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "failed" in failed.stderr and "DivergenceError" in failed.stderr


def test_each_resource_lists_shows_and_deletes_alike(mlpforge: CLI, client: Client) -> None:
    """`ls` a table (or --json), `show` a table of fields, `rm` one line per id on stderr."""
    X, y = blobs(n=30, seed=11)
    first, second = (client.upload_dataset(X, y, name=f"cli-{i}") for i in range(2))
    params = {"hidden_layer_sizes": [4], "max_iter": 3, "random_state": 0}
    job = client.wait(client.train(first.id, "classification", params), timeout=120)
    assert job.succeeded and job.model_id

    def lines(*args: str) -> list[list[str]]:
        done = mlpforge(*args)
        assert done.returncode == 0, done.stderr
        return [line.split() for line in done.stdout.splitlines()]

    datasets = lines("datasets", "ls", "-n", "2")
    assert datasets[0] == ["ID", "NAME", "ROWS", "FEATURES", "TARGET", "CREATED"]
    assert [row[:4] for row in datasets[1:]] == [
        [second.id, "cli-1", "30", "3"], [first.id, "cli-0", "30", "3"]
    ]  # fmt: skip
    everything = json.loads(mlpforge("datasets", "ls", "--all", "--json").stdout)
    assert {first.id, second.id} <= {dataset["id"] for dataset in everything}
    assert ["classes", '["blue",', '"green",', '"red"]'] in lines("datasets", "show", first.id)

    jobs = lines("jobs", "ls", "-n", "1")
    assert jobs[0] == ["ID", "NAME", "STATUS", "TASK", "EPOCH", "LOSS", "MODEL", "CREATED"]
    assert jobs[1][0] == job.id and "succeeded" in jobs[1] and job.model_id in jobs[1]
    assert ["progress", "100%", "(epoch", f"{job.epoch})"] in lines("jobs", "show", job.id)
    history = lines("jobs", "metrics", job.id)
    assert history[0] == ["EPOCH", "LOSS", "VAL_LOSS", "VAL_SCORE", "LEARNING_RATE", "SECONDS"]
    assert [row[0] for row in history[1:]] == [str(e) for e in range(1, job.epoch + 1)]
    refused = mlpforge("jobs", "cancel", job.id)
    assert refused.returncode == 1 and "already finished" in refused.stderr

    models = lines("models", "ls", "-n", "1")
    assert models[0] == ["ID", "TASK", "FEATURES", "LAYERS", "PARAMETERS", "JOB", "CREATED"]
    assert models[1][0] == job.model_id and job.id in models[1]
    assert ["hidden", "layers", "[4]"] in lines("models", "show", job.model_id)
    shown = json.loads(mlpforge("models", "show", job.model_id, "--json").stdout)
    assert shown["id"] == job.model_id and shown["job_id"] == job.id
    assert ["ready", "yes"] in lines("status")

    for args, ids in (
        (("jobs", "rm"), [job.id]),
        (("models", "rm"), [job.model_id]),
        (("datasets", "rm"), [first.id, second.id]),
    ):
        removed = mlpforge(*args, *ids)
        assert removed.returncode == 0 and removed.stdout == ""
        assert removed.stderr.splitlines() == [f"Deleted {resource_id}" for resource_id in ids]
    gone = mlpforge("datasets", "show", first.id)
    assert gone.returncode == 1 and "does not exist" in gone.stderr
    nothing = mlpforge("jobs", "ls", "--dataset", first.id)
    assert nothing.returncode == 0 and nothing.stdout == "" and nothing.stderr == "No jobs.\n"
