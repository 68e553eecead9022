"""Bilingual errors with a location, in the manner of pydantic.

Every message a user sees is ``中文 / English``. Validation errors keep
pydantic's stable ``type`` and location path; the loaders add the file,
line, sheet or cell where one is known.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import ValidationError
from pydantic_core import PydanticCustomError

# Chinese for pydantic's own error types; the English text is pydantic's.
_ZH = {
    "missing": "缺少必填项",
    "extra_forbidden": "未知字段（是否拼写错误？）",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "string_type": "应为文字",
    "literal_error": "取值不在允许范围内",
    "enum": "取值不在允许范围内",
    "greater_than": "数值过小",
    "greater_than_equal": "数值过小",
    "less_than": "数值过大",
    "less_than_equal": "数值过大",
    "list_type": "应为列表",
    "dict_type": "应为键值表",
    "model_type": "应为键值表",
    "model_attributes_type": "应为键值表",
    "too_short": "至少需要一项",
    "string_pattern_mismatch": "格式不正确",
    "union_tag_invalid": "未知的规则类型",
    "union_tag_not_found": "缺少规则类型 type",
}


def bilingual(type_: str, zh: str, en: str, **ctx) -> PydanticCustomError:
    """An error for a pydantic validator; ``{name}`` in either text is filled from ctx."""
    return PydanticCustomError(type_, f"{zh} / {en}", ctx)


@dataclass(frozen=True)
class Problem:
    """One thing wrong, and where: ``file:line`` or ``file!Sheet!A1``, plus a field path."""

    type: str
    message: str  # 中文 / English
    loc: tuple = ()
    file: str | None = None
    line: int | None = None
    sheet: str | None = None
    cell: str | None = None
    employee: str | None = None

    @property
    def path(self) -> str:
        return ".".join(str(p) for p in self.loc)

    def where(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file + (f":{self.line}" if self.line else ""))
        if self.sheet:
            parts.append(f"{self.sheet}!{self.cell}" if self.cell else self.sheet)
        if self.path:
            parts.append(self.path)
        return " ".join(parts)

    def place(self) -> str:
        """Where, as a person reads it: the file and the cell, without the internal field path."""
        parts = [self.file + (f":{self.line}" if self.line else "")] if self.file else []
        if self.sheet:
            parts.append(f"{self.sheet}!{self.cell}" if self.cell else self.sheet)
        return " ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message

    def as_dict(self) -> dict:
        d = {k: v for k, v in self.__dict__.items() if v not in (None, ())}
        d["loc"] = self.path
        return d


@dataclass
class KpiError(Exception):
    """Raised with every problem found, never just the first."""

    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


ID_WORDS = ("编号只能由小写英文字母、数字和下划线组成，以字母开头，最长40个字符（如 complaint_rate）",
            "an id is lower-case letters, digits and underscores, starting with a letter, at most 40 (e.g. complaint_rate)")


def bilingual_message(e: dict) -> str:
    """``中文 / English`` for one pydantic error (ours already are); no regex in what people read."""
    if e["type"] == "string_pattern_mismatch":
        return f"“{e.get('input')}”不是有效的编号：{ID_WORDS[0]} / “{e.get('input')}” is not a valid id: {ID_WORDS[1]}"
    msg = e["msg"].removeprefix("Value error, ")
    return msg if " / " in msg else f"{_ZH.get(e['type'], '无效')} / {msg}"


def problems_from_validation(exc: ValidationError, **where) -> list[Problem]:
    return [Problem(type=e["type"], message=bilingual_message(e), loc=tuple(e["loc"]), **where)
            for e in exc.errors(include_url=False)]
