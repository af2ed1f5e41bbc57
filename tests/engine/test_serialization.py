"""Model blobs: one safetensors file with the metadata JSON inside; strict loading."""

from __future__ import annotations

import json
import struct
from typing import Any

import numpy as np
import pytest

from engine import FittedModel, MLPParams, ModelFormatError, dump_model, fit, load_model
from engine.blob import METADATA_KEY, pack, unpack
from engine.serialization import model_metadata

PARAMS = MLPParams(hidden_layer_sizes=(6, 5), random_state=0, max_iter=5)


@pytest.fixture
def model(blobs) -> FittedModel:  # type: ignore[no-untyped-def]
    X, y = blobs
    return fit(X, y, task="classification", params=PARAMS)


def test_round_trip_gives_identical_predictions(model, blobs, linear) -> None:  # type: ignore[no-untyped-def]
    X, _ = blobs
    again = load_model(dump_model(model))
    assert np.array_equal(again.predict_proba(X), model.predict_proba(X))
    assert np.array_equal(again.predict(X), model.predict(X))
    assert again.classes_ is not None and again.classes_.dtype == model.classes_.dtype  # type: ignore[union-attr]
    assert again.history == model.history and again.params == model.params
    Xr, yr = linear
    reg = fit(Xr, np.column_stack([yr, yr]), task="regression", params=PARAMS)
    reg2 = load_model(dump_model(reg))
    assert np.array_equal(reg2.predict(Xr), reg.predict(Xr))
    assert reg2.y_mean_ is not None and reg2.y_mean_.shape == (2,)


@pytest.mark.parametrize("labels", [[3, 7], [True, False], [0.5, 1.5, 2.5], ["b", "a", "c"]])
def test_label_types_survive(labels: list[Any], blobs) -> None:  # type: ignore[no-untyped-def]
    X, _ = blobs
    y = np.array(labels)[np.arange(120) % len(labels)]
    m = load_model(dump_model(fit(X, y, task="classification", params=PARAMS)))
    assert m.classes_ is not None
    assert m.classes_.tolist() == sorted(set(labels))
    assert m.classes_.dtype == y.dtype and m.predict(X).dtype == y.dtype


def test_metadata_is_json_and_inside_the_header(model) -> None:  # type: ignore[no-untyped-def]
    meta = model_metadata(model)
    json.dumps(meta)
    assert meta["classes"] == ["ant", "bee", "cat"] and meta["n_features"] == 5
    assert meta["hidden_layer_sizes"] == [6, 5] and meta["n_parameters"] == model.n_parameters
    assert set(meta["versions"]) >= {"numpy", "safetensors", "mlpforge", "python"}
    blob = dump_model(model)
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + n])
    doc = json.loads(header["__metadata__"][METADATA_KEY])
    assert doc["task"] == "classification" and doc["format"] == "mlpforge-model"
    assert doc["version"] == 2 and doc["training"]["solver"] == "adam"
    weights = {
        "layers.0.weight",
        "layers.0.bias",
        "layers.1.weight",
        "layers.1.bias",
        "layers.2.weight",
        "layers.2.bias",
        "x_mean",
        "x_scale",
    }
    assert set(header) - {"__metadata__"} == weights | {
        "training.optimizer.m",
        "training.optimizer.v",
    }
    lean = dump_model(model, training_state=False)
    (n,) = struct.unpack("<Q", lean[:8])
    assert set(json.loads(lean[8 : 8 + n])) - {"__metadata__"} == weights
    assert load_model(lean).training is None


def test_exposes_what_onnx_export_needs(model) -> None:  # type: ignore[no-untyped-def]
    layers = model.layers()
    assert [w.shape for w, _ in layers] == [(5, 6), (6, 5), (5, 3)]
    assert all(w.dtype == np.float32 and b.dtype == np.float32 for w, b in layers)
    assert model.x_mean_.shape == (5,) and model.y_mean_ is None
    assert model.output_activation == "softmax" and model.activation == "relu"


