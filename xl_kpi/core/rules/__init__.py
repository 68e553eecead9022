"""The rule types of the engine, one module each, and their text form.

Each class holds, side by side, its points in Python, its Excel formula and its words (see ``base``);
a rule type is added as a module here and named in the unions below.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Union

from pydantic import Field, TypeAdapter, ValidationError

from ..errors import bilingual_message
from .bands import Band, Bands
from .base import (
    GROUP_NAMES,
    RATER_NAMES,
    InputError,
    Inputs,
    Refs,
    Rule,
    fmt,
    shown,
    shown_expr,
    text,
)
from .events import Event, Rank, Veto
from .rating import Rating
from .ratio import Ratio
from .step import Step
from .text_form import text_to_dict

__all__ = ["GROUP_NAMES", "RATER_NAMES", "AdjustRule", "AnyRule", "Band", "Bands", "Event", "InputError", "Inputs", "MetricRule",
           "Rank", "Rating", "Ratio", "Refs", "Rule", "Step", "Veto", "coerce_rule", "fmt", "parse_rule", "shown",
           "shown_expr", "text", "text_to_dict"]


MetricRule = Annotated[Union[Step, Bands, Ratio, Rating, Rank], Field(discriminator="type")]


AdjustRule = Annotated[Union[Event, Rank, Veto], Field(discriminator="type")]


AnyRule = Annotated[Union[Step, Bands, Ratio, Rating, Rank, Event, Veto], Field(discriminator="type")]


_ANY = TypeAdapter(AnyRule)


def coerce_rule(value):
    """Pydantic before-validator: a rule may be written as its text form."""
    return text_to_dict(value) if isinstance(value, str) else value


@lru_cache(maxsize=4096)
def parse_rule(text: str) -> Rule:
    """A rule from its text form; cached, since every UDF call parses its rule cell."""
    try:
        return _ANY.validate_python(text_to_dict(text))
    except ValidationError as exc:
        e = exc.errors(include_url=False)[0]
        field = ".".join(str(p) for p in e["loc"][1:])
        msg = bilingual_message(e)
        raise ValueError(f"{msg} ({field})" if field else msg) from None
