"""Rating rounds as the plan sets them: who rates whom (自评, the roster's 上级, the plan's 考核小组 and
跨团队 raters), what each score means (the anchors HR wrote), when forms are due, and how a group's
score is made of its raters' (the mean of those who rated). Pure: the roster comes in as objects with
``id``, ``name``, ``email``, ``manager_email`` and ``role``."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from pydantic import Field, model_validator

from .errors import bilingual
from .model import Model
from .numbers import fsum_snapped, snap

PERIOD_ITEM = "period"  # the one item a period round rates: the period's overall rating (期间综合评分)


class Anchor(Model):
    """What a score means on the forms: 优秀 (90–100) 超出预期…"""

    min: float = Field(ge=0)
    name: str
    words: str = ""


class Ratings(Model):
    """The plan's ``ratings:`` section."""

    # item: the rated person's workbook shows their 自评 and the others' weighted rating (他评) per item;
    # group: one row per rater group (主管评定, 考核小组, 跨团队), as releases before 0.3.0 showed them
    shown: Literal["item", "group"] = "item"
    committee: list[str] = []  # 考核小组: the members' 工号
    cross: dict[str, list[str]] = {}  # 跨团队: a rater's 工号 → the 工号 of the people they rate
    due_day: int = Field(default=3, ge=1, le=28)  # forms are due by this day of the month after the round
    anchors: list[Anchor] = []

    @model_validator(mode="after")
    def _check(self):
        mins = [a.min for a in self.anchors]
        if len(set(mins)) != len(mins):
            raise bilingual("anchor_overlap", "两个评分标准的最低分相同", "two anchors have the same minimum")
        object.__setattr__(self, "anchors", sorted(self.anchors, key=lambda a: -a.min))
        return self


@dataclass(frozen=True)
class Rater:
    """Who fills a form: a roster employee (their 工号) or someone outside it (their address)."""

    key: str
    name: str
    email: str


@dataclass
class Form:
    """One rater's form of a round: (employee, item, group) rows, in roster order."""

    rater: Rater
    rows: list[tuple[str, str, str]] = field(default_factory=list)


def supervisor_of(e, by_email: dict) -> Rater | None:
    """The roster's 上级: the employee whose address is the 上级邮箱, else someone outside the roster."""
    address = (e.manager_email or "").strip().lower()
    if not address:
        return None
    boss = by_email.get(address)
    return Rater(boss.id, boss.name, boss.email) if boss is not None else Rater(address, address, address)


def raters_of(e, group: str, ratings: Ratings, roster_by_id: dict, by_email: dict) -> list[Rater]:
    """Who gives the person's score of a rater group."""
    def person(emp_id):
        p = roster_by_id[emp_id]
        return Rater(p.id, p.name, p.email)

    if group == "self":
        return [person(e.id)]
    if group == "supervisor":
        boss = supervisor_of(e, by_email)
        return [boss] if boss is not None and boss.key != e.id else []
    if group == "committee":
        return [person(m) for m in ratings.committee if m != e.id and m in roster_by_id]
    if group == "cross":
        return [person(r) for r, rated in ratings.cross.items() if e.id in rated and r != e.id and r in roster_by_id]
    return []


def forms_of(items: list[tuple[object, str, list[str]]], ratings: Ratings, roster: list) -> tuple[list[Form], list[str]]:
    """Every rater's form for (employee, item, rater groups) rows, and what cannot be asked (a group with
    no rater: no 上级 on the roster, an empty 考核小组), worded for HR."""
    roster_by_id = {p.id: p for p in roster}
    by_email = {p.email.strip().lower(): p for p in roster if p.email}
    forms: dict[str, Form] = {}
    unasked = []
    for e, item, groups in items:
        for group in groups:
            raters = raters_of(e, group, ratings, roster_by_id, by_email)
            if not raters:
                unasked.append((e.id, item, group))
            for r in raters:
                forms.setdefault(r.key, Form(r)).rows.append((e.id, item, group))
    return list(forms.values()), unasked


def group_score(scores: list[float]) -> float:
    """A group's score: the mean of its raters' (one rater: their score)."""
    return snap(fsum_snapped(scores) / len(scores))


def round_of(text: str) -> str:
    """A round's key: a month (2026-10) or a period (2026-Q4, 2026-H2, 2026)."""
    return text.strip()


def due_date(round_key: str, due_day: int) -> dt.date:
    """When a round's forms are due: the due day of the month after the month or period."""
    year = int(round_key[:4])
    if len(round_key) == 7 and round_key[4] == "-" and round_key[5:].isdigit():
        last = int(round_key[5:])
    elif round_key[5:6] == "Q":
        last = int(round_key[6]) * 3
    elif round_key[5:6] == "H":
        last = int(round_key[6]) * 6
    else:
        last = 12
    year, month = (year + 1, 1) if last == 12 else (year, last + 1)
    return dt.date(year, month, due_day)


def anchor_of(score: float, anchors: list[Anchor]) -> Anchor | None:
    return next((a for a in anchors if score >= a.min), None)
