"""Plan validation: each class of error names the line and field, in Chinese and English."""

from pathlib import Path
import pytest
import yaml

from xl_kpi.core.errors import KpiError
from xl_kpi.core.plan_load import load_plan_text
from xl_kpi.workspace import data_file, read_plan

BUILTIN = data_file("plan.yaml").read_text(encoding="utf-8")


def test_builtin_plan_loads_clean(plan):
    assert list(plan.roles) == ["manager", "ops", "wechat", "copywriter", "web_editor"]
    assert sum(r.headcount for r in plan.roles.values()) == 12
    for role in plan.roles.values():
        assert sum(c.weight for c in role.categories) == 100


def test_builtin_plan_has_the_required_ids(plan):
    ids = lambda role: {m.id for m in plan.roles[role].metrics}  # noqa: E731
    assert {"replies", "response_time", "moments_posts", "purchase_rate", "purchase_amount"} <= ids("wechat")
    assert {"exposure", "word_of_mouth", "satisfaction", "complaint_rate"} <= ids("ops")
    assert set(plan.roles["copywriter"].adjustments) >= {
        "typo", "image_error", "duplicate", "title_error", "execution_error", "major_error",
        "viral_100k", "best_viral", "star", "top_rank"}
    assert plan.roles["wechat"].metric("response_time").unit == "秒"


def test_builtin_plan_marks_assumptions():
    # every assumed value carries a comment HR can find
    assert BUILTIN.count("假设") >= 20


def errors_of(text: str) -> list:
    with pytest.raises(KpiError) as info:
        load_plan_text(text, "plan.yaml")
    return info.value.problems


def edit(old: str, new: str, text: str = BUILTIN) -> str:
    """Replace the first occurrence below the header comment (which shows rule examples)."""
    start = text.index("\nname:")
    assert old in text[start:], old
    return text[:start] + text[start:].replace(old, new, 1)


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_weights_that_do_not_sum_to_100_are_a_located_warning():
    """Possible (a plan may mean a total of 105), probably not meant: the plan loads, check says so."""
    from xl_kpi.core.plan_load import plan_warnings

    text = edit("name: 品牌知名度\n        weight: 30", "name: 品牌知名度\n        weight: 35")
    load_plan_text(text)
    (p,) = plan_warnings(text)
    assert p.type == "weights_sum" and "类别权重合计为105，不是100" in p.message
    assert p.path == "roles.ops.categories" and p.file == "plan.yaml"
    ops = line_of(text, "  ops:")
    lines = text.splitlines()
    assert p.line == next(i for i in range(ops, len(lines) + 1) if lines[i - 1].startswith("    categories:"))
    assert plan_warnings(edit("target: 100000}", "target: 0}"))[0].type == "target_zero"


def test_overlapping_bands_name_the_line_and_field():
    text = edit("[2500,3000):3", "[2400,3000):3")
    (p,) = errors_of(text)
    assert p.type == "band_overlap" and "重叠" in p.message and "overlap" in p.message
    assert p.path.startswith("roles.wechat.categories.0.metrics.0.rule")
    assert p.line == line_of(text, "[2400,3000):3")
    assert str(p).startswith(f"plan.yaml:{p.line} roles.wechat")


def test_bands_with_a_gap():
    (p,) = errors_of(edit("[2500,3000):3", "[2600,3000):3"))
    assert p.type == "band_gap" and "空档" in p.message and "gap" in p.message


def test_bands_open_at_one_end():
    (p,) = errors_of(edit(">=3500:8", "[3500,9000):8"))
    assert p.type == "band_gap" and "9000" in p.message


def test_unknown_rule_type():
    (p,) = errors_of(edit('"ratio(max=5)", target: 100000}', '"magic(max=5)", target: 100000}'))
    assert p.type == "union_tag_invalid" and "未知的规则类型" in p.message and "magic" in p.message


def test_rule_parameters_that_contradict_each_other():
    problems = errors_of(edit("step(per=100, pts=0.1, cap=5)", "step(per=100, pts=1, cap=0.5)"))
    assert [p.type for p in problems] == ["rule_contradiction"]
    assert "封顶" in problems[0].message
    (p,) = errors_of(edit('rule: "deduct(min=1, max=5)"', 'rule: "deduct(min=5, max=1)"'))
    assert p.type == "rule_contradiction" and p.path.startswith("adjustments.5.rule")
    (p,) = errors_of(edit("step(dir=down, per=1%, pts=1, cap=10)", "step(dir=up, per=1%, pts=1, cap=10)"))
    assert p.type == "rule_contradiction" and "direction" in p.message


def test_duplicate_ids():
    (p,) = errors_of(edit("{id: reads, name: 阅读量, unit: 次, rule: \"ratio(max=5)\"",
                          "{id: exposure, name: 阅读量, unit: 次, rule: \"ratio(max=5)\""))
    assert p.type == "duplicate_id" and "exposure" in p.message and "重复" in p.message
    (p,) = errors_of(edit("{id: duplicate, name: 重稿", "{id: typo, name: 重稿"))
    assert p.type == "duplicate_id"


