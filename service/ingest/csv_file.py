"""CSV dataset files: UTF-8 (an optional BOM is dropped), comma-separated, a header row.

Rules, as users see them:

* The first non-blank row is the header; names are stripped of surrounding spaces and must be
  non-empty, unique and not too long. ``target`` names the target column (default: the last
  one that is not the weights), or several separated by commas (a multi-column target, numbers
  only); ``weights`` names a column of per-row sample weights (see csv_layout, csv_columns).
* Quotes follow RFC 4180 strictly: a quoted cell must be closed, and closed right before a comma
  or the end of the line. A quote left open would swallow the rest of the file into one cell;
  the message names the line where it opened.
* Rows are numbered from 1, counting data rows only: the header is not a row and blank lines
  are skipped without being counted. When that number differs from the line in the file, the
  message names the line too ("row 3 (line 5 of the file)").
* Feature cells must be numbers (surrounding spaces allowed). Empty cells, text, NaN/inf in any
  spelling, and values beyond the float32 range are errors naming row and column. Features
  written as integers (no ".", "e" or "E" in any feature cell) and within ±2**24 are stored in
  the smallest integer dtype holding them (uint8 for pixels), else as float32
  (numeric.narrow_features), whichever path reads them.
* The target column is read as labels or numbers, the weights as numbers (see csv_columns).

Speed: a file without quote characters in its data rows goes through ``np.loadtxt``'s C parser
(about as fast as CSV parsing gets in numpy; its integer reader, faster still, when no feature
cell holds a ".", "e" or "E"). Anything that path does not accept cleanly — and any file with
quotes — goes through a streaming ``csv`` reader, which is the single authority for error
messages, so a file gets the same verdict whichever path reads it.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator

import numpy as np

from .csv_columns import read_target, read_weights, spells_nonfinite
from .csv_layout import Layout
from .dataset import ParsedDataset
from .errors import DatasetError, Loc, plural, quote
from .limits import IngestLimits, check_size
from .numeric import FLOAT32_RANGE, first_nonfinite, narrow_features, narrow_parsed_integers

_FILE: Loc = ["file"]
_QUOTE_RUNS = re.compile('"+')
# Every non-feature column's cells, by column index.
Extra = dict[int, list[str]]


def parse_csv_dataset(
    data: bytes, *, target: str | None, limits: IngestLimits, weights: str | None = None
) -> ParsedDataset:
    """Parse a CSV upload. ``target`` names the target column(s) (None: the last column);
    ``weights`` the sample weights' column (None: no weights).

    Raises :class:`DatasetError` with locs such as ``["file", "row 3", "age"]``.
    """
    text = _decode(data)
    if "\r" in text:  # one line-ending convention, so line counting and splitting agree
        text = text.replace("\r\n", "\n").replace("\r", "\n")

    header, header_end = _read_header(text)
    layout = Layout.from_header(header, target, weights, header_end, limits)

    # Data rows counted from lines, before any cell is converted, so oversized uploads are
    # refused cheaply. With quotes a record may span lines, so the count is an upper bound.
    body = text.split("\n")[header_end:]
    rows = [line for line in body if line]
    if not rows:
        raise DatasetError.at(
            _FILE, "the dataset is empty: the file has a header row but no data rows"
        )
    quoted = any('"' in line for line in rows)
    n_targets = len(layout.targets)
    check_size(limits, len(rows), layout.n_features, loc=_FILE, approx=quoted, n_targets=n_targets)

    fast = None if quoted else _read_fast(rows, layout)
    if fast is not None:
        X, extra = fast
        row_lines = [header_end + k + 1 for k, line in enumerate(body) if line]
    else:
        X, extra, row_lines = _read_slow(text, layout, max_rows=len(rows))

    encoded = read_target(extra, row_lines, layout, limits)
    target_names = [layout.names[t] for t in layout.targets] if n_targets > 1 else None
    return ParsedDataset.of(
        X,
        encoded,
        layout.feature_names,
        layout.names[layout.target] if n_targets == 1 else None,
        weights=read_weights(extra, row_lines, layout),
        target_names=target_names,
        weights_name=None if layout.weights is None else layout.names[layout.weights],
    )


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
    reader = csv.reader(_lines(text), strict=True)
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


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text``, each with its newline, one at a time: csv.reader over
    io.StringIO(text) first copies the whole text (0.9 s for 100 MB, to read a header)."""
    start, size = 0, len(text)
    while start < size:
        stop = text.find("\n", start)
        stop = size if stop < 0 else stop + 1
        yield text[start:stop]
        start = stop


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