def _tamper(blob: bytes, change: Any) -> bytes:
    arrays, doc = unpack(blob, "model")
    arrays = {k: v.copy() for k, v in arrays.items()}
    change(arrays, doc)
    return pack(arrays, doc)


@pytest.mark.parametrize(
    "change,message",
    [
        (lambda a, d: a["layers.0.weight"].__setitem__((0, 0), np.nan), "NaN"),
        (lambda a, d: a["layers.1.bias"].__setitem__(0, np.inf), "infinite"),
        (lambda a, d: a.pop("layers.2.bias"), "missing"),
        (lambda a, d: a.__setitem__("extra", np.zeros(1, np.float32)), "unexpected"),
        (lambda a, d: a.__setitem__("layers.0.weight", np.zeros((5, 7), np.float32)), "shape"),
        (lambda a, d: a.__setitem__("layers.0.bias", np.zeros(6, np.float64)), "dtype"),
        (lambda a, d: a.__setitem__("x_scale", np.zeros(5, np.float32)), "positive"),
        (lambda a, d: d.__setitem__("format", "other"), "not an mlpforge model"),
        (lambda a, d: d.__setitem__("version", 99), "version"),
        (lambda a, d: d.pop("task"), "metadata"),
        (lambda a, d: d.__setitem__("n_outputs", 4), "outputs"),
        (lambda a, d: d["params"].__setitem__("bogus", 1), "metadata"),
        (lambda a, d: d.__setitem__("classes", {"dtype": "|O", "values": [1, 2]}), "classes"),
    ],
)
def test_bad_files_are_refused_clearly(model, change, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ModelFormatError, match=message):
        load_model(_tamper(dump_model(model), change))


def test_corrupt_bytes_are_refused(model) -> None:  # type: ignore[no-untyped-def]
    blob = dump_model(model)
    for bad in (
        b"",
        b"abc",
        blob[:100],
        blob[: len(blob) - 7],
        b"\xff" * 64,
        struct.pack("<Q", 10) + b"{not json}",
    ):
        with pytest.raises(ModelFormatError):
            load_model(bad)
    with pytest.raises(ModelFormatError, match="expected bytes"):
        load_model("text")  # type: ignore[arg-type]


def test_predict_checks_width_and_values(model, blobs) -> None:  # type: ignore[no-untyped-def]
    X, _ = blobs
    with pytest.raises(ValueError, match="expected 5 features, got 4"):
        model.predict(X[:, :4])
    with pytest.raises(ValueError, match="finite"):
        model.predict(np.full((1, 5), np.nan))
    assert model.predict(X[0]).shape == (1,)  # one row as a 1-D array
    assert model.predict(X[:1].tolist()).shape == (1,)
    with pytest.raises(ValueError, match="only available for classification"):
        fit(X, X[:, 0], task="regression", params=PARAMS).predict_proba(X)


def test_predict_reproduces_training_outputs(blobs) -> None:  # type: ignore[no-untyped-def]
    from engine import Trainer

    X, y = blobs
    trainer = Trainer(X, y, task="classification", params=PARAMS)
    model = trainer.run()
    _, out = trainer.net.evaluate(trainer.data.X_train.materialize(), trainer.data.Y_train)
    assert np.array_equal(model.predict_proba(X), out)


def test_chunked_prediction_equals_one_pass(model, blobs, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import engine.network

    X, _ = blobs
    whole = model.predict_proba(X)
    monkeypatch.setattr(engine.network, "PREDICT_CHUNK_ELEMENTS", 7 * 6)  # 7 rows per chunk
    assert np.array_equal(model.predict_proba(X), whole)


def test_final_metrics(model) -> None:  # type: ignore[no-untyped-def]
    metrics = model.final_metrics()
    assert set(metrics) == {"loss", "val_loss", "val_score", "train_rmse", "learning_rate"}
    assert metrics["loss"] == model.history[-1]["loss"] and metrics["val_score"] is None
    json.dumps(model.history)
