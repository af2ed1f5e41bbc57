"""service.ingest: parsing uploaded datasets, and the errors a person gets for bad ones."""

from __future__ import annotations

import io
import pickle
import zipfile
from typing import Any

import numpy as np
import orjson
import pytest

from service.ingest import (
    DatasetError,
    EncodedTarget,
    IngestLimits,
    ParsedDataset,
    classify_target,
    parse_csv_dataset,
    parse_json_dataset,
    parse_npz_dataset,
)
from tests.service.ingest_helpers import (
    LIMITS,
    arrays_loaded,
    as_json,
    as_npz,
    only,
    parse_csv,
    parse_json,
    parse_npz,
    refusal,
)


def classify(y: np.ndarray) -> EncodedTarget:
    return classify_target(y, limits=LIMITS)


# --------------------------------------------------------------------------- helpers


def assert_valid(ds: ParsedDataset) -> None:
    assert ds.X.dtype.kind in "biuf"  # JSON, CSV: float32 or a small int; an .npz: its own
    assert ds.X.ndim == 2
    assert ds.X.flags.c_contiguous
    assert ds.y.ndim == 1
    assert ds.y.shape[0] == ds.X.shape[0]
    assert len(ds.feature_names) == ds.X.shape[1]
    assert np.isfinite(ds.X).all()


def grid(rows: int, cols: int) -> list[list[float]]:
    return [[float(i * cols + j) for j in range(cols)] for i in range(rows)]


# --------------------------------------------------------------------------- DatasetError


def test_dataset_error_shape() -> None:
    err = DatasetError.at(["body", "features", 3], "boom")
    assert isinstance(err, ValueError)
    assert err.errors == [{"loc": ["body", "features", 3], "msg": "boom"}]
    assert err.status == 422
    assert str(err) == "boom"
    many = DatasetError([{"loc": ["a"], "msg": "one"}, {"loc": ["b"], "msg": "two"}], status=413)
    assert many.status == 413
    assert many.detail == "one (and 1 more problem(s))"
    again = pickle.loads(pickle.dumps(many))
    assert (again.errors, again.status) == (many.errors, 413)


def test_limits_reject_nonsense() -> None:
    with pytest.raises(ValueError):
        IngestLimits(max_cells=0)


def test_parsed_dataset_checks_its_invariants() -> None:
    with pytest.raises(ValueError):
        ParsedDataset(np.zeros((2, 2), complex), np.zeros(2), ["a", "b"], None, "continuous", None)
    with pytest.raises(ValueError):  # not C-contiguous
        F = np.asfortranarray(np.zeros((2, 2)))
        ParsedDataset(F, np.zeros(2), ["a", "b"], None, "continuous", None)
    with pytest.raises(ValueError):
        ParsedDataset(
            np.zeros((2, 2), np.float32), np.zeros(3), ["a", "b"], None, "continuous", None
        )
    ok = ParsedDataset(
        np.zeros((2, 2), np.float32), np.zeros(2), ["a", "b"], None, "continuous", None
    )
    assert (ok.n_samples, ok.n_features) == (2, 2)


# --------------------------------------------------------------------------- classify_target


def test_classify_small_integers_are_classes_and_codes() -> None:
    y, kind, classes = classify(np.array([3, 1, 2, 1], dtype=np.int8))
    assert kind == "categorical"
    assert y.dtype == np.uint8 and y.tolist() == [2, 0, 1, 0]  # indices into classes
    assert classes == [1, 2, 3]
    assert all(type(c) is int for c in classes)


def test_classify_integral_floats_become_int_classes() -> None:
    y, kind, classes = classify(np.array([1.0, 2.0, -0.0, 2.0]))
    assert (kind, y.dtype, classes) == ("categorical", np.uint8, [0, 1, 2])
    assert all(type(c) is int for c in classes or [])


@pytest.mark.parametrize(
    "values",
    [
        np.arange(101),  # more than 100 distinct integers
        np.array([0.5, 1.0, 2.0]),  # not integral
        np.array([1e20, 2.0]),  # integral but beyond int64
        np.array([2**64 - 1, 0], dtype=np.uint64),
    ],
)
def test_classify_continuous(values: np.ndarray) -> None:
    y, kind, classes = classify(values)
    assert (kind, classes, y.dtype) == ("continuous", None, np.float64)


def test_classify_100_distinct_integers_is_still_categorical() -> None:
    assert classify(np.arange(100))[1] == "categorical"


def test_classify_strings_and_bools_as_codes() -> None:
    y, kind, classes = classify(np.array(["b", "a", "b"]))
    assert (kind, classes, y.dtype, y.tolist()) == ("categorical", ["a", "b"], np.uint8, [1, 0, 1])
    y, kind, classes = classify(np.array([True, False, True]))
    assert (kind, classes, y.dtype, y.tolist()) == (
        "categorical",
        [False, True],
        np.uint8,
        [1, 0, 1],
    )
    assert all(type(c) is bool for c in classes or [])
    # Many distinct strings are still classes: only integers are judged by count; past 256
    # classes the codes need two bytes.
    y, kind, _ = classify(np.array([f"s{i:03}" for i in range(500)]))
    assert (kind, y.dtype) == ("categorical", np.uint16)


