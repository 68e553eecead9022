"""Every text a person reads in a workbook comes from jinja2 templates.

Looked up first in the workspace's ``templates/`` (so HR can reword them),
then in the templates shipped with xl_kpi.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import yaml
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined


def _shipped() -> Path:
    """The templates that ship with xl_kpi: the package's copy, or the repository's templates/."""
    from importlib import resources

    try:
        return Path(str(resources.files("xl_kpi.templates")))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent.parent / "templates"


SHIPPED = _shipped()


@lru_cache(maxsize=8)
def environment(workspace_templates: str | None = None) -> Environment:
    paths = [p for p in (workspace_templates, str(SHIPPED)) if p and Path(p).is_dir()]
    env = Environment(loader=ChoiceLoader([FileSystemLoader(p) for p in paths]), undefined=StrictUndefined,
                      keep_trailing_newline=False, autoescape=_escapes)
    env.filters["vba"] = vba_string
    return env


def vba_string(text: str) -> str:
    """A VBA string expression for any text: VBA source is ASCII, so ASCII runs are quoted and
    every other character is ChrW(…) (the add-in's Chinese messages are written this way)."""
    parts, run = [], ""
    for ch in str(text):
        if ord(ch) < 128 and ch not in '"\r\n':
            run += ch
            continue
        if run:
            parts.append(f'"{run}"')
            run = ""
        parts.append("vbLf" if ch == "\n" else f"ChrW({ord(ch)})")
    if run:
        parts.append(f'"{run}"')
    return " & ".join(parts) or '""'


def _escapes(name: str | None) -> bool:
    """HTML and XML templates escape what they insert (a name like <b> stays text)."""
    return bool(name) and (".html" in name or ".xml" in name)


def render(name: str, workspace_templates: str | None = None, **ctx) -> str:
    return environment(workspace_templates).get_template(name).render(**ctx)


@lru_cache(maxsize=8)
def _title_templates(workspace_templates: str | None) -> dict:
    """titles.yaml.j2 parsed once; each value with a ``{{ }}`` is a compiled template."""
    env = environment(workspace_templates)
    source = env.loader.get_source(env, "workbook/titles.yaml.j2")[0]
    raw = yaml.safe_load(source)
    return {k: env.from_string(v) if isinstance(v, str) and "{" in v else v for k, v in raw.items()}


@lru_cache(maxsize=16)
def _phrase_templates(name: str, workspace_templates: str | None) -> dict:
    env = environment(workspace_templates)
    raw = yaml.safe_load(env.loader.get_source(env, name)[0])
    return {k: env.from_string(v) if isinstance(v, str) else v for k, v in raw.items()}


def phrase(key: str, workspace_templates: str | None = None, file: str = "workbook/phrases.yaml.j2", **ctx):
    """One entry of a phrases file rendered with its own values (a validation message, say)."""
    value = _phrase_templates(file, workspace_templates)[key]
    return value.render(**ctx) if hasattr(value, "render") else value


def message(key: str, **ctx) -> str:
    """A message of the 绩效KPI ribbon (templates/addin/messages.yaml.j2)."""
    return phrase(key, file="addin/messages.yaml.j2", **ctx)


def zh(message: str) -> str:
    """The Chinese half of a ``中文 / English`` message: what a person reads in a workbook or a mail."""
    return message.split(" / ", 1)[0]


def titles(workspace_templates: str | None = None, keys: tuple[str, ...] | None = None, **ctx) -> dict:
    """Every title and label (``keys``: those), rendered for ``ctx`` (only the templated values render)."""
    every = _title_templates(workspace_templates)
    return {k: v.render(**ctx) if hasattr(v, "render") else v
            for k, v in (every.items() if keys is None else ((k, every[k]) for k in keys if k in every))}


def date_zh(d) -> str:
    """2026年12月1日: a date as a Chinese letter writes it (no leading zeros)."""
    return f"{d.year}年{d.month}月{d.day}日"


def period_zh(period: str) -> str:
    """2026-Q4 → 2026年第四季度, 2026-H2 → 2026年下半年, 2026 → 2026年度."""
    year, _, part = period.partition("-")
    if not part:
        return f"{year}年度"
    if part.startswith("Q"):
        return f"{year}年第{'一二三四'[int(part[1]) - 1]}季度"
    return f"{year}年{'上' if part == 'H1' else '下'}半年"


def month_zh(month: str) -> str:
    y, m = month.split("-")
    return f"{y}年{int(m)}月"


def months_back(month: str, n: int) -> str:
    """The month n months before: months_back("2026-12", 3) is "2026-09" (last quarter's last month)."""
    y, m = map(int, month.split("-"))
    index = y * 12 + (m - 1) - n
    return f"{index // 12}-{index % 12 + 1:02d}"


def previous_month(month: str) -> str:
    y, m = map(int, month.split("-"))
    return f"{y - 1}-12" if m == 1 else f"{y}-{m - 1:02d}"


def next_month(month: str) -> str:
    y, m = map(int, month.split("-"))
    return f"{y + 1}-01" if m == 12 else f"{y}-{m + 1:02d}"