def _read_fast(rows: list[str], layout: Layout) -> tuple[np.ndarray, Extra] | None:
    """X and the other columns' cells via numpy's C parser; None when the slow path must decide.

    Only for rows without quote characters, where a comma always separates cells. Feature
    cells that are all integers (no ".", "e" or "E") are read by numpy's integer reader, about
    1.5× as fast as its float reader, and kept in the smallest integer dtype that holds them.
    """
    commas = layout.width - 1
    if any(line.count(",") != commas for line in rows):
        return None  # ragged
    extra = {j: _column(rows, layout.width, j) for j in layout.extra_columns}
    integers = _integer_features(rows, extra)
    X = _read_integers(rows, layout) if integers else None
    if X is None:
        try:
            # float32 straight away: loadtxt parses a double and casts, exactly like the slow
            # path.
            X = _loadtxt(rows, layout, np.float32)
        except ValueError:
            return None  # a cell that is not a number
        if first_nonfinite(X) is not None:
            return None  # NaN/inf, or a value that overflowed float32
        if integers:  # beyond int32: float32, or an integer dtype if float32 rounds them in
            X = narrow_features(X)
    if X.shape != (len(rows), layout.n_features):
        return None
    return np.ascontiguousarray(X), extra


def _loadtxt(rows: list[str], layout: Layout, dtype: type) -> np.ndarray:
    return np.loadtxt(
        rows,
        delimiter=",",
        dtype=dtype,
        usecols=layout.feature_columns,
        comments=None,
        quotechar=None,
        ndmin=2,
    )


def _integer_features(rows: list[str], extra: Extra) -> bool:
    """Whether no feature cell holds a ".", "e" or "E": those the rows hold are all in the
    other columns (labels, targets, weights)."""
    for char in ".eE":
        if not any(char in line for line in rows):
            continue  # quickest, and the usual case for integer data
        in_extra = sum(cell.count(char) for cells in extra.values() for cell in cells)
        if sum(line.count(char) for line in rows) != in_extra:
            return False
    return True


def _read_integers(rows: list[str], layout: Layout) -> np.ndarray | None:
    """Integer feature cells via numpy's integer reader (which takes a subset of what float()
    does, with the same values), narrowed as stored; None when it cannot read them (a value
    beyond int32, a cell that is not an integer): the float reader decides."""
    try:
        X = _loadtxt(rows, layout, np.int32)
    except (ValueError, OverflowError):
        return None
    return narrow_parsed_integers(X)


def _column(rows: list[str], width: int, t: int) -> list[str]:
    """The cells of column ``t`` of quote-free rows, splitting each row only as far as needed."""
    if t == width - 1:
        return [line.rpartition(",")[2] for line in rows]
    if t == 0:
        return [line.partition(",")[0] for line in rows]
    if t < width // 2:
        return [line.split(",", t + 1)[t] for line in rows]
    return [line.rsplit(",", width - t)[1] for line in rows]


def _read_slow(text: str, layout: Layout, *, max_rows: int) -> tuple[np.ndarray, Extra, list[int]]:
    """X, the other columns' cells and file lines of the rows, record by record with the csv
    module. Features written as integers are stored as the fast path stores them.

    Raises the :class:`DatasetError` for the first problem in file order.
    """
    X = np.empty((max_rows, layout.n_features), dtype=np.float32)
    extra: Extra = {j: [] for j in layout.extra_columns}
    row_lines: list[int] = []
    integers = True  # no feature cell so far holds a ".", "e" or "E"
    width, n_features, features = layout.width, layout.n_features, layout.feature_columns
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
        for j, column in extra.items():
            column.append(cells[j])
        cells = [cells[j] for j in features]
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
        if integers:
            joined = ",".join(cells)
            integers = "." not in joined and "e" not in joined and "E" not in joined
    X = X[:row].copy() if row < max_rows else X
    return (narrow_features(X) if integers else X), extra, row_lines


def _first_bad_cell(cells: list[str], row: int, line: int, layout: Layout) -> DatasetError:
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
        if spells_nonfinite(cell):
            return f"NaN/inf not allowed ({quote(cell)})"
        return f"{quote(cell)} is outside {FLOAT32_RANGE}"  # e.g. 1e400
    with np.errstate(over="ignore"):
        if not np.isfinite(np.float32(value)):
            return f"{quote(cell)} is outside {FLOAT32_RANGE}"
    return None