def test_classify_refuses_what_parsers_must_handle() -> None:
    with pytest.raises(ValueError):
        classify(np.zeros((2, 2)))
    with pytest.raises(TypeError):
        classify(np.array([1, "a"], dtype=object))


# --------------------------------------------------------------------------- JSON: happy paths


def test_json_int_targets() -> None:
    ds, name = parse_json_dataset(
        as_json(
            {"name": "xor", "features": [[0, 0], [0, 1], [1, 0], [1, 1]], "targets": [0, 1, 1, 0]}
        ),
        limits=LIMITS,
    )
    assert_valid(ds)
    assert name == "xor"
    assert ds.X.tolist() == [[0, 0], [0, 1], [1, 0], [1, 1]]
    assert (ds.y.dtype, ds.y.tolist()) == (np.uint8, [0, 1, 1, 0])
    assert (ds.target_kind, ds.classes) == ("categorical", [0, 1])
    assert ds.feature_names == ["x0", "x1"]
    assert ds.target_name is None


def test_json_string_bool_and_float_targets() -> None:
    ds = parse_json({"features": [[1.5], [2.5], [3.5]], "targets": ["dog", "cat", "dog"]})
    assert (ds.y.dtype, ds.y.tolist()) == (np.uint8, [1, 0, 1])
    assert ds.target_values().tolist() == ["dog", "cat", "dog"]
    assert ds.classes == ["cat", "dog"]

    ds = parse_json({"features": [[1], [2]], "targets": [True, False]})
    assert (ds.y.dtype, ds.classes) == (np.uint8, [False, True])
    assert ds.target_values().tolist() == [True, False]

    ds = parse_json({"features": [[1], [2]], "targets": [0.5, 2]})
    assert (ds.y.dtype, ds.target_kind, ds.classes) == (np.float64, "continuous", None)

    ds = parse_json({"features": [[1], [2]], "targets": [1.0, 2.0]})
    assert (ds.y.dtype, ds.target_kind, ds.classes) == (np.uint8, "categorical", [1, 2])


def test_json_many_distinct_integers_are_continuous() -> None:
    ds = parse_json({"features": [[i] for i in range(150)], "targets": list(range(150))})
    assert (ds.target_kind, ds.y.dtype) == ("continuous", np.float64)


def test_json_feature_names_and_null_optionals() -> None:
    ds, name = parse_json_dataset(
        as_json({"name": None, "features": [[1, 2]], "targets": [1], "feature_names": ["a", "b"]}),
        limits=LIMITS,
    )
    assert name is None
    assert ds.feature_names == ["a", "b"]


def test_json_big_integers() -> None:
    ds = parse_json({"features": [[2**64 - 1, -(2**63)]], "targets": [2**64 - 1]})
    assert ds.X[0, 0] == np.float32(2.0**64)
    assert ds.target_kind == "continuous"  # beyond int64: a quantity, not a class


# --------------------------------------------------------------------------- JSON: errors


