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
from pathlib import Path

from .core.errors import Problem
from .core.scorecard import EmployeeInputs, Scorecard
from .roster import Employee

_RECENT = 16  # unpacked objects kept: the department-wide steps read one employee's card several times in a row
_unpacked: OrderedDict[int, tuple[bytes, object]] = OrderedDict()


class _Packed:
    __slots__ = ("blob",)

    def __init__(self, value):
        self.blob = zlib.compress(pickle.dumps(value, pickle.HIGHEST_PROTOCOL), 1)

    def value(self):
        hit = _unpacked.get(id(self.blob))
        if hit is not None and hit[0] is self.blob:  # the cache holds the blob, so its id is not reused
            _unpacked.move_to_end(id(self.blob))
            return hit[1]
        value = pickle.loads(zlib.decompress(self.blob))
        _unpacked[id(self.blob)] = (self.blob, value)
        if len(_unpacked) > _RECENT:
            _unpacked.popitem(last=False)
        return value


def _get(v):
    return v.value() if isinstance(v, _Packed) else v


class Scored:
    """An employee's scorecard of the month with where it came from and its problems placed by cell."""

    __slots__ = ("employee", "path", "_card", "data", "problems", "_raw", "bases", "mode")

    def __init__(self, employee: Employee, path: Path | None, card: Scorecard | None, data, problems: list[Problem],
                 raw: EmployeeInputs | None = None, bases: tuple = (None, None), mode: str | None = None):
        self.employee, self.path, self._card, self.data, self.problems = employee, path, card, data, problems
        self._raw = raw  # the inputs, to score again with cohort bonuses
        self.bases = bases  # 责任底薪 and 绩效工资基数 as the workbook holds them
        self.mode = mode  # the workbook's formula mode (native, udf), as its hidden sheet says

    card = property(lambda self: _get(self._card), lambda self, v: setattr(self, "_card", v))
    raw = property(lambda self: _get(self._raw), lambda self, v: setattr(self, "_raw", v))

    def pack(self) -> "Scored":
        """The scorecard and inputs compressed (the workbook's cells dropped): what crosses from a worker
        and is held for every employee of the month."""
        self.data = None
        if self._card is not None and not isinstance(self._card, _Packed):
            self._card = _Packed(self._card)
        if self._raw is not None and not isinstance(self._raw, _Packed):
            self._raw = _Packed(self._raw)
        return self

    def __repr__(self) -> str:
        return f"Scored({self.employee.id}, {self.path}, score={self.card.score if self.card else None})"
