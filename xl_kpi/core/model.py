"""The base of the plan's models: frozen, no unknown keys, ids as HR may write them."""
from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from .errors import bilingual

Ident = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]


Money = Annotated[Decimal, Field(ge=0, decimal_places=2)]


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def no_duplicates(items, what_zh: str, what_en: str) -> None:
    dup = sorted(k for k, n in Counter(items).items() if n > 1)
    if dup:
        raise bilingual("duplicate_id", "{what_zh}重复：{ids}", "duplicate {what_en}: {ids}",
                        what_zh=what_zh, what_en=what_en, ids=", ".join(dup))