@pytest.mark.parametrize(
    ("doc", "loc", "msg"),
    [
        (
            {"features": [*grid(17, 4), [1, 2, 3]], "targets": [0] * 18},
            ["body", "features", 17],
            "row 17 has 3 values, expected 4 (the width of row 0)",
        ),
        (
            {"features": [[1, 2, 3], [1, 2, 3], [1, 2, 3], [1, 2, "abc"]], "targets": [0] * 4},
            ["body", "features", 3, 2],
            "not a number: 'abc'",
        ),
        (
            {"features": [[1, True]], "targets": [0]},
            ["body", "features", 0, 1],
            "not a number: true (booleans are not allowed in features; use 0 and 1)",
        ),
        (
            {"features": [[1, 2], [None, 2]], "targets": [0, 1]},
            ["body", "features", 1, 0],
            "not a number: null (missing values are not allowed)",
        ),
        (
            {"features": [[1, [2]]], "targets": [0]},
            ["body", "features", 0, 1],
            "not a number: an array",
        ),
        (
            {"features": [[1e300]], "targets": [0]},
            ["body", "features", 0, 0],
            "1e+300 is outside the float32 range (about ±3.4e38)",
        ),
        (
            {"features": grid(10, 2), "targets": [0] * 9},
            ["body", "targets"],
            "has 9 values but features has 10 rows",
        ),
        (
            {"features": grid(3, 1), "targets": [0, None, 1]},
            ["body", "targets", 1],
            "target 1 is missing (null)",
        ),
        (
            {"features": grid(5, 1), "targets": [1, 2.5, "a", 3, "b"]},
            ["body", "targets", 2],
            "target 2 is a string but target 0 is a number; "
            "targets must be all numbers, all strings or all booleans",
        ),
        (
            {"features": grid(3, 1), "targets": ["a", "b", 1]},
            ["body", "targets", 2],
            "target 2 is a number but target 0 is a string; "
            "targets must be all numbers, all strings or all booleans",
        ),
        (
            {"features": grid(2, 1), "targets": [1, True]},
            ["body", "targets", 1],
            "target 1 is a boolean but target 0 is a number; "
            "targets must be all numbers, all strings or all booleans",
        ),
        (
            {"features": grid(2, 1), "targets": [1, [2]]},
            ["body", "targets", 1],
            "target 1 must be a number, string or boolean, got an array",
        ),
        (
            {"features": [], "targets": []},
            ["body", "features"],
            "the dataset is empty: features has no rows",
        ),
        (
            {"features": [[1]], "targets": []},
            ["body", "targets"],
            "the dataset is empty: targets has no values",
        ),
        (
            {"features": [[]], "targets": [1]},
            ["body", "features", 0],
            "row 0 is empty; every row needs at least one value",
        ),
        (
            {"features": [1, 2, 3], "targets": [1, 2, 3]},
            ["body", "features", 0],
            "row 0 must be an array of numbers, got a number; "
            "for one feature per sample write [[1.0], [2.0], ...]",
        ),
        (
            {"features": [[1], 2], "targets": [1, 2]},
            ["body", "features", 1],
            "row 1 must be an array of numbers, got a number",
        ),
        (
            {"features": {"a": 1}, "targets": [1]},
            ["body", "features"],
            "must be an array of rows (arrays of numbers), got an object",
        ),
        (
            {"features": [[1]], "targets": "abc"},
            ["body", "targets"],
            "must be an array of target values, got a string",
        ),
        (
            {"features": [[1, 2]], "targets": [1], "feature_names": ["a"]},
            ["body", "feature_names"],
            "has 1 name but the rows of features have 2 values",
        ),
        (
            {"features": [[1, 2, 3]], "targets": [1], "feature_names": ["a", "b", "a"]},
            ["body", "feature_names", 2],
            "duplicate name 'a' (also at index 0)",
        ),
        (
            {"features": [[1, 2]], "targets": [1], "feature_names": ["a", " "]},
            ["body", "feature_names", 1],
            "empty name",
        ),
        (
            {"features": [[1, 2]], "targets": [1], "feature_names": ["a", 2]},
            ["body", "feature_names", 1],
            "must be a string, got a number",
        ),
        (
            {"features": [[1]], "targets": [1], "name": 5},
            ["body", "name"],
            "must be a string, got a number",
        ),
        (
            [[1, 2]],
            ["body"],
            "the body must be a JSON object with 'features' and 'targets', got an array",
        ),
    ],
)
def test_json_errors(doc: Any, loc: list[str | int], msg: str) -> None:
    err = refusal(lambda: parse_json(doc))
    assert only(err) == (loc, msg)
    assert err.status == 422


def test_json_unknown_and_missing_fields_are_all_reported() -> None:
    err = refusal(lambda: parse_json({"featurez": [[1]], "labels": [1]}))
    assert {tuple(e["loc"]) for e in err.errors} == {
        ("body", "featurez"),
        ("body", "labels"),
        ("body", "features"),
        ("body", "targets"),
    }
    unknown = next(e for e in err.errors if e["loc"] == ["body", "labels"])
    assert "unknown field 'labels'" in unknown["msg"]
    assert "features" in unknown["msg"] and "targets" in unknown["msg"]
    missing = next(e for e in err.errors if e["loc"] == ["body", "targets"])
    assert missing["msg"] == "field required"


@pytest.mark.parametrize("literal", [b"NaN", b"Infinity", b"-Infinity"])
def test_json_nan_literals_are_invalid_json_with_position(literal: bytes) -> None:
    prefix = b'{"features": [[1, '
    body = prefix + literal + b']], "targets": [0]}'
    loc, msg = only(refusal(lambda: parse_json(body)))
    assert loc == ["body"]
    assert msg.startswith("invalid JSON: ")
    # orjson points at the literal, or just past its sign
    column = len(prefix) + (2 if literal.startswith(b"-") else 1)
    assert f"at line 1, column {column} (char {column - 1})" in msg
    assert "NaN and Infinity are not valid JSON numbers" in msg


@pytest.mark.parametrize("body", [b"", b"{", b"\xff\xfe", b'{"features": [[1]], "targets": [1]} x'])
def test_json_invalid(body: bytes) -> None:
    loc, msg = only(refusal(lambda: parse_json(body)))
    assert loc == ["body"]
    assert msg.startswith("invalid JSON: ")
    assert "NaN" not in msg


