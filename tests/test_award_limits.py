"""Award limits across the department: 最佳网红 每月评1项 (the built-in plan), per_year, requires."""
import pytest

from xl_kpi.core.limits import award_problems
from xl_kpi.core.plan_load import load_plan_text
from xl_kpi.month.generate import generate
from xl_kpi.month.imports import import_file
from xl_kpi.payroll.rollup import rollup
from xl_kpi.workspace import builtin_plan, data_file, init_workspace

MONTH = "2026-10"


def test_two_best_viral_awards_in_a_month_hold_both(tmp_path):
    """每月评1项: a second 最佳网红 in October is a problem on both people, and both pay lines wait."""
    ws, _ = init_workspace(tmp_path / "ws")
    plan = ws.plan()
    roster = ws.roster(plan)
    generate(ws, plan, roster, MONTH)
    log = tmp_path / "加减分.csv"
    log.write_text("工号,日期,项目,次数,备注\nE010,2026-10-20,最佳网红,1,《双十一攻略》\n"
                   "E011,2026-10-25,最佳网红,1,《直播复盘》\n", encoding="utf-8")
    import_file(ws, plan, roster, log, MONTH)
    result = rollup(ws, plan, roster, MONTH)
    held = {s.employee.id: s for s in result.entries if result.held(s)}
    limited = {e for e, s in held.items() if any(p.type == "award_limit" for p in s.problems)}
    assert limited == {"E010", "E011"}  # both held (the others wait for their actuals here)
    (p,) = [p for p in held["E010"].problems if p.type == "award_limit"]
    assert p.message.startswith("最佳网红每月最多1项，2026-10共2项：吴倩（E010）、郑浩（E011）")
    log.write_text("工号,日期,项目,次数,备注\nE010,2026-10-20,最佳网红,1,《双十一攻略》\nE011,2026-10-25,明星员工,1,\n",
                   encoding="utf-8")
    import_file(ws, plan, roster, log, MONTH)
    result = rollup(ws, plan, roster, MONTH)
    assert not any(p.type == "award_limit" for s in result.entries for p in s.problems)


def test_per_year_and_requires():
    text = data_file("plan.yaml").read_text(encoding="utf-8").replace(
        '  - {id: star, name: 明星员工, rule: "award(pts=5, limit=1)", note: "每名奖励分享基金5分"}',
        '  - {id: star, name: 明星员工, rule: "award(pts=5, limit=1)", per_year: 2, note: "每名奖励分享基金5分"}\n'
        '  - {id: star_of_year, name: 年度优秀员工, rule: "award(pts=10, limit=1)", requires: star}')
    plan = load_plan_text(text)
    names = {"E010": "吴倩", "E011": "郑浩"}
    earlier = {"2026-11": {"E010": {"star": 1}, "E011": {"star": 1}}}
    problems = award_problems(plan, "2026-12", {"E010": {"star": 1}, "E011": {"star_of_year": 1}}, earlier, names)
    by_type = {(p.type, p.employee): p.message for p in problems}
    assert by_type[("award_limit", "E010")].startswith("明星员工每年最多2项，2026年至2026-12共3项")
    assert by_type[("award_requires", "E011")].startswith("年度优秀员工须先获明星员工：郑浩（E011）2026-12没有明星员工")
    assert len(problems) == 2
    with pytest.raises(Exception, match="requires 指向不存在的项目"):
        load_plan_text(text.replace("requires: star}", "requires: stars}"))
    assert builtin_plan().adjustment("best_viral").per_month == 1


def _annual(within: str | None):
    extra = f", requires_within: {within}" if within else ""
    return load_plan_text(data_file("plan.yaml").read_text(encoding="utf-8").replace(
        '  - {id: star, name: 明星员工, rule: "award(pts=5, limit=1)", note: "每名奖励分享基金5分"}',
        '  - {id: star, name: 明星员工, rule: "award(pts=5, limit=1)", note: "每名奖励分享基金5分"}\n'
        f'  - {{id: annual_star, name: 年度优秀员工, rule: "award(pts=10, limit=1)", requires: star{extra}}}'))


@pytest.mark.parametrize("within, star_in, held", [
    ("year", "2026-11", False),     # 年度优秀员工在月明星员工中产生: 明星员工 in November, named in December
    ("year", "2026-02", False),
    ("quarter", "2026-10", False),  # the same quarter (Q4)
    ("quarter", "2026-09", True),   # Q3: not this quarter
    (None, "2026-11", True),        # the default window is the month itself
])
def test_requires_within_a_window(within, star_in, held):
    plan = _annual(within)
    earlier = {star_in: {"E010": {"star": 1}}}
    problems = award_problems(plan, "2026-12", {"E010": {"annual_star": 1}}, earlier, {"E010": "吴倩"})
    assert [p.type for p in problems] == (["award_requires"] if held else [])
    if held:
        where = {"quarter": "本季度", None: "2026-12"}[within]
        assert problems[0].message.startswith(f"年度优秀员工须先获明星员工：吴倩（E010）{where}没有明星员工")


def test_an_honour_carries_no_points_and_still_counts_for_requires():
    text = data_file("plan.yaml").read_text(encoding="utf-8").replace(
        '  - {id: star, name: 明星员工, rule: "award(pts=5, limit=1)", note: "每名奖励分享基金5分"}',
        '  - {id: star, name: 明星员工, rule: "award(pts=5, limit=1)", note: "每名奖励分享基金5分"}\n'
        '  - {id: honour, name: 季度荣誉表彰, rule: "award(pts=0, limit=1)"}\n'
        '  - {id: top, name: 年度标兵, rule: "award(pts=3, limit=1)", requires: honour, requires_within: year}')
    plan = load_plan_text(text)
    rule = plan.adjustment("honour").rule
    from xl_kpi.core.rules.base import Inputs

    assert rule.points(Inputs(1)) == 0 and rule.explain(Inputs(1)) == "获1次（荣誉，不计分）"
    assert rule.describe() == "荣誉，不计分，每月最多1次"
    earlier = {"2026-03": {"E010": {"honour": 1}}}
    assert award_problems(plan, "2026-12", {"E010": {"top": 1}}, earlier, {}) == []
    with pytest.raises(Exception, match="只有荣誉类奖励"):
        load_plan_text(text.replace('"award(pts=0, limit=1)"', '"bonus(pts=0)"'))
