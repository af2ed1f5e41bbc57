"""The JSON features fast path: exactly JSON's numbers, the slow path's values, and a fall back
to the slow path (and its messages) for anything else."""

from __future__ import annotations

import json

import numpy as np
import orjson
import pytest

from service.ingest import parse_json_dataset
from service.ingest.json_matrix import split_features
from tests.service.ingest_helpers import LIMITS, only, refusal


def _body(features: bytes, extra: bytes = b"") -> bytes:
    return b'{"features":' + features + b',"targets":[0,1]' + extra + b"}"


@pytest.mark.parametrize(
    "features",
    [
        b"[[1,2.5],[3,-4e5]]",
        b"[[0.5,-0],[0e1,10]]",
        b"[[1E+05,1e-05],[-0.0,123456789012]]",
        b"[[1, 2],[3, 4]]",  # json.dumps's separators
    ],
)
def test_json_numbers_are_read_fast_with_the_slow_paths_values(features: bytes) -> None:
    fast = split_features(_body(features))
    assert fast is not None
    expected = np.array(orjson.loads(features), dtype=np.float32)
    assert np.array_equal(fast[1], expected)
    dataset, _ = parse_json_dataset(_body(features), limits=LIMITS)
    assert np.array_equal(dataset.X, expected)
    # The slow path (other whitespace) stores the same values in the same dtype.
    slow, _ = parse_json_dataset(_body(features.replace(b"],", b"],\n")), limits=LIMITS)
    assert slow.X.dtype == dataset.X.dtype == fast[1].dtype
    assert np.array_equal(slow.X, expected)


@pytest.mark.parametrize(
    "features",
    [
        b"[[1,,2],[3,4]]",
        b"[[,1],[2]]",
        b"[[1,],[2]]",
        b"[[+1],[2]]",
        b"[[.5],[2]]",
        b"[[5.],[2]]",
        b"[[01],[2]]",
        b"[[-01],[2]]",
        b"[[1-2],[2]]",
        b"[[--1],[2]]",
        b"[[-],[2]]",
        b"[[1e],[2]]",
        b"[[1e+],[2]]",
        b"[[1.2.3],[2]]",
        b"[[1e5e5],[2]]",
        b"[[-.5],[2]]",
        b"[[1.e5],[2]]",
        b"[[e5],[2]]",
        b"[[],[2]]",
        b"[[1],[],[2]]",  # an empty row inside: a blank line numpy would skip
        b"[[1.5],[],[2]]",
        b"[[1],[2,3]]",
        b"[[[1]],[2]]",
        b"[[1e400],[2]]",
        b"[[1 ,2],[3,4]]",
        b"[[1 2],[3]]",
        b'[[1,"2"],[3,4]]',
        b"[[1,true],[3,4]]",
        b"[[NaN],[1]]",
        b"[[1,null],[3,4]]",
        b"[[0.1,0.2],\n [0.3,0.4]]",  # valid, but other whitespace than ", " goes the slow way
    ],
)
def test_anything_else_goes_the_slow_way_with_its_messages(features: bytes) -> None:
    body = _body(features)
    assert split_features(body) is None
    try:
        valid = json.loads(features) is not None
    except ValueError:
        valid = False
    if not valid:  # the slow path's own message: invalid JSON, naming where
        assert "invalid JSON" in only(refusal(lambda: parse_json_dataset(body, limits=LIMITS)))[1]


def test_a_features_key_elsewhere_is_not_taken_for_the_matrix() -> None:
    # In a string, in a nested object, or twice: the body orjson reads decides.
    tricky = [
        b'{"name":"\\"features\\":[[9]]","features":[[1],[2]],"targets":[0,1]}',
        b'{"features":[[1],[2]],"targets":[0,1],"name":"x","features":[[3],[4]]}',
    ]
    for body in tricky:
        dataset, _ = parse_json_dataset(body, limits=LIMITS)
        expected = [row for row in orjson.loads(body)["features"]]
        assert dataset.X.tolist() == expected