def test_json_size_limits_are_413_and_checked_before_cells() -> None:
    # The cells are garbage: refusing by size first proves no cell was looked at.
    doc = {"features": [["x"] * 5 for _ in range(5)], "targets": [1] * 5}
    err = refusal(lambda: parse_json(doc, IngestLimits(max_cells=24)))
    assert err.status == 413
    assert only(err) == (
        ["body"],
        "the dataset has 5 rows × 5 features = 25 cells, over the limit of 24 cells",
    )
    err = refusal(lambda: parse_json(doc, IngestLimits(max_rows=4, max_features=3)))
    assert err.status == 413
    assert [e["msg"] for e in err.errors] == [
        "the dataset has 5 rows, over the limit of 4 rows",
        "the dataset has 5 features, over the limit of 3 features",
    ]
    assert parse_json({"features": grid(5, 5), "targets": [1] * 5}, IngestLimits(max_cells=25))


def test_json_10000_by_784() -> None:
    rng = np.random.default_rng(0)
    X = np.round(rng.random((10_000, 784)), 3)
    y = rng.integers(0, 10, 10_000)
    body = orjson.dumps({"features": X, "targets": y}, option=orjson.OPT_SERIALIZE_NUMPY)
    ds, _ = parse_json_dataset(body, limits=LIMITS)
    assert_valid(ds)
    assert ds.X.shape == (10_000, 784)
    np.testing.assert_array_equal(ds.X, X.astype(np.float32))
    assert ds.classes == list(range(10))


# --------------------------------------------------------------------------- CSV: happy paths


def test_csv_default_target_is_last_column() -> None:
    ds = parse_csv("sepal,petal,species\n5.1,1.4,setosa\n7.0,4.7,versicolor\n6.3,6.0,virginica\n")
    assert_valid(ds)
    assert ds.feature_names == ["sepal", "petal"]
    assert ds.target_name == "species"
    np.testing.assert_array_equal(ds.X, np.array([[5.1, 1.4], [7.0, 4.7], [6.3, 6.0]], np.float32))
    assert (ds.y.dtype, ds.y.tolist()) == (np.uint8, [0, 1, 2])
    assert ds.classes == ["setosa", "versicolor", "virginica"]


def test_csv_target_in_the_middle_bom_crlf_and_spaces() -> None:
    data = "\ufeff a , label ,b\r\n1, 2 ,3\r\n4,0,  6\r\n7,2,9\r\n".encode()
    ds = parse_csv_dataset(data, target="label", limits=LIMITS)
    assert ds.feature_names == ["a", "b"]  # the BOM is not part of the first name
    assert ds.target_name == "label"
    assert ds.X.tolist() == [[1, 3], [4, 6], [7, 9]]
    assert ds.target_values().tolist() == [2, 0, 2]
    assert (ds.y.dtype, ds.classes) == (np.uint8, [0, 2])


@pytest.mark.parametrize(
    ("cells", "dtype", "kind", "classes"),
    [
        (["1", "2", "1"], np.uint8, "categorical", [1, 2]),
        (["1.0", "2", "1e0"], np.uint8, "categorical", [1, 2]),
        (["0.5", "2", "-1"], np.float64, "continuous", None),
        (["true", "false", "true"], np.uint8, "categorical", ["false", "true"]),
        (["cat", "1", "nan"], np.uint8, "categorical", ["1", "cat", "nan"]),
        ([str(2**70), "1", "2"], np.float64, "continuous", None),
    ],
)
def test_csv_target_types(
    cells: list[str], dtype: type, kind: str, classes: list[Any] | None
) -> None:
    ds = parse_csv("x,y\n" + "".join(f"{i},{c}\n" for i, c in enumerate(cells)))
    assert ds.y.dtype.type is dtype
    assert (ds.target_kind, ds.classes) == (kind, classes)


def test_csv_first_column_as_target_and_no_trailing_newline() -> None:
    ds = parse_csv("y,a,b\nu,1,2\nv,3,4", target="y")
    assert ds.X.tolist() == [[1, 2], [3, 4]]
    assert ds.target_values().tolist() == ["u", "v"]


def test_csv_quoted_cells_give_the_same_result() -> None:
    plain = parse_csv("a,b,y\n1.5,2,x\n3,4e2,z\n")
    quoted = parse_csv('"a","b","y"\n"1.5","2","x"\n"3","4e2","z"\n')
    np.testing.assert_array_equal(plain.X, quoted.X)
    np.testing.assert_array_equal(plain.y, quoted.y)
    assert plain.classes == quoted.classes
    assert plain.feature_names == quoted.feature_names


def test_csv_quoted_label_with_comma_and_newline() -> None:
    ds = parse_csv('a,b,label\n1,2,"red, dark"\n3,4,"multi\nline"\n5,6,plain\n')
    assert ds.target_values().tolist() == ["red, dark", "multi\nline", "plain"]
    # a record spanning two lines shifts the file lines of the rows after it
    err = refusal(lambda: parse_csv('a,b,label\n1,2,"multi\nline"\n3,x,z\n'))
    assert only(err) == (
        ["file", "row 2", "b"],
        "row 2 (line 4 of the file), column 'b': 'x' is not a number",
    )


