"""What each column of a CSV upload is: a feature, a target (one, or several for a multi-column
target) or the sample weights; and how rows and columns are named in messages."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import DatasetError, Loc, error, join_names, quote
from .limits import IngestLimits
from .names import find_name_problems, too_long

_FILE: Loc = ["file"]


@dataclass(frozen=True)
class Layout:
    """Column roles, and how rows and columns are named in messages."""

    names: list[str]
    targets: list[int]  # indices of the target columns (one, unless a multi-column target)
    weights: int | None  # index of the sample-weight column
    header_end: int  # file line the header ends on

    @classmethod
    def from_header(
        cls,
        header: list[str],
        target: str | None,
        weights: str | None,
        header_end: int,
        limits: IngestLimits,
    ) -> Layout:
        """``target``: a column's name, or several separated by commas (a multi-column
        target); default the last column that is not the weights. ``weights``: a column's
        name."""
        names = [h.strip() for h in header]
        check_header(names, limits.max_name_chars)
        w = None if weights is None else _column(names, weights, "weights")
        if target is None:
            last = len(names) - 1
            targets = [last - 1 if w == last else last]
        elif target.strip() in names:  # a name that holds a comma is still one column
            targets = [names.index(target.strip())]
        else:
            targets = [_column(names, part, "target") for part in target.split(",")]
        if len(set(targets)) != len(targets):
            raise DatasetError.at(["query", "target"], "names a column twice")
        if w is not None and w in targets:
            raise DatasetError.at(
                ["query", "weights"],
                f"the column {quote(names[w])} cannot be both target and weights",
            )
        layout = cls(names, targets, w, header_end)
        if not layout.feature_columns:
            raise DatasetError.at(
                [*_FILE, "header"],
                "no feature column is left once the target and weight columns are taken",
            )
        return layout

    @property
    def width(self) -> int:
        return len(self.names)

    @property
    def target(self) -> int:
        """The target column of a one-target dataset."""
        return self.targets[0]

    @property
    def extra_columns(self) -> list[int]:
        """Every column that is not a feature: the targets, then the weights."""
        return self.targets + ([] if self.weights is None else [self.weights])

    @property
    def feature_columns(self) -> list[int]:
        taken = set(self.extra_columns)
        return [j for j in range(self.width) if j not in taken]

    @property
    def n_features(self) -> int:
        return len(self.feature_columns)

    @property
    def feature_names(self) -> list[str]:
        return [self.names[j] for j in self.feature_columns]

    def row_label(self, row: int, line: int) -> str:
        label = f"row {row}"
        if line != self.header_end + row:
            label += f" (line {line} of the file)"
        return label

    def cell_error(self, row: int, line: int, column: int, problem: str) -> DatasetError:
        name = self.names[column]
        return DatasetError.at(
            [*_FILE, f"row {row}", name],
            f"{self.row_label(row, line)}, column {quote(name)}: {problem}",
        )

    def column_error(self, column: int, problem: str) -> DatasetError:
        name = self.names[column]
        return DatasetError.at([*_FILE, name], f"column {quote(name)}: {problem}")


def _column(names: list[str], wanted: str, field: str) -> int:
    if wanted.strip() not in names:
        raise DatasetError.at(
            ["query", field],
            f"the file has no column named {quote(wanted)}; its columns are: {join_names(names)}",
        )
    return names.index(wanted.strip())


def check_header(names: list[str], max_chars: int) -> None:
    loc: Loc = [*_FILE, "header"]
    if len(names) < 2:
        only = names[0] if names else ""
        hint = ""
        for sep, called in ((";", "semicolons"), ("\t", "tabs"), ("|", "'|'")):
            if sep in only:
                hint = f"; it seems to use {called} as separator, but only commas are supported"
                break
        raise DatasetError.at(
            loc,
            f"the header has only one column ({quote(only)}); a CSV dataset needs at least one "
            f"feature column and a target column{hint}",
        )
    problems = find_name_problems(names, max_chars)
    if not problems:
        return
    # A headerless file of numbers typically shows up here, as repeated "names" like '0'.
    hint = ""
    if all(_is_number(n) for n in names if n):
        hint = "; the first row holds only numbers — a header row with column names is required"
    messages = [
        f"column {p.index + 1} has an empty name"
        if p.problem == "empty"
        else f"the name of column {p.index + 1}, {too_long(names[p.index], max_chars)}"
        if p.problem == "long"
        else f"column {p.index + 1} has the same name as column {(p.first_index or 0) + 1}: "
        f"{quote(names[p.index])}{hint}"
        for p in problems
    ]
    raise DatasetError([error(loc, msg) for msg in messages])


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