def test_a_rule_without_the_target_it_needs():
    (p,) = errors_of(edit('rule: "ratio(max=10)", target: 300}', 'rule: "ratio(max=10)"}'))
    assert p.type == "target_missing" and "target" in p.message


def test_unknown_adjustment_reference_and_unknown_field():
    problems = errors_of(edit("adjustments: [major_error, veto_major]", "adjustments: [major_eror, veto_major]"))
    assert problems[0].type == "unknown_id" and "major_eror" in problems[0].message
    (p,) = errors_of(edit("    headcount: 6\n", "    headcount: 6\n    head_count: 6\n"))
    assert p.type == "extra_forbidden" and "未知的键“head_count”" in p.message and "headcount" in p.message
    assert p.path == "roles.wechat.head_count"


def test_grade_bands_with_a_gap_or_overlap():
    (p,) = errors_of(edit("{name: 不合格, min: 0,", "{name: 不合格, min: 10,"))
    assert p.type == "band_gap" and "10" in p.message
    (p,) = errors_of(edit("{name: 一般, min: 60,", "{name: 一般, min: 80,"))
    assert p.type == "band_overlap"


def test_all_errors_are_collected():
    text = edit("headcount: 6", "headcount: -1", edit("[2500,3000):3", "[2400,3000):3"))
    assert len(errors_of(text)) == 2


def test_yaml_syntax_error_has_a_line(tmp_path):
    (p,) = errors_of("name: x\nroles: [\n")
    assert p.type == "yaml_syntax" and p.line is not None


def test_plan_file_must_be_utf8(tmp_path):
    f = tmp_path / "plan.yaml"
    f.write_bytes(BUILTIN.encode("gb18030"))
    with pytest.raises(KpiError) as info:
        read_plan(f)
    assert info.value.problems[0].type == "encoding"


def test_rating_rules_take_the_plan_rater_weights():
    data = yaml.safe_load(BUILTIN)
    data["rater_weights"] = {"self": 10, "supervisor": 60, "committee": 30}
    data["roles"]["manager"]["categories"][2]["metrics"][0]["rule"] = "rating(max=10)"
    plan = load_plan_text(yaml.safe_dump(data, allow_unicode=True))
    assert plan.roles["manager"].metric("team_management").rule.weights == {"self": 10, "supervisor": 60, "committee": 30}


BIANJI = (Path(__file__).resolve().parent.parent / "examples" / "bianji" / "plan.yaml").read_text(encoding="utf-8")


def test_a_pool_condition_is_read_at_its_line():
    """A team pool's condition (积分池的条件) is checked when the plan loads: its syntax, and that every name is
    one of the plan's outside figures."""
    text = edit('plus_when: "sina_rank <= 1"', 'plus_when: "sina_rank <= 1 and sina_rnak < 3"', BIANJI)
    (p,) = errors_of(text)
    assert p.type == "unknown_id" and "sina_rnak" in p.message and "figures" in p.message
    text = edit('plus_when: "sina_rank <= 1"', 'plus_when: "__import__(\'os\').system(\'x\')"', BIANJI)
    (p,) = errors_of(text)
    assert p.type == "condition" and p.path == "pools.0.plus_when" and p.line == line_of(text, "__import__")
    (p,) = errors_of(edit('plus_when: "sina_rank <= 1"', 'plus_when: "sina_rank <= "', BIANJI))
    assert p.type == "condition" and "写法有误" in p.message


def test_a_condition_compares_as_the_sheet_shows_numbers():
    from xl_kpi.core import condition

    assert condition.holds("share >= 90%", {"share": 0.9000000000000001})
    assert condition.holds("share >= 90%", {"share": 0.8999999999999999})  # 15 significant digits: 0.9
    assert not condition.holds("a > 3 and a > b", {"a": 5, "b": 6})
    assert condition.holds("not (a <= 1) or b == 2", {"a": 1, "b": 2})
    assert condition.names("a > 3 and a > b") == ["a", "b"]


def test_a_condition_dividing_by_a_figure_of_0_is_a_problem_not_a_traceback():
    from xl_kpi.core import condition
    from xl_kpi.core.plan import Pool
    from xl_kpi.payroll.pools import _against_conditions

    with pytest.raises(condition.ConditionError):
        condition.holds("lead / weeks >= 95%", {"lead": 3, "weeks": 0})
    plan = load_plan_text(edit('plus_when: "sina_rank <= 1"', 'plus_when: "sina_rank / sina_rival_rank < 1"', BIANJI))
    pool = next(p for p in plan.pools if p.id == "sina_rank")
    assert isinstance(pool, Pool)
    wrong = _against_conditions(plan, pool, "2026-10", {"sina_rank": 1, "sina_rival_rank": 0}, [("B02", 3)], [])
    assert wrong.type == "pool_condition" and "无法判定" in wrong.message and "除以0" in wrong.message
