"""Feature-name rules shared by all formats: non-empty and unique."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class NameProblem:
    index: int  # 0-based position of the offending name
    problem: str  # "empty" or "duplicate"
    first_index: int | None = None  # for duplicates: where the name first appeared


def default_feature_names(n_features: int) -> list[str]:
    return [f"x{i}" for i in range(n_features)]


def find_name_problems(names: Sequence[str]) -> list[NameProblem]:
    """Every empty (or blank) name and every repeat of an earlier name, in order."""
    seen: dict[str, int] = {}
    problems = []
    for i, name in enumerate(names):
        if not name.strip():
            problems.append(NameProblem(i, "empty"))
        elif name in seen:
            problems.append(NameProblem(i, "duplicate", seen[name]))
        else:
            seen[name] = i
    return problems
