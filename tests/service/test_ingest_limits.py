"""service.ingest hardening: labels become class codes, text has limits, CSV quotes must close,
targets must fit float32. Each test here fails on the parsers that stored labels as strings."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable

import numpy as np
import orjson
import pytest

from service.ingest import IngestLimits, parse_json_dataset, parse_npz_dataset
from tests.service.ingest_helpers import (
    LIMITS,
    arrays_loaded,
    as_npz,
    only,
    parse_csv,
    parse_json,
    parse_npz,
    refusal,
)

MIB = 1024 * 1024


def peak_bytes(parse: Callable[[], object]) -> int:
    """The most memory Python and numpy held at once while ``parse`` ran."""
    tracemalloc.start()
    try:
        parse()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


# --------------------------------------------------------------------------- codes, not labels

ROWS = 40_000
LONG = "L" * 256  # at the label limit: accepted


def one_long_label(rows: int = ROWS) -> list[str]:
    """Short labels and one long one: as a numpy array every row would be 256 chars wide."""
    return ["a", "b"] * (rows // 2 - 1) + ["a", LONG]


def test_json_labels_are_stored_as_codes_and_never_as_a_wide_array() -> None:
    labels = one_long_label()
    body = orjson.dumps({"features": [[i % 7] for i in range(ROWS)], "targets": labels})
    ds, _ = parse_json_dataset(body, limits=LIMITS)
    assert ds.y.dtype == np.uint8 and ds.y.nbytes == ROWS
    assert ds.classes == ["L" * 256, "a", "b"]
    assert ds.target_values().tolist() == labels
    # As '<U256' the targets alone would take 41 MB; the body itself is about 0.5 MB.
    assert peak_bytes(lambda: parse_json_dataset(body, limits=LIMITS)) < 16 * MIB


def test_csv_labels_are_stored_as_codes_and_never_as_a_wide_array() -> None:
    labels = one_long_label()
    text = "x,label\n" + "".join(f"{i % 7},{label}\n" for i, label in enumerate(labels))
    ds = parse_csv(text)
    assert ds.y.dtype == np.uint8 and ds.y.nbytes == ROWS
    assert ds.target_values().tolist() == labels
    assert peak_bytes(lambda: parse_csv(text)) < 16 * MIB


def test_npz_string_labels_are_stored_as_codes() -> None:
    labels = np.array(one_long_label(1000))  # '<U256': 1 MB, just within the 1 MiB floor
    ds = parse_npz(X=np.zeros((1000, 4)), y=labels)
    assert ds.y.dtype == np.uint8
    assert ds.classes == ["L" * 256, "a", "b"]
    np.testing.assert_array_equal(ds.target_values(), labels)


def test_more_than_256_classes_take_two_bytes_a_row() -> None:
    labels = [f"c{i}" for i in range(300)]
    ds = parse_json({"features": [[i] for i in range(300)], "targets": labels})
    assert ds.y.dtype == np.uint16
    assert ds.classes == sorted(labels)
    assert ds.target_values().tolist() == labels


def test_labels_sort_like_numpy_whatever_the_format() -> None:
    labels = ["b", "B", "é", "a", "Z", "10", "9", "b"]
    from_json = parse_json({"features": [[0]] * 8, "targets": labels})
    from_npz = parse_npz(X=np.zeros((8, 1)), y=np.array(labels))
    assert from_json.classes == from_npz.classes == np.unique(labels).tolist()
    np.testing.assert_array_equal(from_json.y, from_npz.y)


# --------------------------------------------------------------------------- label limits


def test_a_label_over_the_limit_is_refused_naming_the_row_and_the_limit() -> None:
    targets = ["a", "b", "x" * 257, "a"]
    loc, msg = only(refusal(lambda: parse_json({"features": [[0]] * 4, "targets": targets})))
    assert loc == ["body", "targets", 2]
    assert msg.startswith("target 2: the label 'xxx") and msg.endswith(
        "has 257 characters; at most 256 are allowed"
    )

    text = "x,y\n1,a\n2," + "x" * 300 + "\n"
    loc, msg = only(refusal(lambda: parse_csv(text)))
    assert loc == ["file", "row 2", "y"]
    assert msg.startswith("row 2, column 'y': the label 'xxx")
    assert msg.endswith("has 300 characters; at most 256 are allowed")

    y = np.array(["a", "b", "c", "x" * 300])
    loc, msg = only(refusal(lambda: parse_npz(X=np.zeros((4, 1)), y=y)))
    assert loc == ["file", "y", 3]
    assert msg.endswith("has 300 characters; at most 256 are allowed")


def test_the_label_limit_is_a_setting() -> None:
    limits = IngestLimits(max_label_chars=3)
    assert parse_json({"features": [[0], [1]], "targets": ["abc", "de"]}, limits).classes
    loc, msg = only(
        refusal(lambda: parse_json({"features": [[0], [1]], "targets": ["ab", "abcd"]}, limits))
    )
    assert (loc, msg) == (
        ["body", "targets", 1],
        "target 1: the label 'abcd' has 4 characters; at most 3 are allowed",
    )


def test_npz_padded_string_width_is_not_a_long_label() -> None:
    # numpy keeps the width it is given: '<U400' holding short labels is fine.
    ds = parse_npz(X=np.zeros((3, 1)), y=np.array(["a", "b", "a"], dtype="<U400"))
    assert ds.classes == ["a", "b"]


def test_too_many_distinct_labels_are_refused_naming_the_count_and_the_limit() -> None:
    labels = [f"c{i}" for i in range(1001)]
    loc, msg = only(refusal(lambda: parse_json({"features": [[0]] * 1001, "targets": labels})))
    assert (loc, msg) == (
        ["body", "targets"],
        "the target has 1,001 distinct labels, over the limit of 1,000 classes",
    )
    limits = IngestLimits(max_classes=2)
    loc, msg = only(refusal(lambda: parse_csv("x,y\n1,a\n2,b\n3,c\n", limits=limits)))
    assert (loc, msg) == (
        ["file", "y"],
        "column 'y': the target has 3 distinct labels, over the limit of 2 classes",
    )
    loc, msg = only(refusal(lambda: parse_npz(limits, X=np.zeros((3, 1)), y=np.array(list("abc")))))
    assert (loc, msg) == (
        ["file", "y"],
        "y: the target has 3 distinct labels, over the limit of 2 classes",
    )


def test_a_label_holding_nul_is_refused() -> None:
    loc, msg = only(
        refusal(lambda: parse_json({"features": [[0], [1]], "targets": ["a", "a\x00"]}))
    )
    assert loc == ["body", "targets", 1]
    assert "NUL" in msg


# --------------------------------------------------------------------------- .npz string sizes


def test_npz_wide_strings_are_refused_from_the_header_before_inflating(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 100,000 labels 1,000 characters wide: 400 MB once loaded, well under 1 MB compressed.
    y = np.full(100_000, "a", dtype="<U1000")
    data = as_npz(compressed=True, X=np.zeros((100_000, 1), np.float32), y=y)
    assert len(data) < MIB
    loaded = arrays_loaded(monkeypatch)
    err = refusal(lambda: parse_npz_dataset(data, limits=LIMITS))
    assert err.status == 413
    assert only(err) == (
        ["file", "y"],
        "y holds strings 1,000 characters wide, 400,000,000 bytes once loaded, over the limit "
        "of 1,048,576 bytes for this dataset's size; save it with shorter strings, or as "
        "integer class codes",
    )
    assert loaded == []


def test_npz_string_bytes_scale_with_the_dataset() -> None:
    # 4 bytes per cell of X: 2,000 rows × 200 features allow 1.6 MB of strings.
    y = np.array(["ab"] * 2000, dtype="<U200")  # 1.6 MB decoded
    assert parse_npz(X=np.zeros((2000, 200), np.float32), y=y).classes == ["ab"]
    err = refusal(lambda: parse_npz(X=np.zeros((2000, 100), np.float32), y=y))
    assert err.status == 413 and only(err)[0] == ["file", "y"]
    # bytes count as what they decode to: 4 bytes a character
    err = refusal(lambda: parse_npz(X=np.zeros((2000, 1)), y=y.astype("S200")))
    assert "1,600,000 bytes once loaded" in only(err)[1]


def test_npz_wide_feature_names_are_refused_from_the_header() -> None:
    names = np.array(["a", "b"], dtype="<U200000")  # 1.6 MB decoded for 2 names
    err = refusal(lambda: parse_npz(X=np.zeros((2, 2)), y=np.zeros(2), feature_names=names))
    assert err.status == 413 and only(err)[0] == ["file", "feature_names"]


# --------------------------------------------------------------------------- name limits


def test_names_over_200_characters_are_refused_in_every_format() -> None:
    long = "n" * 201
    assert parse_json({"features": [[0]], "targets": [1], "name": "n" * 200}).n_samples == 1

    loc, msg = only(refusal(lambda: parse_json({"features": [[0]], "targets": [1], "name": long})))
    assert loc == ["body", "name"]
    assert msg.startswith("name 'nnn") and msg.endswith(
        "has 201 characters; at most 200 are allowed"
    )

    doc = {"features": [[0, 1]], "targets": [1], "feature_names": ["a", long]}
    loc, msg = only(refusal(lambda: parse_json(doc)))
    assert loc == ["body", "feature_names", 1]
    assert msg.endswith("has 201 characters; at most 200 are allowed")

    loc, msg = only(refusal(lambda: parse_csv(f"a,{long},y\n1,2,3\n")))
    assert loc == ["file", "header"]
    assert msg.startswith("the name of column 2, 'nnn")
    assert msg.endswith("has 201 characters; at most 200 are allowed")

    names = np.array(["a", long])
    loc, msg = only(
        refusal(lambda: parse_npz(X=np.zeros((1, 2)), y=np.zeros(1), feature_names=names))
    )
    assert loc == ["file", "feature_names", 1]
    assert msg.startswith("feature_names[1], 'nnn")
    assert msg.endswith("has 201 characters; at most 200 are allowed")


def test_the_target_column_name_is_limited_too() -> None:
    loc, msg = only(refusal(lambda: parse_csv("a," + "t" * 201 + "\n1,2\n")))
    assert loc == ["file", "header"]
    assert "column 2" in msg and "at most 200" in msg


# --------------------------------------------------------------------------- CSV quotes


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('x,label\n1,a\n2,"b\n3,c\n4,d\n', 3),  # the quote opens on line 3, the file ends open
        ('x,label\n1,"a\nb"\n2,"c""d\n3,e\n', 4),  # a closed multi-line cell, then an open one
        ('x,label\n1,"a"\n2,"c"""\n3,"d""\n4,e\n', 4),  # doubled quotes before the open one
        ('x,"label\n1,a\n', 1),  # in the header
    ],
)
def test_csv_unclosed_quote_names_the_line_where_it_opened(text: str, line: int) -> None:
    loc, msg = only(refusal(lambda: parse_csv(text)))
    assert loc == ["file", f"line {line}"]
    assert msg.startswith(f"line {line} of the file opens a quoted value that is never closed")