def test_csv_blank_lines_are_skipped() -> None:
    ds = parse_csv("\na,y\n1,p\n\n2,q\n\n\n")
    assert ds.X.tolist() == [[1], [2]]
    assert ds.target_values().tolist() == ["p", "q"]


def test_csv_old_mac_line_endings_and_padded_target_name() -> None:
    ds = parse_csv("a, label \r1,x\r2,y\r", target=" label")
    assert (ds.X.tolist(), ds.target_values().tolist(), ds.target_name) == (
        [[1], [2]],
        ["x", "y"],
        "label",
    )


def test_csv_10000_by_784() -> None:
    rng = np.random.default_rng(1)
    X = rng.integers(0, 256, (10_000, 784))
    out = io.StringIO()
    header = ",".join([f"px{i}" for i in range(784)] + ["label"])
    np.savetxt(out, np.c_[X, X[:, 0] % 10], fmt="%d", delimiter=",", header=header, comments="")
    ds = parse_csv_dataset(out.getvalue().encode(), target=None, limits=LIMITS)
    assert_valid(ds)
    assert ds.X.shape == (10_000, 784)
    np.testing.assert_array_equal(ds.X, X.astype(np.float32))
    assert ds.classes == list(range(10))


# --------------------------------------------------------------------------- CSV: errors


@pytest.mark.parametrize(
    ("text", "loc", "msg"),
    [
        (
            "id,age,y\n1,1,0\n2,2,0\n3,abc,1\n",
            ["file", "row 3", "age"],
            "row 3, column 'age': 'abc' is not a number",
        ),
        (
            "age,y\n1,0\n,1\n",
            ["file", "row 2", "age"],
            "row 2, column 'age': missing value",
        ),
        (
            "age,y\n1,0\n   ,1\n",
            ["file", "row 2", "age"],
            "row 2, column 'age': missing value",
        ),
        (
            "a,age,y\n1,2,0\n\n\n1,x,1\n",
            ["file", "row 2", "age"],
            "row 2 (line 5 of the file), column 'age': 'x' is not a number",
        ),
        (
            "a,b,c,d,e,y\n" + "1,2,3,4,5,6\n" * 16 + "1,2,3,4,5\n",
            ["file", "row 17"],
            "row 17 has 5 cells, the header has 6",
        ),
        (
            "a,b,y\n1,2,3\n1,2,3,4\n",
            ["file", "row 2"],
            "row 2 has 4 cells, the header has 3",
        ),
        (
            "a,b,y\n1,2,3\n1e300,2,3\n",
            ["file", "row 2", "a"],
            "row 2, column 'a': '1e300' is outside the float32 range (about ±3.4e38)",
        ),
        (
            "a,b,y\n1,1e400,3\n",
            ["file", "row 1", "b"],
            "row 1, column 'b': '1e400' is outside the float32 range (about ±3.4e38)",
        ),
        (
            "a,y\n1,cat\n2,\n",
            ["file", "row 2", "y"],
            "row 2, column 'y': missing target value",
        ),
        (
            "a,y\n1,1.5\n2,nan\n",
            ["file", "row 2", "y"],
            "row 2, column 'y': NaN/inf not allowed in the target ('nan')",
        ),
        (
            "a,y\n1,2\n",
            ["query", "target"],
            "the file has no column named 'z'; its columns are: 'a', 'y'",
        ),
        ("a,b,y\n", ["file"], "the dataset is empty: the file has a header row but no data rows"),
        (
            "a,b,y\n\n\n",
            ["file"],
            "the dataset is empty: the file has a header row but no data rows",
        ),
        ("", ["file"], "the dataset is empty: the file has no header row and no data"),
        (
            "a,,y\n1,2,3\n",
            ["file", "header"],
            "column 2 has an empty name",
        ),
        (
            "a,b,a\n1,2,3\n",
            ["file", "header"],
            "column 3 has the same name as column 1: 'a'",
        ),
        (
            "0,1,0\n1,2,3\n",
            ["file", "header"],
            "column 3 has the same name as column 1: '0'; "
            "the first row holds only numbers — a header row with column names is required",
        ),
        (
            "a;b;y\n1;2;3\n",
            ["file", "header"],
            "the header has only one column ('a;b;y'); a CSV dataset needs at least one feature "
            "column and a target column; it seems to use semicolons as separator, but only "
            "commas are supported",
        ),
    ],
)
def test_csv_errors(text: str, loc: list[str | int], msg: str) -> None:
    target = "z" if loc == ["query", "target"] else None
    err = refusal(lambda: parse_csv(text, target=target))
    assert only(err) == (loc, msg)
    assert err.status == 422


