"""YAML loading that remembers the line of every key, so problems can point at it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import yaml

from survey_flows.i18n import check_text, vi_of
from survey_flows.problems import Problem

Path_ = tuple[str | int, ...]
_BOOL = "tag:yaml.org,2002:bool"


class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 booleans: only true/false, so ``yes: 0`` keeps the key "yes"."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != _BOOL]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


@dataclass(frozen=True, slots=True)
class Located:
    """Parsed YAML data plus ``lines``: key path -> 1-based line (``("steps", 2, "writes")``)."""

    data: Any
    lines: dict[Path_, int] = field(default_factory=dict)

    def line(self, *path: str | int) -> int:
        """The line of ``path``, else of its nearest ancestor that has one."""
        current = tuple(path)
        while current and current not in self.lines:
            current = current[:-1]
        return self.lines.get(current, 1)


def load_located(text: str, file: str) -> tuple[Located | None, list[Problem]]:
    """Parse one YAML document; a syntax error becomes a Problem, never an exception."""
    try:
        loader = _Loader(text)
    except yaml.reader.ReaderError as exc:  # a control character: refused before any parsing
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        code = f"#x{exc.character:04x}" if isinstance(exc.character, int) else repr(exc.character)
        return None, [Problem(file, line, f"YAML syntax error: character {code} is not allowed",
                              f"Lỗi cú pháp YAML: không được dùng ký tự {code}")]
    try:
        node = loader.get_single_node()
        if node is None:
            return Located(None, {(): 1}), []
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        detail = exc.problem or exc.context
        return None, [Problem(file, line, f"YAML syntax error: {detail}", f"Lỗi cú pháp YAML: {detail}")]
    except yaml.YAMLError as exc:
        return None, [Problem(file, 1, f"YAML syntax error: {exc}", f"Lỗi cú pháp YAML: {exc}")]
    finally:
        loader.dispose()
    lines: dict[Path_, int] = {(): node.start_mark.line + 1}
    problems: list[Problem] = []
    _walk(node, (), lines, problems, file)
    return Located(data, lines), problems


def _walk(node: yaml.Node, path: Path_, lines: dict[Path_, int],
          problems: list[Problem], file: str) -> None:
    # PyYAML keeps the last of two equal keys silently; a flow author wants to know.
    if isinstance(node, yaml.MappingNode):
        seen: dict[object, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
            key = _scalar_key(key_node, key)
            line = key_node.start_mark.line + 1
            if key in seen:
                problems.append(Problem(file, line, f"duplicate key {key!r} (first at line {seen[key]})",
                                        f"khóa {key!r} bị lặp (lần đầu ở dòng {seen[key]})"))
            seen.setdefault(key, line)
            lines.setdefault(path + (key,), line)
            _walk(value_node, path + (key,), lines, problems, file)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[path + (index,)] = item.start_mark.line + 1
            _walk(item, path + (index,), lines, problems, file)


def _scalar_key(key_node: yaml.Node, raw: str) -> str | int:
    # Integer keys (``2: {vi: Trước hạn}``) must match the constructed data's int keys.
    if isinstance(key_node, yaml.ScalarNode) and key_node.tag == "tag:yaml.org,2002:int":
        try:
            return int(raw)
        except ValueError:
            return raw
    return raw


class Findings:
    """Collects problems for one file, turning key paths into line numbers."""

    def __init__(self, file: str, located: Located) -> None:
        self.file = file
        self.located = located
        self.problems: list[Problem] = []

    def add(self, path: Path_, message: str, vi: str = "") -> None:
        """A problem at ``path``'s line: ``message`` in English, ``vi`` in Vietnamese (optional)."""
        self.problems.append(Problem(self.file, self.located.line(*path), message, vi))

    def say(self, path: Path_, msgid: str, **values: object) -> None:
        """A problem at ``path``'s line in the checker catalog's English and Vietnamese."""
        self.add(path, check_text("en", msgid, **values), check_text("vi", msgid, **values))

    def mapping(self, value: Any, path: Path_, what: str) -> dict[Any, Any]:
        """``value`` if it is a mapping, else a problem and an empty dict."""
        if isinstance(value, dict):
            return value
        if value is not None:
            self.add(path, f"{what} must be a mapping", f"{vi_of(what)}: phải là một bảng khóa–giá trị (mapping)")
        return {}

    def sequence(self, value: Any, path: Path_, what: str) -> list[Any]:
        """``value`` if it is a list, else a problem and an empty list."""
        if isinstance(value, list):
            return value
        self.add(path, f"{what} must be a list", f"{vi_of(what)}: phải là một danh sách")
        return []

    def integer(self, value: Any, path: Path_, what: str) -> int | None:
        """``value`` if it is an int (not a bool), else a problem and None."""
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        self.add(path, f"{what} must be an integer, not {value!r}", f"{vi_of(what)}: phải là số nguyên, không phải {value!r}")
        return None

    def unknown_keys(self, data: dict[str, Any], allowed: frozenset[str], path: Path_, where: str) -> None:
        for key in data:
            if key not in allowed:
                self.add(path + (key,), f"{where}unknown key {key!r}", f"{vi_of(where)}khóa không hợp lệ {key!r}")
