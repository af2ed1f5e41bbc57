"""The Dockerfile's instructions, stage by stage, and the .dockerignore's rules, read without
Docker: enough of both formats to check what the images run and what the build sees."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"


@dataclass
class Instruction:
    keyword: str  # upper case: RUN, COPY, ...
    arguments: str  # the rest of the logical line, continuations joined
    heredocs: list[str] = field(default_factory=list)  # bodies of <<EOF documents, in order

    def exec_form(self) -> list[str]:
        """The JSON array of a CMD/ENTRYPOINT (or HEALTHCHECK's CMD)."""
        text = self.arguments
        if self.keyword == "HEALTHCHECK":
            text = text[text.index(" CMD ") + len(" CMD ") :]
        return list(json.loads(text))


@dataclass
class Stage:
    name: str
    base: str  # the image or stage it is FROM
    instructions: list[Instruction]

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]


_HEREDOC = re.compile(r"<<-?(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\1")


def parse(text: str | None = None) -> list[Stage]:
    lines = (DOCKERFILE.read_text() if text is None else text).splitlines()
    instructions: list[Instruction] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        logical = line
        while logical.endswith("\\"):
            logical = logical[:-1]
            while index < len(lines) and lines[index].lstrip().startswith("#"):
                index += 1  # comment lines inside a continued instruction are dropped
            logical += " " + lines[index].strip()
            index += 1
        keyword, _, arguments = logical.strip().partition(" ")
        instruction = Instruction(keyword.upper(), " ".join(arguments.split()))
        if instruction.keyword in {"RUN", "COPY", "ADD"}:
            for match in _HEREDOC.finditer(arguments):
                body: list[str] = []
                while lines[index] != match.group(2):
                    body.append(lines[index])
                    index += 1
                index += 1
                instruction.heredocs.append("\n".join(body) + "\n")
        instructions.append(instruction)
    stages: list[Stage] = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            words = instruction.arguments.split()
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else str(len(stages))
            stages.append(Stage(name, words[0], []))
        elif stages:
            stages[-1].instructions.append(instruction)
    return stages


def chain(stages: list[Stage], name: str) -> list[Stage]:
    """The stage and those it is built FROM, base first."""
    by_name = {stage.name: stage for stage in stages}
    result = [by_name[name]]
    while result[0].base in by_name:
        result.insert(0, by_name[result[0].base])
    return result


def effective(stages: list[Stage], name: str, keyword: str) -> Instruction | None:
    """The instruction of ``keyword`` that holds in stage ``name``: its last one, inherited."""
    found = [i for stage in chain(stages, name) for i in stage.all(keyword)]
    return found[-1] if found else None


def environment(stages: list[Stage], name: str) -> dict[str, str]:
    """The ENV of stage ``name`` (inherited), for values without spaces or quotes."""
    env: dict[str, str] = {}
    for stage in chain(stages, name):
        for instruction in stage.all("ENV"):
            for pair in instruction.arguments.split():
                key, _, value = pair.partition("=")
                env[key] = value
    return env


class DockerIgnore:
    """Docker's .dockerignore rules: Go filepath.Match patterns plus ``**``, relative to the
    context's root; a pattern that matches a directory matches everything in it; ``!`` makes
    an exception; the last rule that matches a path decides."""

    def __init__(self, text: str | None = None) -> None:
        raw = DOCKERIGNORE.read_text() if text is None else text
        self.rules: list[tuple[bool, re.Pattern[str]]] = []
        for line in raw.splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            keep = line.startswith("!")
            pattern = line.removeprefix("!").strip().strip("/")
            self.rules.append((keep, re.compile(self._regex(pattern))))

    @staticmethod
    def _regex(pattern: str) -> str:
        out: list[str] = []
        at = 0
        while at < len(pattern):
            if pattern.startswith("**/", at):
                out.append("(?:.*/)?")
                at += 3
            elif pattern.startswith("**", at):
                out.append(".*")
                at += 2
            elif pattern[at] == "*":
                out.append("[^/]*")
                at += 1
            elif pattern[at] == "?":
                out.append("[^/]")
                at += 1
            elif pattern[at] == "[" and "]" in pattern[at + 1 :]:
                end = pattern.index("]", at + 1)
                out.append("[" + pattern[at + 1 : end].replace("!", "^", 1) + "]")
                at = end + 1
            else:
                out.append(re.escape(pattern[at]))
                at += 1
        return "".join(out)

    def excluded(self, path: str) -> bool:
        parts = path.strip("/").split("/")
        prefixes = ["/".join(parts[: n + 1]) for n in range(len(parts))]
        verdict = False
        for keep, regex in self.rules:
            if any(regex.fullmatch(prefix) for prefix in prefixes):
                verdict = not keep
        return verdict