@pytest.mark.parametrize(
    "cell", ["nan", "NaN", "NAN", "inf", "-inf", "+inf", "INF", "Infinity", "-infinity"]
)
def test_csv_nan_and_inf_in_any_spelling(cell: str) -> None:
    err = refusal(lambda: parse_csv(f"a,b,y\n1,2,0\n3,{cell},1\n"))
    assert only(err) == (
        ["file", "row 2", "b"],
        f"row 2, column 'b': NaN/inf not allowed ('{cell}')",
    )


def test_csv_many_columns_are_truncated_in_the_target_message() -> None:
    names = [f"c{i}" for i in range(50)]
    text = ",".join(names) + "\n" + ",".join("1" * 50) + "\n"
    loc, msg = only(refusal(lambda: parse_csv(text, target="label")))
    assert loc == ["query", "target"]
    assert "'c0', 'c1'" in msg and "(30 more)" in msg and "'c49'" not in msg


def test_csv_reports_the_first_problem_in_file_order() -> None:
    text = "a,b,y\n1,2,3\n1,x,3\n1,2\nnan,2,3\n"
    assert only(refusal(lambda: parse_csv(text)))[0] == ["file", "row 2", "b"]
    # the same file with quotes (read by the csv module, not loadtxt) gets the same verdict
    quoted = text.replace("1,x", '"1","x"')
    assert refusal(lambda: parse_csv(quoted)).errors == refusal(lambda: parse_csv(text)).errors


def test_csv_not_utf8() -> None:
    loc, msg = only(
        refusal(lambda: parse_csv_dataset(b"a,y\n1,\xff\n", target=None, limits=LIMITS))
    )
    assert loc == ["file"]
    assert msg == "the file is not UTF-8 text (invalid byte at offset 6); save it as a UTF-8 CSV"
    npz = as_npz(X=np.ones((2, 2)), y=np.ones(2))
    msg = only(refusal(lambda: parse_csv_dataset(npz, target=None, limits=LIMITS)))[1]
    assert "it looks like a zip/.npz file" in msg


def test_csv_size_limits_are_413_and_checked_before_cells() -> None:
    text = "a,b,y\n" + "x,x,x\n" * 10  # garbage cells: the size verdict comes first
    err = refusal(lambda: parse_csv(text, limits=IngestLimits(max_cells=19)))
    assert err.status == 413
    assert only(err) == (
        ["file"],
        "the dataset has 10 rows × 2 features = 20 cells, over the limit of 19 cells",
    )
    err = refusal(lambda: parse_csv('a,b,y\n"x",x,x\n' * 1, limits=IngestLimits(max_features=1)))
    assert (err.status, only(err)[1]) == (
        413,
        "the dataset has 2 features, over the limit of 1 features",
    )


@pytest.mark.parametrize(
    "data",
    [
        b"a,y\n1\x00,2\n",  # NUL
        b'a,y\n"1,2\n',  # an unclosed quote
        b"a,y\n1," + b"9" * 200_000 + b"\n",  # an integer too long to convert
        b'a,y\n1,"' + b"9" * 200_000 + b'"\n',  # a field over the csv module's size limit
    ],
)
def test_csv_odd_bytes_are_dataset_errors(data: bytes) -> None:
    refusal(lambda: parse_csv_dataset(data, target=None, limits=LIMITS))


# --------------------------------------------------------------------------- NPZ: happy paths


def test_npz_basic() -> None:
    X = np.arange(12, dtype=np.float32).reshape(4, 3)
    ds = parse_npz(X=X, y=np.array([0, 1, 0, 1]))
    assert_valid(ds)
    np.testing.assert_array_equal(ds.X, X)
    assert (ds.y.dtype, ds.classes, ds.target_kind) == (np.uint8, [0, 1], "categorical")
    assert ds.feature_names == ["x0", "x1", "x2"]
    assert ds.target_name is None


def test_npz_feature_names_string_targets_and_conversions() -> None:
    X = np.asfortranarray(np.arange(6, dtype=np.int64).reshape(3, 2))
    ds = parse_npz(
        X=X, y=np.array([b"b", b"a", b"b"]), feature_names=np.array([b"height", b"weight"])
    )
    assert_valid(ds)
    assert ds.X.tolist() == [[0, 1], [2, 3], [4, 5]]
    assert ds.X.dtype == np.int64 and ds.X.flags.c_contiguous  # its own dtype, in C order
    assert (ds.y.dtype, ds.y.tolist()) == (np.uint8, [1, 0, 1])
    assert ds.classes == ["a", "b"]
    assert ds.feature_names == ["height", "weight"]

    ds = parse_npz(X=np.ones((2, 2), bool), y=np.array([True, False]))
    assert (ds.y.dtype, ds.classes) == (np.uint8, [False, True])

    ds = parse_npz(X=np.ones((3, 1)), y=np.array([1.5, 2.0, 3.0]))
    assert (ds.y.dtype, ds.target_kind) == (np.float64, "continuous")

    ds = parse_npz(X=np.ones((3, 1)), y=np.array(["é", "ü", "é"]), feature_names=np.array(["ß"]))
    assert ds.classes == ["é", "ü"] and ds.feature_names == ["ß"]


