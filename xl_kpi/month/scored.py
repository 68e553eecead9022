"""One employee's scored month, as the steps after scoring hold it.

A month of 100,000 scorecards held as Python objects takes gigabytes, so a scored month can be
*packed*: its scorecard and inputs pickled and compressed (about a tenth of the size), unpacked
again on demand when read through ``card`` and ``raw``. A packed scorecard must not be changed in
place (the change would be lost with the unpacked copy): assign a new one instead.
"""
from __future__ import annotations

import pickle
import zlib
from collections import OrderedDict
from decimal import Decimal
from pathlib import Path

from ..core.errors import Problem
from ..core.scorecard import (
    AdjustmentEntry,
    AdjustmentResult,
    EmployeeInputs,
    MetricResult,
    Pay,
    Scorecard,
)
from ..workspace.roster import Employee

_RECENT = 16  # unpacked objects kept: the department-wide steps read one employee's card several times in a row
_unpacked: OrderedDict[int, tuple[bytes, object]] = OrderedDict()
_zdict = b""  # what every scorecard of the plan says (see use_plan): compressed against it, a card takes half


class _Packed:
    __slots__ = ("blob", "zdict")

    def __init__(self, value):
        self.zdict = _zdict  # travels with the blob (pickled once a part), so it always unpacks
        c = zlib.compressobj(6, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, self.zdict) if self.zdict else \
            zlib.compressobj(6, zlib.DEFLATED, -15)
        self.blob = c.compress(pickle.dumps(value, pickle.HIGHEST_PROTOCOL)) + c.flush()

    def value(self):
        hit = _unpacked.get(id(self.blob))
        if hit is not None and hit[0] is self.blob:  # the cache holds the blob, so its id is not reused
            _unpacked.move_to_end(id(self.blob))
            return hit[1]
        d = zlib.decompressobj(-15, self.zdict) if self.zdict else zlib.decompressobj(-15)
        value = pickle.loads(d.decompress(self.blob) + d.flush())
        _unpacked[id(self.blob)] = (self.blob, value)
        if len(_unpacked) > _RECENT:
            _unpacked.popitem(last=False)
        return value


def _get(v):
    return v.value() if isinstance(v, _Packed) else v


class Scored:
    """An employee's scorecard of the month with where it came from and its problems placed by cell."""

    __slots__ = ("employee", "_path", "_card", "data", "problems", "_inputs", "mode")

    def __init__(self, employee: Employee, path: Path | None, card: Scorecard | None, data, problems: list[Problem],
                 raw: EmployeeInputs | None = None, bases: tuple = (None, None), mode: str | None = None):
        self.employee, self.path, self._card, self.data, self.problems = employee, path, card, data, problems
        # the inputs, to score again with cohort bonuses; 责任底薪 and 绩效工资基数 as the workbook holds them
        self._inputs = (raw, bases)
        self.mode = mode  # the workbook's formula mode (native, udf), as its hidden sheet says

    card = property(lambda self: _get(self._card), lambda self, v: setattr(self, "_card", v))
    raw = property(lambda self: _get(self._inputs)[0])
    bases = property(lambda self: _get(self._inputs)[1])
    # held as text: a Path object is several times the size, and 100,000 are held
    path = property(lambda self: None if self._path is None else Path(self._path),
                    lambda self, v: setattr(self, "_path", None if v is None else str(v)))

    def pack(self) -> "Scored":
        """The scorecard and inputs compressed (the workbook's cells dropped): what crosses from a worker
        and is held for every employee of the month."""
        self.data = None
        if self._card is not None and not isinstance(self._card, _Packed):
            self._card = _Packed(self._card)
        if not isinstance(self._inputs, _Packed) and self._inputs != (None, (None, None)):
            self._inputs = _Packed(self._inputs)
        return self

    def __repr__(self) -> str:
        return f"Scored({self.employee.id}, {self._path}, score={self.card.score if self.card else None})"


def use_plan(plan) -> None:
    """Compress scorecards from now on against a skeleton of the plan's: a card and inputs of each role with
    the metric ids, names and categories and no one's values (the words every card repeats)."""
    global _zdict
    if _skeletons.get(id(plan), (None,))[0] is not plan:  # kept with its plan, so the id is not reused
        _skeletons.clear()
        _skeletons[id(plan)] = (plan, _skeleton(plan))
    _zdict = _skeletons[id(plan)][1]


_skeletons: dict[int, tuple[object, bytes]] = {}


def _skeleton(plan) -> bytes:
    parts = []
    for role_id, role in plan.roles.items():
        ids = [m.id for m in role.metrics]
        metrics = {m.id: MetricResult(m.id, m.name, c.id, 1.0, 1.0, None, 1.0, f"完成{m.name}/目标，完成率按%计，得分")
                   for c in role.categories for m in c.metrics}
        pay = Pay(*(Decimal("1.00"),) * 5)
        card = Scorecard(role_id, metrics, {c.id: 1.0 for c in role.categories}, [AdjustmentResult("", "", 1.0, 1.0, "")],
                         0.0, None, 1.0, plan.grades[0].name, 1.0, pay, [])
        inputs = EmployeeInputs(dict.fromkeys(ids, 1.0), dict.fromkeys(ids, 1.0), dict.fromkeys(ids), {}, {}, {},
                                [AdjustmentEntry("")])
        parts += [pickle.dumps(card, pickle.HIGHEST_PROTOCOL), pickle.dumps((inputs, (Decimal(1), Decimal(2))),
                                                                             pickle.HIGHEST_PROTOCOL)]
    return b"".join(parts)[-32768:]  # deflate looks back 32 KB
