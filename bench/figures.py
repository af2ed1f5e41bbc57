"""One measured figure, its target, and how benchmark scripts hand figures to `run_all.py`.

A benchmark script that accepts ``--json PATH`` writes ``{"figures": [Figure.as_dict(), ...]}``
there; `run_all.py` reads it and prints one table for every script.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Figure:
    """``ratio`` ≥ 1 means the target is met, whichever way the figure points."""

    group: str
    name: str
    value: float
    unit: str
    target: float | None = None
    higher_is_better: bool = True
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.target is None or self.value == 0:
            return None
        return self.value / self.target if self.higher_is_better else self.target / self.value

    @property
    def target_text(self) -> str:
        if self.target is None:
            return "—"
        return f"{'≥' if self.higher_is_better else '≤'} {number(self.target)} {self.unit}".strip()

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Figure:
        return cls(**{key: raw[key] for key in cls.__dataclass_fields__ if key in raw})


def number(value: float) -> str:
    """Three significant digits, thousands separated: 1,234,567 / 12.3 / 0.0123."""
    magnitude = abs(value)
    if magnitude >= 1000:
        return f"{value:,.0f}"
    if magnitude >= 100:
        return f"{value:.0f}"
    if magnitude >= 10:
        return f"{value:.1f}"
    if magnitude >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def write_figures(path: Path, figures: list[Figure], extra: dict[str, Any] | None = None) -> None:
    path.write_text(json.dumps({"figures": [f.as_dict() for f in figures], **(extra or {})}))


def read_figures(path: Path) -> list[Figure]:
    raw = json.loads(path.read_text())
    return [Figure.from_dict(item) for item in raw.get("figures", [])]