def test_npz_compressed_10000_by_784() -> None:
    rng = np.random.default_rng(2)
    X = rng.random((10_000, 784), dtype=np.float32)
    y = rng.integers(0, 10, 10_000)
    for compressed in (False, True):
        ds = parse_npz_dataset(as_npz(compressed=compressed, X=X, y=y), limits=LIMITS)
        assert_valid(ds)
        np.testing.assert_array_equal(ds.X, X)
        np.testing.assert_array_equal(ds.y, y)  # the classes are 0..9: codes equal labels
        assert ds.y.dtype == np.uint8


# --------------------------------------------------------------------------- NPZ: errors


def _npz_error(**arrays: Any) -> tuple[list[str | int], str]:
    return only(refusal(lambda: parse_npz(**arrays)))


def test_npz_nonfinite_x_names_the_cell() -> None:
    for value, word in ((np.nan, "NaN"), (np.inf, "inf"), (-np.inf, "-inf")):
        X = np.zeros((20, 5))
        X[12, 3] = value
        X[15, 0] = value  # a later bad cell is not the one reported
        assert _npz_error(X=X, y=np.zeros(20)) == (["file", "X", 12, 3], f"X[12, 3] is {word}")


def test_npz_float32_overflow_and_nan_target() -> None:
    X = np.zeros((3, 2))
    X[1, 1] = -1e300
    assert _npz_error(X=X, y=np.zeros(3)) == (
        ["file", "X", 1, 1],
        "X[1, 1] = -1e+300 is outside the float32 range (about ±3.4e38)",
    )
    assert _npz_error(X=np.zeros((6, 1)), y=np.array([0, 1, 2, 3, 4, np.nan])) == (
        ["file", "y", 5],
        "y[5] is NaN",
    )


@pytest.mark.parametrize(
    ("arrays", "loc", "needle"),
    [
        (
            {"X": np.zeros(3), "y": np.zeros(3)},
            ["file", "X"],
            "X must be 2-D (samples × features), got shape (3,); "
            "for one feature use X.reshape(-1, 1)",
        ),
        (
            {"X": np.zeros((2, 2, 2)), "y": np.zeros(2)},
            ["file", "X"],
            "X must be 2-D (samples × features), got shape (2, 2, 2)",
        ),
        (
            {"X": np.zeros((0, 3)), "y": np.zeros(0)},
            ["file", "X"],
            "the dataset is empty: X has shape (0, 3)",
        ),
        (
            {"X": np.zeros((3, 0)), "y": np.zeros(3)},
            ["file", "X"],
            "X has no feature columns (shape (3, 0))",
        ),
        (
            {"X": np.zeros((3, 2)), "y": np.zeros((3, 2, 1))},
            ["file", "y"],
            "y must be 1-D (one target) or 2-D (one column per target), got shape (3, 2, 1)",
        ),
        (
            {"X": np.zeros((3, 2)), "y": np.zeros(4)},
            ["file", "y"],
            "y has 4 values but X has 3 rows",
        ),
        (
            {"X": np.zeros((3, 2), complex), "y": np.zeros(3)},
            ["file", "X"],
            "X has dtype complex128; it must hold real numbers (bool, int, uint or float)",
        ),
        (
            {"X": np.array([["a", "b"]]), "y": np.zeros(1)},
            ["file", "X"],
            "X has dtype <U1; it must hold real numbers (bool, int, uint or float)",
        ),
        (
            {"X": np.zeros((1, 2)), "y": np.array(["2020-01-01"], dtype="datetime64[D]")},
            ["file", "y"],
            "y has dtype datetime64[D]; it must hold numbers, booleans or strings",
        ),
        (
            {"X": np.zeros((1, 2)), "y": np.array(["x" * 1001])},
            ["file", "y", 0],
            "y[0]: the label 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…' has 1,001 characters; "
            "at most 256 are allowed",
        ),
        (
            {"X": np.zeros((1, 2)), "y": np.array([b"\xff"])},
            ["file", "y", 0],
            "y[0] is not valid UTF-8 text: b'\\xff'",
        ),
        (
            {"X": np.zeros((1, 2)), "y": np.zeros(1), "feature_names": np.array(["a"])},
            ["file", "feature_names"],
            "feature_names must be 1-D with 2 names (one per column of X), got shape (1,)",
        ),
        (
            {"X": np.zeros((1, 2)), "y": np.zeros(1), "feature_names": np.array([1, 2])},
            ["file", "feature_names"],
            "feature_names has dtype int64; it must hold strings",
        ),
        (
            {"X": np.zeros((1, 2)), "y": np.zeros(1), "feature_names": np.array(["a", "a"])},
            ["file", "feature_names", 1],
            "feature_names[1] repeats feature_names[0]: 'a'",
        ),
        (
            {"X": np.zeros((1, 2)), "y": np.zeros(1), "feature_names": np.array(["a", ""])},
            ["file", "feature_names", 1],
            "feature_names[1] is empty",
        ),
    ],
)
def test_npz_errors(arrays: dict[str, Any], loc: list[str | int], needle: str) -> None:
    err = refusal(lambda: parse_npz(**arrays))
    assert only(err) == (loc, needle)
    assert err.status == 422