def test_csv_text_after_a_closing_quote_is_invalid() -> None:
    loc, msg = only(refusal(lambda: parse_csv('x,label\n1,"a"b\n')))
    assert loc == ["file"]
    assert msg == "line 2 of the file is not valid CSV: ',' expected after '\"'"


def test_csv_quoted_values_still_parse() -> None:
    ds = parse_csv('x,label\n1,"say ""hi"""\n2,"a,b"\n3,"multi\nline"\n')
    assert ds.target_values().tolist() == ['say "hi"', "a,b", "multi\nline"]


# --------------------------------------------------------------------------- float32 targets


def test_targets_beyond_float32_are_refused_naming_the_row() -> None:
    loc, msg = only(refusal(lambda: parse_json({"features": [[0]] * 3, "targets": [1.5, 2, 1e39]})))
    assert (loc, msg) == (
        ["body", "targets", 2],
        "target 2: 1e+39 is outside the float32 range (about ±3.4e38), in which models are trained",
    )
    loc, msg = only(refusal(lambda: parse_csv("x,y\n1,0.5\n2,-4e38\n")))
    assert (loc, msg) == (
        ["file", "row 2", "y"],
        "row 2, column 'y': -4e+38 is outside the float32 range (about ±3.4e38), in which "
        "models are trained",
    )
    y = np.array([0.5, 1e300, 2.0])
    loc, msg = only(refusal(lambda: parse_npz(X=np.zeros((3, 1)), y=y)))
    assert loc == ["file", "y", 1]
    assert msg.startswith("y[1]: 1e+300 is outside the float32 range")


def test_targets_within_float32_are_kept_in_float64() -> None:
    big = float(np.finfo(np.float32).max)
    ds = parse_json({"features": [[0]] * 3, "targets": [0.5, big, -big]})
    assert ds.target_kind == "continuous" and ds.y.tolist() == [0.5, big, -big]
