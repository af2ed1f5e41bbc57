"""CSV dataset files: UTF-8 (an optional BOM is dropped), comma-separated, a header row.

Rules, as users see them:

* The first non-blank row is the header; names are stripped of surrounding spaces and must be
  non-empty, unique and not too long. ``target`` names the target column (default: the last
  one).
* Quotes follow RFC 4180 strictly: a quoted cell must be closed, and closed right before a comma
  or the end of the line. A quote left open would swallow the rest of the file into one cell;
  the message names the line where it opened.
* Rows are numbered from 1, counting data rows only: the header is not a row and blank lines
  are skipped without being counted. When that number differs from the line in the file, the
  message names the line too ("row 3 (line 5 of the file)").
* Feature cells must be numbers (surrounding spaces allowed). Empty cells, text, NaN/inf in any
  spelling, and values beyond the float32 range are errors naming row and column.
* The target column is read as integers if every cell is one, else as floats if every cell is
  one, else as strings (stripped of surrounding spaces). So "true"/"false" stay strings, and
  "nan" is an error in a numeric column but just a label among strings. Empty cells are errors.
  Labels are encoded as class codes as they are read (see targets), never as a string array.

Speed: a file without quote characters in its data rows goes through ``np.loadtxt``'s C parser
(about as fast as CSV parsing gets in numpy). Anything that path does not accept cleanly — and
any file with quotes — goes through a streaming ``csv`` reader, which is the single authority
for error messages, so a file gets the same verdict whichever path reads it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .dataset import EncodedTarget, ParsedDataset
from .errors import DatasetError, Loc, error, join_names, plural, quote
from .limits import IngestLimits, check_size
from .names import find_name_problems, too_long
from .numeric import FLOAT32_RANGE, first_nonfinite
from .targets import classify_target, encode_labels

_FILE: Loc = ["file"]
_NONFINITE_SPELLINGS = ("nan", "inf")  # also covers "infinity", any case and sign
_QUOTE_RUNS = re.compile('"+')


def parse_csv_dataset(data: bytes, *, target: str | None, limits: IngestLimits) -> ParsedDataset:
    """Parse a CSV upload. ``target`` is the target column's name (None: the last column).

    Raises :class:`DatasetError` with locs such as ``["file", "row 3", "age"]``.
    """
    text = _decode(data)
    if "\r" in text:  # one line-ending convention, so line counting and splitting agree
        text = text.replace("\r\n", "\n").replace("\r", "\n")

    header, header_end = _read_header(text)
    layout = _Layout.from_header(header, target, header_end, limits)

    # Data rows counted from lines, before any cell is converted, so oversized uploads are
    # refused cheaply. With quotes a record may span lines, so the count is an upper bound.
    body = text.split("\n")[header_end:]
    rows = [line for line in body if line]
    if not rows:
        raise DatasetError.at(
            _FILE, "the dataset is empty: the file has a header row but no data rows"
        )
    quoted = any('"' in line for line in rows)
    check_size(limits, len(rows), layout.n_features, loc=_FILE, approx=quoted)

    fast = None if quoted else _read_fast(rows, layout)
    if fast is not None:
        X, target_cells = fast
        row_lines = [header_end + k + 1 for k, line in enumerate(body) if line]
    else:
        X, target_cells, row_lines = _read_slow(text, layout, max_rows=len(rows))

    encoded = _target(target_cells, row_lines, layout, limits)
    return ParsedDataset.of(X, encoded, layout.feature_names, layout.names[layout.target])


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        hint = ""
        if data.startswith(b"PK\x03\x04"):
            hint = "; it looks like a zip/.npz file, not a CSV"
        elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
            hint = "; it looks like UTF-16"
        # utf-8-sig counts offsets after the BOM it dropped; report the offset in the file.
        offset = exc.start + (3 if data.startswith(b"\xef\xbb\xbf") else 0)
        raise DatasetError.at(
            _FILE,
            f"the file is not UTF-8 text (invalid byte at offset {offset}){hint}; "
            "save it as a UTF-8 CSV",
        ) from None


def _records(text: str) -> Iterator[tuple[int, int, list[str]]]:
    """(first line, last line, cells) of every non-blank CSV record, header included."""
    reader = csv.reader(io.StringIO(text), strict=True)
    end = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            # Only a quoted cell still open at the end of the file ends the data early.
            if reader.line_num > end and str(exc) == "unexpected end of data":
                raise _unclosed_quote(text, end + 1) from None
            raise DatasetError.at(
                _FILE, f"line {reader.line_num} of the file is not valid CSV: {exc}"
            ) from None
        start, end = end + 1, reader.line_num
        if cells:
            yield start, end, cells


def _unclosed_quote(text: str, record_line: int) -> DatasetError:
    """The error for a quote that the record starting on ``record_line`` never closes.

    Strict parsing got to the end of the file inside a quoted cell, so every quote after the
    opening one is a doubled (escaped) pair: the opening quote begins the last run of an odd
    number of quotes.
    """
    offset = 0
    for _ in range(record_line - 1):
        offset = text.index("\n", offset) + 1
    opening = offset
    for run in _QUOTE_RUNS.finditer(text, offset):
        if len(run.group()) % 2:
            opening = run.start()
    line = record_line + text.count("\n", offset, opening)
    return DatasetError.at(
        [*_FILE, f"line {line}"],
        f"line {line} of the file opens a quoted value that is never closed; add the closing "
        '\'"\' (a quote inside a quoted value is written twice: "")',
    )


def _read_header(text: str) -> tuple[list[str], int]:
    """The header's cells and the file line it ends on."""
    for _, end, cells in _records(text):
        return cells, end
    raise DatasetError.at(_FILE, "the dataset is empty: the file has no header row and no data")


