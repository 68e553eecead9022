"""A rule's text form (``bands(<2500:0; [2500,3000):3; >=3000:5)``): the form a workbook cell holds and a
UDF parses, split into the dict its model validates."""
from __future__ import annotations

import math
import re

from ..numbers import MAX_NUMBER
from ..typed import parse_typed
from .base import RATER_NAMES

_FULLWIDTH = str.maketrans("（）：；，＝＜＞【】", "():;,=<>[]")


_TEXT = re.compile(r"^\s*([a-z_]+)\s*\((.*)\)\s*$", re.S)


_SPAN = re.compile(r"^(?:(<=|<|>=|>)\s*(\S+)|([\[(])\s*([^,]+?)\s*,\s*([^\])]+?)\s*([\])])|\*)$")


def _number(text: str) -> float:
    """A number in a rule's text, in the seed's own forms too: 10%, 2W, 4万, 1.5千."""
    text = text.strip()
    try:
        value = float(parse_typed(text)[0])
    except ValueError:
        raise ValueError(f"“{text}”不是数字 / “{text}” is not a number") from None
    if not math.isfinite(value) or abs(value) > MAX_NUMBER:
        raise ValueError(f"“{text}”超出允许范围（绝对值不超过1e15） / “{text}” is beyond ±1e15")
    return value


def _band(text: str) -> dict:
    span, sep, pts = text.rpartition(":")
    m = _SPAN.match(span.strip())
    if not sep or not m:
        raise ValueError(f"档位“{text}”应写成如 [2500,3000):3 或 <2500:0 / "
                         f"band “{text}” should look like [2500,3000):3 or <2500:0")
    op, v, lb, lo, hi, rb = m.groups()
    band: dict = {"pts": _number(pts)}
    if op:
        key = "hi" if op[0] == "<" else "lo"
        band[key], band[key + "_inc"] = _number(v), op.endswith("=")
    elif lb:
        band.update(lo=_number(lo), lo_inc=lb == "[", hi=_number(hi), hi_inc=rb == "]")
    return band


def text_to_dict(text: str) -> dict:
    """Split a rule's text form into the dict its model validates."""
    m = _TEXT.match(text.translate(_FULLWIDTH))
    if not m:
        raise ValueError(f"规则“{text}”应写成 类型（参数），如 step(per=100, pts=0.1, cap=5) / "
                         f"rule “{text}” should look like type(params), e.g. step(per=100, pts=0.1, cap=5)")
    kind, body = m.groups()
    parts = [p.strip() for p in re.split(r"[;,]" if kind != "bands" else r";", body) if p.strip()]
    if kind == "bands":
        return {"type": kind, "bands": [_band(p) for p in parts]}
    data: dict = {"type": kind}
    for p in parts:
        key, sep, value = p.partition("=")
        key, value = key.strip(), value.strip()
        if not sep or not key:
            raise ValueError(f"参数“{p}”应写成 名称=值 / parameter “{p}” should be name=value")
        if kind == "rank":
            data.setdefault("pts", {})[int(_number(key))] = _number(value)
        elif kind == "rating" and key in RATER_NAMES:
            data.setdefault("weights", {})[key] = _number(value)
        elif key in ("dir", "effect"):
            data[key] = value
        else:
            data[key] = _number(value)
    return data
