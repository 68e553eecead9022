"""Helpers the workbook tests share: typing into generated workbooks as a person would."""
import random
from pathlib import Path

from openpyxl import load_workbook


def cell_of(wb, name):
    (sheet, coord), = wb.defined_names[name].destinations
    return wb[sheet][coord.replace("$", "")]


def fill_randomly(path: Path, plan, role_id: str, rnd: random.Random) -> None:
    """Type valid inputs with openpyxl, as a person would in Excel."""
    wb = load_workbook(path)
    role = plan.roles[role_id]
    for m in role.metrics:
        if m.source == "rating":
            for r in m.rule.cells(plan.ratings.shown):  # 他评 too: HR's record would fill it
                cell_of(wb, f"rating_{m.id}_{r}").value = rnd.randint(0, 100)
        elif m.source != "weekly_sum" and not m.compute:  # a computed metric's cell is a formula
            hi = m.max if m.max is not None else (m.target or m.baseline or 100) * 2
            lo = m.min if m.min is not None else 0
            v = rnd.uniform(lo, hi)
            cell_of(wb, f"actual_{m.id}").value = round(v, 4) if m.percent else round(v)
    for item in role.inputs:  # the figures computed metrics use (small: a rate stays below 100%)
        cell_of(wb, f"input_{item.id}").value = rnd.randint(int(item.min or 0), int(item.max or 200))
    for item in role.weekly_report:  # the weeks this month's workbook has (4 or 5)
        for w in range(1, 6):
            if f"week{w}_{item.id}" in wb.defined_names:
                cell_of(wb, f"week{w}_{item.id}").value = rnd.randint(0, int(item.target * 2))
    adjs = plan.role_adjustments(role_id)
    log = wb.defined_names["adj_log"].destinations
    (sheet, ref), = log
    first = int(ref.split(":")[0].split("$")[-1])
    ws = wb[sheet]
    for i in range(rnd.randint(0, 4)):
        a = rnd.choice(adjs)
        r = first + i
        ws[f"B{r}"] = a.name
        kind = a.rule.type
        if kind == "rank":
            ws[f"C{r}"] = rnd.randint(1, 4)
        elif kind == "veto":
            ws[f"C{r}"] = rnd.choice([0, 1])
        elif kind in ("deduct", "bonus", "award"):
            ws[f"C{r}"] = 1 if a.rule.limit else rnd.randint(0, 3)
            if a.rule.pts is None:
                ws[f"D{r}"] = rnd.randint(int(a.rule.min), int(a.rule.max))
    wb.save(path)


def examples(strategy, n: int) -> list:
    """``n`` examples of a hypothesis strategy, drawn as ``@given`` draws them (the simplest first, then
    varied ones; the same ones in CI), so that a whole batch can be checked by one soffice call."""
    import os

    from hypothesis import HealthCheck, Phase, given, settings

    found = []

    @settings(max_examples=n, deadline=None, database=None, suppress_health_check=list(HealthCheck),
              derandomize=bool(os.environ.get("CI")), phases=[Phase.explicit, Phase.generate])
    @given(strategy)
    def collect(example):
        found.append(example)

    collect()
    return found


def run_cli(capsys, *argv, code: int = 0, stderr: bool = False) -> str:
    """Run an xl-kpi command in this process; its output (with its messages when ``stderr``), after
    checking its exit status."""
    from xl_kpi.cli import main

    got = main([str(a) for a in argv])
    out = capsys.readouterr()
    assert got == code, out.out + out.err
    return out.out + out.err if stderr else out.out
