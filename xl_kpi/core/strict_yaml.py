"""YAML read strictly: the plan is HR's, but a file can still be careless or hostile.

A duplicate key (a copied role block) is an error, not a silent replacement; aliases (``&a`` / ``*a``,
the way to a billion-laughs bomb) and nesting deeper than any plan needs are refused before anything
is built; numbers must be finite and within what money and counts can mean (1e15).
"""
from __future__ import annotations

import math

import yaml

from .numbers import MAX_NUMBER

MAX_BYTES = 2_000_000
MAX_DEPTH = 40


class YamlProblem(ValueError):
    def __init__(self, type_: str, message: str, line: int | None, loc: tuple = ()):
        super().__init__(message)
        self.type, self.message, self.line, self.loc = type_, message, line, loc


def _check_events(text: str) -> None:
    """Depth and aliases, from the event stream (no recursion, so a 20,000-deep file costs nothing)."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise YamlProblem("yaml_alias", "方案中不允许使用YAML锚点或别名（&、*） / YAML anchors and aliases are not "
                              "allowed in a plan", line)
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise YamlProblem("yaml_depth", f"嵌套超过{MAX_DEPTH}层 / nested deeper than {MAX_DEPTH} levels", line)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def _duplicates(node, path=()) -> list[YamlProblem]:
    out = []
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for k, v in node.value:
            line = k.start_mark.line + 1
            if k.value in seen:
                out.append(YamlProblem("duplicate_key", f"键“{k.value}”重复(第{seen[k.value]}行与第{line}行), 后者会覆盖"
                                       f"前者 / duplicate key “{k.value}” (lines {seen[k.value]} and {line})", line,
                                       path + (k.value,)))
            seen.setdefault(k.value, line)
            out += _duplicates(v, path + (k.value,))
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            out += _duplicates(v, path + (i,))
    return out


def _numbers(data, path=()) -> list[tuple[tuple, str]]:
    """(path, what is wrong) for every number that is not finite or beyond MAX_NUMBER."""
    if isinstance(data, dict):
        return [p for k, v in data.items() for p in _numbers(v, path + (str(k),))]
    if isinstance(data, list):
        return [p for i, v in enumerate(data) for p in _numbers(v, path + (i,))]
    if isinstance(data, float) and not math.isfinite(data):
        return [(path, "不是有限数字 / is not a finite number")]
    if isinstance(data, (int, float)) and not isinstance(data, bool) and abs(data) > MAX_NUMBER:
        return [(path, f"数值{data:g}超出允许范围（绝对值不超过1e15） / {data:g} is beyond ±1e15")]
    return []


def load(text: str) -> tuple[object, yaml.Node | None, list[YamlProblem]]:
    """(data, node, problems): the document, its node tree (for line numbers) and everything wrong with it.
    Raises YamlProblem when the text cannot be read at all."""
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise YamlProblem("yaml_size", f"文件超过{MAX_BYTES // 1_000_000}MB / the file is over "
                          f"{MAX_BYTES // 1_000_000} MB", None)
    _check_events(text)
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    if node is None:
        return None, None, []
    problems = _duplicates(node)
    data = yaml.SafeLoader("").construct_document(node)
    return data, node, problems


def number_problems(data) -> list[tuple[tuple, str]]:
    return _numbers(data)