@dataclass(frozen=True)
class _Layout:
    """Column roles, and how rows and columns are named in messages."""

    names: list[str]
    target: int  # index of the target column
    header_end: int  # file line the header ends on

    @classmethod
    def from_header(
        cls, header: list[str], target: str | None, header_end: int, limits: IngestLimits
    ) -> _Layout:
        names = [h.strip() for h in header]
        _check_header(names, limits.max_name_chars)
        if target is None:
            return cls(names, len(names) - 1, header_end)
        wanted = target.strip()
        if wanted not in names:
            raise DatasetError.at(
                ["query", "target"],
                f"the file has no column named {quote(target)}; its columns are: "
                f"{join_names(names)}",
            )
        return cls(names, names.index(wanted), header_end)

    @property
    def width(self) -> int:
        return len(self.names)

    @property
    def n_features(self) -> int:
        return len(self.names) - 1

    @property
    def feature_columns(self) -> list[int]:
        return [j for j in range(self.width) if j != self.target]

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


def _check_header(names: list[str], max_chars: int) -> None:
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


def _read_fast(rows: list[str], layout: _Layout) -> tuple[np.ndarray, list[str]] | None:
    """X and the target cells via numpy's C parser; None when the slow path must decide.

    Only for rows without quote characters, where a comma always separates cells.
    """
    commas = layout.width - 1
    if any(line.count(",") != commas for line in rows):
        return None  # ragged
    try:
        # float32 straight away: loadtxt parses a double and casts, exactly like the slow path.
        X = np.loadtxt(
            rows,
            delimiter=",",
            dtype=np.float32,
            usecols=layout.feature_columns,
            comments=None,
            quotechar=None,
            ndmin=2,
        )
    except ValueError:
        return None  # a cell that is not a number
    if X.shape != (len(rows), layout.n_features) or first_nonfinite(X) is not None:
        return None  # NaN/inf, or a value that overflowed float32
    return np.ascontiguousarray(X), _target_column(rows, layout)


def _target_column(rows: list[str], layout: _Layout) -> list[str]:
    """The target cells of quote-free rows, splitting each row only as far as needed."""
    t, width = layout.target, layout.width
    if t == width - 1:
        return [line.rpartition(",")[2] for line in rows]
    if t == 0:
        return [line.partition(",")[0] for line in rows]
    if t < width // 2:
        return [line.split(",", t + 1)[t] for line in rows]
    return [line.rsplit(",", width - t)[1] for line in rows]


