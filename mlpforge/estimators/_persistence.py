"""The engine's model to and from its safetensors bytes: how a fitted estimator pickles."""

from __future__ import annotations

from engine import FittedModel
from engine.serialization import dump_model, load_model


def model_bytes(model: FittedModel) -> bytes:
    """The model with its training state (what ``warm_start`` / ``partial_fit`` continue)."""
    return dump_model(model)


def model_from_bytes(blob: bytes) -> FittedModel:
    return load_model(blob)
