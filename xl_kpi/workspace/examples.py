"""The example plans that ship with xl_kpi: the seed's schemes with a roster and months of data each."""
from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..core.errors import KpiError, Problem


def _examples_root() -> Path:
    """The example plans that ship with xl_kpi: the package's copy, or the repository's examples/."""
    try:
        return Path(str(resources.files("xl_kpi.examples")))
    except ModuleNotFoundError:
        return Path(__file__).resolve().parents[2] / "examples"


@dataclass
class Example:
    name: str
    title: str
    summary: str
    months: list[str]
    review: str | None


def examples() -> dict[str, Example]:
    """Every example, by folder name."""
    import yaml

    out = {}
    for manifest in sorted(_examples_root().glob("*/example.yaml")):
        meta = yaml.safe_load(manifest.read_text(encoding="utf-8"))
        out[manifest.parent.name] = Example(manifest.parent.name, meta["title"], meta["summary"],
                                            [str(m) for m in meta["months"]], meta.get("review"))
    return out


def example_dir(name: str) -> Path:
    known = examples()
    if name not in known:
        listed = "、".join(f"{n}（{e.title}）" for n, e in known.items())
        raise KpiError([Problem("example_unknown", f"没有名为“{name}”的示例；可选：{listed} / no example named “{name}”; "
                                f"there are: {', '.join(known)}")])
    return _examples_root() / name


def example_steps(name: str, workspace: Path) -> list[str]:
    """The commands that run an example's months and review, in order."""
    ex = examples()[name]
    steps = []
    for month in ex.months:
        steps.append(f"xl-kpi generate --month {month}")
        steps += [f"xl-kpi import data/{month}/{f.name} --month {month}"
                  for f in sorted((workspace / "data" / month).glob("*.csv"))]
        steps.append(f"xl-kpi rollup --month {month}")
    if ex.review:
        steps.append(f"xl-kpi review --period {ex.review}")
    return steps