def test_npz_missing_and_unknown_arrays() -> None:
    err = refusal(lambda: parse_npz(X=np.zeros((2, 2)), labels=np.zeros(2)))
    by_loc = {tuple(e["loc"]): e["msg"] for e in err.errors}
    assert set(by_loc) == {("file", "y"), ("file", "labels")}
    assert by_loc["file", "y"].startswith("the archive has no array 'y'; it holds: 'X', 'labels'")
    assert by_loc["file", "labels"].startswith("unknown array 'labels'")
    loc, msg = only(refusal(lambda: parse_npz(y=np.zeros(2))))
    assert (loc, msg.split(" — ")[0]) == (
        ["file", "X"],
        "the archive has no array 'X'; it holds: 'y'",
    )


@pytest.mark.parametrize(
    ("data", "start"),
    [
        (b"", "the file is empty"),
        (b"hello, world", "the file is not an .npz archive"),
        (pickle.dumps({"X": [[1.0]], "y": [1]}), "the file is not an .npz archive"),
        (b"\x93NUMPY" + b"\x00" * 20, "the file is a single .npy array, not an .npz archive"),
        (b"PK\x03\x04" + b"\x00" * 40, "the file is not a readable .npz archive"),
    ],
)
def test_npz_not_an_archive(data: bytes, start: str) -> None:
    loc, msg = only(refusal(lambda: parse_npz_dataset(data, limits=LIMITS)))
    assert loc == ["file"]
    assert msg.startswith(start)


def test_npz_damaged_archive() -> None:
    data = as_npz(X=np.arange(1000.0).reshape(100, 10), y=np.zeros(100))
    for cut in (len(data) // 2, len(data) - 30):
        with pytest.raises(DatasetError):
            parse_npz_dataset(data[:cut], limits=LIMITS)
    # a member that is not a .npy array at all
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("X.npy", b"not numpy")
        zf.writestr("y.npy", b"not numpy")
    loc, msg = only(refusal(lambda: parse_npz_dataset(buf.getvalue(), limits=LIMITS)))
    assert loc == ["file", "X"]
    assert msg.startswith("array 'X' is damaged or not a .npy array")


@pytest.mark.parametrize("which", ["X", "y", "feature_names"])
def test_npz_object_arrays_are_refused_by_allow_pickle_false(
    which: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    arrays: dict[str, Any] = {
        "X": np.zeros((2, 2)),
        "y": np.array([0, 1]),
        "feature_names": np.array(["a", "b"]),
    }
    arrays[which] = arrays[which].astype(object)
    data = as_npz(**arrays)  # np.savez pickles object arrays (it allows pickle when saving)

    # Unpickling anything during the parse is a failure, however it would be reached.
    def forbidden(*args: object, **kwargs: object) -> object:
        raise AssertionError("something tried to unpickle")

    monkeypatch.setattr(pickle, "load", forbidden)
    monkeypatch.setattr(pickle, "loads", forbidden)
    # and np.load must be asked not to unpickle: the refusal comes from allow_pickle=False
    real_load = np.load
    calls: list[dict[str, object]] = []

    def spy_load(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        return real_load(*args, **kwargs)

    monkeypatch.setattr(np, "load", spy_load)

    loc, msg = only(refusal(lambda: parse_npz_dataset(data, limits=LIMITS)))
    assert loc == ["file", which]
    assert msg.startswith(f"{which} is an array of Python objects (dtype=object)")
    assert "never loaded" in msg
    assert calls and all(c.get("allow_pickle") is False for c in calls)


def test_npz_size_limit_is_read_from_the_header(monkeypatch: pytest.MonkeyPatch) -> None:
    # 30,000 × 784 zeros compress to a few hundred kB; the refusal must come before inflating.
    data = as_npz(compressed=True, X=np.zeros((30_000, 784), np.float32), y=np.zeros(30_000))
    loaded = arrays_loaded(monkeypatch)
    err = refusal(lambda: parse_npz_dataset(data, limits=IngestLimits(max_cells=20_000_000)))
    assert err.status == 413
    assert only(err) == (
        ["file"],
        "the dataset has 30,000 rows × 784 features = 23,520,000 cells, "
        "over the limit of 20,000,000 cells",
    )
    assert loaded == []
    err = refusal(lambda: parse_npz(IngestLimits(max_rows=2), X=np.zeros((3, 1)), y=np.zeros(3)))
    assert (err.status, only(err)[1]) == (413, "the dataset has 3 rows, over the limit of 2 rows")
