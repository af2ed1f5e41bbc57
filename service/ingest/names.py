"""Name rules shared by all formats: feature names non-empty, unique and not too long; the
dataset's name not too long."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from .errors import DatasetError, Loc, quote
from .limits import IngestLimits


@dataclass(frozen=True)
class NameProblem:
    index: int  # 0-based position of the offending name
    problem: Literal["empty", "duplicate", "long"]
    first_index: int | None = None  # for duplicates: where the name first appeared


def default_feature_names(n_features: int) -> list[str]:
    return [f"x{i}" for i in range(n_features)]


def find_name_problems(names: Sequence[str], max_chars: int) -> list[NameProblem]:
    """Every empty (or blank) name, every name over ``max_chars`` characters and every repeat
    of an earlier name, in order."""
    seen: dict[str, int] = {}
    problems = []
    for i, name in enumerate(names):
        if not name.strip():
            problems.append(NameProblem(i, "empty"))
        elif len(name) > max_chars:
            problems.append(NameProblem(i, "long"))
        elif name in seen:
            problems.append(NameProblem(i, "duplicate", seen[name]))
        else:
            seen[name] = i
    return problems


def too_long(name: str, max_chars: int) -> str:
    """The message for a name over the limit (shown shortened)."""
    return f"{quote(name)} has {len(name):,} characters; at most {max_chars:,} are allowed"


def check_dataset_name(name: str | None, *, loc: Loc, limits: IngestLimits, what: str) -> None:
    """Refuse a dataset name over ``limits.max_name_chars``; ``what`` says where it came from
    ("name", "the file name (the dataset's name)")."""
    if name is not None and len(name) > limits.max_name_chars:
        raise DatasetError.at(loc, f"{what} {too_long(name, limits.max_name_chars)}")
