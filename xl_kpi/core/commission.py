"""业绩提成: progressive bands on one metric's actual, in Python, as a formula, as text and in words."""
from __future__ import annotations

from decimal import Decimal

from pydantic import Field, model_validator

from .errors import bilingual
from .model import Ident, Model
from .numbers import money, num


class CommissionBand(Model):
    upto: float | None = None  # None: everything above the previous band
    rate: float = Field(ge=0, le=1)


class Commission(Model):
    """业绩提成: progressive bands on one metric's actual (1% up to 40,000, 1.5% above)."""

    metric: Ident
    bands: list[CommissionBand] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self):
        uptos = [b.upto for b in self.bands]
        if any(u is None for u in uptos[:-1]) or uptos[-1] is not None:
            raise bilingual("band_gap", "只有最后一档可以不写upto，且必须不写",
                            "only the last band, and it alone, leaves upto empty")
        if uptos[:-1] != sorted(set(uptos[:-1])):
            raise bilingual("band_overlap", "提成档位upto须递增", "commission bands must rise")
        return self

    def _spans(self):
        lo = 0.0
        for b in self.bands:
            yield lo, b.upto, b.rate
            lo = b.upto

    def amount(self, x: float) -> Decimal:
        total = sum((Decimal(str(max(0.0, min(x, hi if hi is not None else x) - lo))) * Decimal(str(rate))
                     for lo, hi, rate in self._spans()), Decimal(0))
        return money(total)

    def formula(self, ref: str) -> str:
        parts = []
        for lo, hi, rate in self._spans():
            top = ref if hi is None else f"MIN({ref},{num(hi)})"
            parts.append(f"MAX(0,{top}-{num(lo)})*{num(rate)}")
        return f"ROUND({'+'.join(parts)},2)"

    def to_text(self) -> str:
        """``commission(40000:1%; *:1.5%)``: the form the UDF KPI_COMMISSION reads."""
        parts = [f"{num(b.upto) if b.upto is not None else '*'}:{num(round(b.rate * 100, 9))}%" for b in self.bands]
        return f"commission({'; '.join(parts)})"

    @classmethod
    def from_text(cls, text: str) -> "Commission":
        import re

        m = re.fullmatch(r"\s*commission\((.*)\)\s*", text)
        if not m:
            raise ValueError(f"提成规则应写成 commission(40000:1%; *:1.5%) / commission rule should look like "
                             f"commission(40000:1%; *:1.5%): {text}")
        bands = []
        for part in filter(None, (p.strip() for p in m.group(1).split(";"))):
            upto, _, rate = part.partition(":")
            rate = rate.strip()
            bands.append({"upto": None if upto.strip() == "*" else float(upto),
                          "rate": float(rate[:-1]) / 100 if rate.endswith("%") else float(rate)})
        return cls(metric="amount", bands=bands)

    def describe(self) -> str:
        """In words, as HR writes it: 4万元以内按1%，超出部分按1.5%."""
        spans = list(self._spans())
        if len(spans) == 1:
            return f"全部按{_percent(spans[0][2])}"
        parts = []
        for i, (lo, hi, rate) in enumerate(spans):
            if i == 0:
                parts.append(f"{_yuan(hi)}以内按{_percent(rate)}")
            elif hi is None:
                parts.append(f"超出{_yuan(lo)}的部分按{_percent(rate)}" if len(spans) > 2 else f"超出部分按{_percent(rate)}")
            else:
                parts.append(f"{_yuan(lo)}至{_yuan(hi)}的部分按{_percent(rate)}")
        return "，".join(parts)


def _yuan(x: float) -> str:
    """40000 → 4万元, 15000 → 1.5万元, 5000 → 5000元."""
    return f"{num(x / 10000)}万元" if x >= 10000 else f"{num(x)}元"


def _percent(rate: float) -> str:
    return f"{num(round(rate * 100, 9))}%"
