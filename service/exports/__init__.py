"""Model files for download: the engine's safetensors blob, an ONNX graph, a skops pipeline."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from engine import FittedModel, load_model
from service.exports.onnx import to_onnx
from service.exports.skops import NotExpressible, to_skops

ExportFormat = Literal["safetensors", "onnx", "skops"]

__all__ = ["Export", "ExportFormat", "NotExpressible", "export_model"]


@dataclass(frozen=True)
class Export:
    content: bytes
    media_type: str


@dataclass(frozen=True)
class _Format:
    media_type: str
    build: Callable[[FittedModel], bytes] | None  # None: the stored blob as it is


# ONNX and safetensors have no registered media type; a skops file is a zip archive.
_FORMATS: dict[str, _Format] = {
    "safetensors": _Format("application/octet-stream", None),
    "onnx": _Format("application/octet-stream", to_onnx),
    "skops": _Format("application/zip", to_skops),
}


def export_model(blob: bytes, format: ExportFormat) -> Export:
    """The file of ``format`` for the stored model ``blob`` (`NotExpressible`: it cannot be)."""
    chosen = _FORMATS[format]
    if chosen.build is None:
        return Export(blob, chosen.media_type)
    return Export(chosen.build(load_model(blob)), chosen.media_type)
