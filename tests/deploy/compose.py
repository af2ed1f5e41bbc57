"""docker-compose.yml read the way Docker Compose reads it, without Docker: YAML (anchors and
merge keys included), then variable interpolation as the compose specification defines it
(``$VAR``, ``${VAR}``, ``${VAR:-default}``, ``${VAR-default}``, ``${VAR:?error}``,
``${VAR?error}``, ``${VAR:+alt}``, ``${VAR+alt}``, nested, ``$$`` for a literal ``$``), then a
service's environment as its container gets it (a key without a value takes the variable
from the project's environment, or is left out)."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
_NAME = re.compile(r"[_a-zA-Z][_a-zA-Z0-9]*")


class MissingVariable(ValueError):
    """A ``${VAR:?error}`` (or ``${VAR?error}``) whose variable is missing: compose stops."""


def load() -> dict[str, Any]:
    return dict(yaml.safe_load(COMPOSE_FILE.read_text()))


def schema() -> dict[str, Any]:
    """The compose specification's JSON schema, as vendored (with its licence and checksum)
    by check-jsonschema, a dev dependency: upstream's schema/compose-spec.json of the
    compose-spec/compose-spec repository."""
    vendored = files("check_jsonschema") / "builtin_schemas" / "vendor" / "compose-spec.json"
    return dict(json.loads(vendored.read_text()))


def interpolate(text: str, env: Mapping[str, str]) -> str:
    value, end = _expand(text, 0, env, stop=None)
    assert end == len(text)
    return value


def _expand(text: str, at: int, env: Mapping[str, str], stop: str | None) -> tuple[str, int]:
    """Expand from ``at`` up to an unnested ``stop`` character (or the end)."""
    out: list[str] = []
    while at < len(text):
        char = text[at]
        if stop is not None and char == stop:
            return "".join(out), at
        if char != "$":
            out.append(char)
            at += 1
            continue
        following = text[at + 1 : at + 2]
        if following == "$":
            out.append("$")
            at += 2
        elif following == "{":
            value, at = _braced(text, at + 2, env)
            out.append(value)
        elif match := _NAME.match(text, at + 1):
            out.append(env.get(match.group(), ""))
            at = match.end()
        else:  # not a variable: kept as it is
            out.append(char)
            at += 1
    if stop is not None:
        raise ValueError(f"unterminated ${{...}} in {text!r}")
    return "".join(out), at


def _braced(text: str, at: int, env: Mapping[str, str]) -> tuple[str, int]:
    """``${...}`` from just past the brace; returns the value and the index past ``}``."""
    match = _NAME.match(text, at)
    if match is None:
        raise ValueError(f"invalid variable name in {text!r}")
    name, at = match.group(), match.end()
    if text[at] == "}":
        return env.get(name, ""), at + 1
    operator = next(
        (op for op in (":-", ":?", ":+", "-", "?", "+") if text.startswith(op, at)), None
    )
    if operator is None:
        raise ValueError(f"unsupported expression in {text!r}")
    argument, at = _expand(text, at + len(operator), env, stop="}")
    present = name in env if ":" not in operator else bool(env.get(name))
    kind = operator[-1]
    if kind == "-":
        value = env[name] if present else argument
    elif kind == "+":
        value = argument if present else ""
    else:  # "?"
        if not present:
            raise MissingVariable(f"{name}: {argument}")
        value = env[name]
    return value, at + 1


def interpolated(node: Any, env: Mapping[str, str]) -> Any:
    """Every string value of ``node`` interpolated (keys are not, as in compose)."""
    if isinstance(node, str):
        return interpolate(node, env)
    if isinstance(node, list):
        return [interpolated(item, env) for item in node]
    if isinstance(node, dict):
        return {key: interpolated(value, env) for key, value in node.items()}
    return node


def container_environment(service: Mapping[str, Any], env: Mapping[str, str]) -> dict[str, str]:
    """The variables compose gives the service's container (``service`` interpolated): a key
    without a value takes the project environment's value, or is not set at all."""
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) if "=" in item else (item, None) for item in raw)
    result: dict[str, str] = {}
    for key, value in raw.items():
        if value is None:
            if key in env:
                result[key] = env[key]
        else:
            result[key] = str(value)
    return result


def variables(node: Any) -> set[str]:
    """The names of every variable the file refers to (what .env.example must document)."""
    found: set[str] = set()
    if isinstance(node, str):
        text = node.replace("$$", "")
        found.update(re.findall(r"\$\{?([_a-zA-Z][_a-zA-Z0-9]*)", text))
    elif isinstance(node, list):
        for item in node:
            found |= variables(item)
    elif isinstance(node, dict):
        for value in node.values():
            found |= variables(value)
    return found
