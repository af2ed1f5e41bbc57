"""Shared by the service.ingest tests: parse from Python values, and read a refusal."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import numpy as np
import orjson
import pytest

from service.ingest import (
    DatasetError,
    IngestLimits,
    ParsedDataset,
    parse_csv_dataset,
    parse_json_dataset,
    parse_npz_dataset,
)

LIMITS = IngestLimits()


def as_json(doc: Any) -> bytes:
    return orjson.dumps(doc)


def as_npz(*, compressed: bool = False, **arrays: Any) -> bytes:
    buf = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buf, **arrays)
    return buf.getvalue()


def parse_json(doc: Any, limits: IngestLimits = LIMITS) -> ParsedDataset:
    body = doc if isinstance(doc, bytes) else as_json(doc)
    return parse_json_dataset(body, limits=limits)[0]


def parse_csv(text: str, target: str | None = None, limits: IngestLimits = LIMITS) -> ParsedDataset:
    return parse_csv_dataset(text.encode(), target=target, limits=limits)


def parse_npz(limits: IngestLimits = LIMITS, **arrays: Any) -> ParsedDataset:
    return parse_npz_dataset(as_npz(**arrays), limits=limits)


def refusal(parse: Callable[[], object]) -> DatasetError:
    with pytest.raises(DatasetError) as info:
        parse()
    return info.value


def only(err: DatasetError) -> tuple[list[str | int], str]:
    """(loc, msg) of an error that must hold exactly one entry."""
    assert len(err.errors) == 1, err.errors
    return err.errors[0]["loc"], err.errors[0]["msg"]


def arrays_loaded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the .npz arrays read from now on (a refusal from the header reads none)."""
    loaded: list[str] = []
    real_getitem = np.lib.npyio.NpzFile.__getitem__

    def spy_getitem(self: Any, key: str) -> Any:
        loaded.append(key)
        return real_getitem(self, key)

    monkeypatch.setattr(np.lib.npyio.NpzFile, "__getitem__", spy_getitem)
    return loaded