def _read_slow(
    text: str, layout: _Layout, *, max_rows: int
) -> tuple[np.ndarray, list[str], list[int]]:
    """X, target cells and file lines of the rows, record by record with the csv module.

    Raises the :class:`DatasetError` for the first problem in file order.
    """
    X = np.empty((max_rows, layout.n_features), dtype=np.float32)
    targets: list[str] = []
    row_lines: list[int] = []
    t, width, n_features = layout.target, layout.width, layout.n_features
    records = _records(text)
    next(records)  # the header, already read
    row = 0
    for start, _, cells in records:
        row += 1
        if len(cells) != width:
            raise DatasetError.at(
                [*_FILE, f"row {row}"],
                f"{layout.row_label(row, start)} has {plural(len(cells), 'cell')}, "
                f"the header has {width}",
            )
        targets.append(cells.pop(t))  # what is left are the feature cells, in order
        try:
            values = np.fromiter(map(float, cells), dtype=np.float64, count=n_features)
        except ValueError:
            raise _first_bad_cell(cells, row, start, layout) from None
        if not np.isfinite(values).all():
            raise _first_bad_cell(cells, row, start, layout)
        with np.errstate(over="ignore"):
            narrowed = values.astype(np.float32)
        if not np.isfinite(narrowed).all():
            raise _first_bad_cell(cells, row, start, layout)
        X[row - 1] = narrowed
        row_lines.append(start)
    return (X[:row].copy() if row < max_rows else X), targets, row_lines


def _first_bad_cell(cells: list[str], row: int, line: int, layout: _Layout) -> DatasetError:
    """The error for the first feature cell of a row that is not a finite float32."""
    for cell, column in zip(cells, layout.feature_columns, strict=True):
        problem = _feature_cell_problem(cell)
        if problem is not None:
            return layout.cell_error(row, line, column, problem)
    raise AssertionError("no bad cell in a row reported as bad")  # pragma: no cover


def _feature_cell_problem(cell: str) -> str | None:
    if not cell.strip():
        return "missing value"
    try:
        value = float(cell)
    except ValueError:
        return f"{quote(cell)} is not a number"
    if not np.isfinite(value):
        if _spells_nonfinite(cell):
            return f"NaN/inf not allowed ({quote(cell)})"
        return f"{quote(cell)} is outside {FLOAT32_RANGE}"  # e.g. 1e400
    with np.errstate(over="ignore"):
        if not np.isfinite(np.float32(value)):
            return f"{quote(cell)} is outside {FLOAT32_RANGE}"
    return None


def _spells_nonfinite(cell: str) -> bool:
    return cell.strip().lstrip("+-").lower().startswith(_NONFINITE_SPELLINGS)


def _target(
    cells: list[str], row_lines: list[int], layout: _Layout, limits: IngestLimits
) -> EncodedTarget:
    """The target column read as int64, else float64, else labels (see the module docstring),
    and encoded."""

    def refuse(k: int | None, problem: str) -> DatasetError:
        if k is None:
            name = layout.names[layout.target]
            return DatasetError.at([*_FILE, name], f"column {quote(name)}: {problem}")
        return layout.cell_error(k + 1, row_lines[k], layout.target, problem)

    values = [c.strip() for c in cells]
    for k, value in enumerate(values):
        if not value:
            raise refuse(k, "missing target value")
    try:
        ints = np.array(list(map(int, values)), dtype=np.int64)
    except (ValueError, OverflowError):
        pass  # not all integers, or beyond int64: try floats
    else:
        return classify_target(ints, limits=limits, refuse=refuse)
    try:
        floats = np.array(list(map(float, values)), dtype=np.float64)
    except ValueError:
        return encode_labels(values, limits=limits, refuse=refuse)
    bad = first_nonfinite(floats)
    if bad is not None:
        (k,) = bad
        problem = (
            f"NaN/inf not allowed in the target ({quote(values[k])})"
            if _spells_nonfinite(values[k])
            else f"{quote(values[k])} is too large for a number"
        )
        raise refuse(k, problem)
    return classify_target(floats, limits=limits, refuse=refuse)
