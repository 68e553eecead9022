"""积分分配: a lead's split of the team point pools (工号, 池, 分值), imported by HR; it replaces the split the
lead typed in the 积分分配 sheet. The shares must add up to the pool exactly."""
from __future__ import annotations

from pathlib import Path

from ...core.errors import KpiError, Problem
from ...core.numbers import snap
from ...core.plan import Plan
from ...core.typed import TypedNumberError, typed_number
from ...store import open_store
from ...workspace.roster import Employee, cell_text
from .kinds import ImportJob, ImportKind, ImportReport, has
from .table import Source, Table, name_key

POOL_HEADERS = {"工号": "employee", "employee_id": "employee", "池": "pool", "积分池": "pool", "pool": "pool",
                "分值": "points", "points": "points"}


def split_wrong(pool, shares: list[tuple[str, float]]) -> str | None:
    """Why a split of a pool among (name, points) does not add up to the pool, or None when it does."""
    total = snap(sum(pts for _, pts in shares))
    if total in [snap(t) for t in pool.totals()]:
        return None
    want = "或".join(f"{t:+g}" for t in pool.totals())
    return (f"{pool.name}的分配合计为{total:g}，应为{want}（团队的分值）：{'、'.join(f'{n}{p:+g}' for n, p in shares)} / "
            f"the shares of {pool.id} add up to {total:g}, not {want}")


def read_pool_shares(table: Table, plan: Plan, roster: list[Employee]):
    """(line, employee, pool id, points) of a lead's split, all checked: known pools, members of the pool's
    team, numbers, and each pool's shares adding up to the pool exactly (+amount or −amount)."""
    people = {e.id: e for e in roster}
    pools = {p.id: p for p in plan.pools} | {name_key(p.name): p for p in plan.pools}
    good, problems, first_line = [], [], {}
    for row in table.rows:
        def bad(msg: str):
            problems.append(Problem("import_invalid", msg, file=table.file, line=row.line))

        emp, key = cell_text(row.values.get("employee")), cell_text(row.values.get("pool"))
        pool = pools.get(key) or pools.get(name_key(key))
        if pool is None:
            bad(f"“{key}”不是方案中的积分池（有：{'、'.join(p.name for p in plan.pools) or '无'}） / unknown pool “{key}”")
            continue
        if emp not in people or people[emp].role != pool.role:
            bad(f"工号“{emp}”不是{pool.name}的团队成员（{plan.roles[pool.role].name}） / {emp} is not in pool {pool.id}")
            continue
        try:
            points = typed_number(row.values.get("points"))
        except TypedNumberError as exc:
            bad(str(exc))
            continue
        first_line.setdefault(pool.id, row.line)
        good.append((row.line, emp, pool.id, points))
    for pid, line in first_line.items():
        pool = plan.pool(pid)
        shares = [(emp, pts) for _, emp, p, pts in good if p == pid]
        wrong = split_wrong(pool, [(people[e].name, p) for e, p in shares])
        if wrong:
            problems.append(Problem("pool_sum", wrong, file=table.file, line=line))
    return good, problems


def import_pool_shares(job: ImportJob, source: Source) -> ImportReport:
    """A lead's split of team pools for the month (all good or nothing), recorded as HR's: it replaces
    what the lead's sheet says. A pool imported again replaces its split: members left out get 0."""
    ws, plan, roster, file, month = job.ws, job.plan, job.roster, job.file, job.month
    table = Table(source.file, list(source.records(POOL_HEADERS, ("employee", "pool", "points"))))
    rows, problems = read_pool_shares(table, plan, roster)
    if problems:
        raise KpiError(problems)
    given = {(emp, pid) for _, emp, pid, _ in rows}
    cleared = [(e.id, f"pool_{pid}", 0.0, None) for pid in {pid for _, _, pid, _ in rows} for e in roster
               if e.role == plan.pool(pid).role and (e.id, pid) not in given]
    open_store(ws.root).record_imports(month, str(Path(file).resolve()),
                                       cleared + [(emp, f"pool_{pid}", pts, line) for line, emp, pid, pts in rows])
    return ImportReport(rows=len(rows), employees=len({emp for _, emp, _, _ in rows}))


def _is_pools(source: Source, job: ImportJob) -> bool:
    return has(source, POOL_HEADERS, "pool")


KIND = ImportKind("积分分配（团队积分池）", POOL_HEADERS, "工号，池（或积分池），分值（或 employee_id, pool, points）",
                  _is_pools, import_pool_shares)
