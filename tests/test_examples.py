"""The example plans under examples/, each one of the seed's schemes: started with
``xl-kpi init DIR --example NAME`` and run as a person types it (generate, import every data file,
score, roll up each month, then review the period), all through the CLI. The numbers checked are
worked out here by hand from the seed's words, written as the arithmetic."""
import json
import sqlite3
import math

import pytest
from openpyxl import load_workbook

from xl_kpi.cli import main
from xl_kpi.workspace.examples import examples

from helpers import cell_of, run_cli


def run(capsys, *argv, code=0) -> str:
    return run_cli(capsys, *argv, code=code)


def run_example(tmp_path, capsys, name):
    """(workspace, month → (score --json, rollup --json) by 工号, review --json by 工号)."""
    root = tmp_path / name
    run(capsys, "init", root, "--example", name)
    ex = examples()[name]
    months = {}
    for month in ex.months:
        run(capsys, "generate", "--month", month, "--dir", root)
        for f in sorted((root / "data" / month).glob("*.csv")):
            run(capsys, "import", f, "--month", month, "--dir", root)
        scores = json.loads(run(capsys, "score", "--month", month, "--json", "--dir", root))
        payroll = json.loads(run(capsys, "rollup", "--month", month, "--json", "--dir", root))
        months[month] = ({s["employee_id"]: s for s in scores}, {p["employee_id"]: p for p in payroll})
    review = json.loads(run(capsys, "review", "--period", ex.review, "--json", "--dir", root))
    return root, months, {r["employee_id"]: r for r in review}


def two(x: float) -> float:
    """Half up to two decimals, as the sheet's ROUND."""
    return math.floor(x * 100 + 0.5 + 1e-9) / 100


def test_there_are_the_four_schemes_and_init_names_them(capsys, tmp_path):
    assert {"xinmeiti", "bianji", "siyu", "jiangjin"} <= set(examples())
    with pytest.raises(SystemExit):
        main(["init", "--help"])
    shown = capsys.readouterr().out
    assert all(name in shown for name in examples())
    assert main(["init", str(tmp_path / "x"), "--example", "../nope"]) == 2
    err = capsys.readouterr().err
    assert "没有名为“../nope”的示例" in err and "bianji（新媒体KPI绩效考核方案（编辑））" in err


def test_an_example_workspace_has_its_plan_roster_and_data(capsys, tmp_path):
    out = run(capsys, "init", tmp_path / "ws", "--example", "xinmeiti")
    assert "xl-kpi generate --month 2026-10" in out and "xl-kpi review --period 2026-Q4" in out
    wb = load_workbook(tmp_path / "ws" / "roster.xlsx")
    rows = list(wb.active.iter_rows(values_only=True))
    assert rows[0][:4] == ("工号", "姓名", "部门", "岗位")
    assert rows[2][:5] == ("X02", "林雪", "新媒体部", "新媒体运营专员", 5500)  # a pay figure as a number
    assert sorted(p.name for p in (tmp_path / "ws" / "data").iterdir()) == ["2026-10", "2026-11", "2026-12"]
    assert "新媒体绩效考核方案" in (tmp_path / "ws" / "plan.yaml").read_text(encoding="utf-8")
    run(capsys, "check", "--dir", tmp_path / "ws")


# --------------------------------------------------------------------------- 新媒体绩效考核方案


def test_xinmeiti_steps_for_exposure_word_of_mouth_satisfaction_and_complaints(tmp_path, capsys):
    """每增加100次曝光得0.1分; 每增加10次正面口碑传播得0.1分; 满意度每提高1%得0.5分 (按季度);
    投诉率(投诉次数/总互动次数)每降低1%得1分 — each against the previous period."""
    _, months, review = run_example(tmp_path, capsys, "xinmeiti")
    scores, pay = months["2026-12"]
    x01 = scores["X01"]["metrics"]
    assert x01["exposure"]["points"] == pytest.approx(0.1 * math.floor((57250 - 54000) / 100))  # "57,250" typed
    assert x01["word_of_mouth"]["points"] == pytest.approx(0.1 * math.floor((268 - 230) / 10))
    assert x01["satisfaction"]["points"] == pytest.approx(0.5 * 7)  # 87% against the first survey's 80%
    november_rate, december_rate = 600 / 20000, 242 / 22000
    assert x01["complaint_rate"]["baseline"] == pytest.approx(november_rate)
    assert x01["complaint_rate"]["points"] == pytest.approx(1 * math.floor(round((november_rate - december_rate) * 100, 9)))
    assert x01["reads"]["actual"] == 90000  # "9万"
    total = (30 * (10 + 10) / 20
             + 40 * (4 + 4 * 0.9 + 4 + 4 * 0.8 + 4 * (6 / 22) / 0.30) / 20
             + 20 * (0.5 * 7 + 1) / 20
             + 10 * (0.1 * 32 + 0.1 * 3) / 10)
    assert scores["X01"]["score"] == two(total)
    assert pay["X01"]["grade"] == "一般" and pay["X01"]["total_pay"] == f"{5000 + 3000 * 0.8:.2f}"
    assert pay["X02"]["total_pay"] == f"{5500 + 3000 * 1.0:.2f}"  # the roster's 5500, grade 良好
    # the survey is quarterly: October and November do not score it
    assert months["2026-10"][0]["X01"]["metrics"]["satisfaction"]["points"] is None
    monthly = [months[m][1]["X01"]["score"] for m in ("2026-10", "2026-11", "2026-12")]
    assert review["X01"]["score"] == two(sum(monthly) / 3) and review["X01"]["decision"] == "降级"


# --------------------------------------------------------------------------- 新媒体KPI绩效考核方案（编辑）


def test_bianji_deductions_awards_pools_and_the_annual_composite(tmp_path, capsys):
    root, months, review = run_example(tmp_path, capsys, "bianji")
    october = months["2026-10"][1]
    # 标题出错减1分; 新浪势力榜: 微博团队月排名第一, +3 由主编分给韩冰2分、许诺1分
    assert october["B02"]["score"] == two(60 * (10 + 10 * 450000 / 500000) / 20 + 40 * 8 / 10 - 1 + 2) == 90
    assert october["B02"]["grade"] == "优秀" and october["B02"]["total_pay"] == f"{6000 + 3000 * 1.2:.2f}"
    # 2个错别字各减0.5分, 10万+稿件奖励2分, 最佳网红奖励20分
    assert october["B04"]["score"] == two(60 * 20 / 20 + 40 * 9 / 10 - 2 * 0.5 + 2 + 20)
    november = months["2026-11"][1]
    # 发稿量 63/60 and 阅读量 505000/500000 both capped at full marks; TOP1奖励8分; the team's −3 split −1/−2
    assert november["B03"]["score"] == two(60 * 20 / 20 + 40 * 8.8 / 10 + 8 - 2)
    december = months["2026-12"][1]
    assert december["B05"]["score"] == two(60 * 20 / 20 + 40 * 9.2 / 10 + 5 + 10)  # 明星员工, 年度优秀员工
    # 年度: 获得月度奖加4分, 入TOP3加2分, 重大差错 (取−5), 年度团队分 (微信+5, 微博+6、+4)
    def average(emp):
        return sum(months[m][1][emp]["score"] for m in ("2026-10", "2026-11", "2026-12")) / 3

    assert review["B04"]["score"] == two(two(average("B04")) + 4 + 5)
    assert review["B03"]["score"] == two(two(average("B03")) + 2 + 2 + 4)
    assert review["B02"]["score"] == two(two(average("B02")) - 5 + 6)
    assert review["B02"]["decision"] == "保级" and review["B04"]["decision"] == "升级"  # 80~90 保级; 90以上升级

    # 最佳网红每月评1项: a second one in October holds both pay lines
    second = root / "再评最佳网红.csv"
    second.write_text("工号,日期,项目,数量\nB05,2026-10-22,图片出错,1\nB05,2026-10-31,最佳网红,1\n", encoding="utf-8")
    run(capsys, "import", second, "--month", "2026-10", "--dir", root)
    out = run(capsys, "rollup", "--month", "2026-10", "--json", "--dir", root, code=2)
    held = {p["employee_id"]: p for p in json.loads(out)}
    assert held["B04"]["status"] == held["B05"]["status"] == "held"
    assert any(p["message"].startswith("最佳网红每月最多1项，2026-10共2项：唐宁（B04）、宋远（B05）")
               for p in held["B05"]["problems"])

    # 以新浪媒体势力榜为准: the tool decides the pool from the ranks HR imports, the lead (主编) only splits it,
    # here in the 积分分配 sheet of her own workbook
    lead = root / "workbooks" / "2026-12" / "B01-周敏.xlsx"
    wb = load_workbook(lead)
    cell_of(wb, "poolpts_sina_rank_0").value = 3
    wb.save(lead)

    def figures(rank: int, rival: int, code: int = 2) -> str:
        path = root / f"势力榜{rank}-{rival}.csv"
        path.write_text(f"指标,数值\n新浪势力榜全国排名,{rank}\n主要竞争对手新浪势力榜排名,{rival}\n", encoding="utf-8")
        run(capsys, "import", path, "--month", "2026-12", "--dir", root)
        return run_cli(capsys, "rollup", "--month", "2026-12", "--dir", root, code=code, stderr=True)

    # December's data: 第2名, 未进入全国前一, 也未跌出前三 — no pool, so the +3 typed is refused with the reason
    out = run_cli(capsys, "rollup", "--month", "2026-12", "--dir", root, code=2, stderr=True)
    assert "新浪势力榜团队分：按2026-12导入的外部数据，本月应为没有团队分" in out and "分配合计为3" in out
    assert "本月应为-3分" in figures(5, 4)  # 第5名且落后于竞争对手 (第4名): 扣减团队3分, not +3
    assert "本月应为没有团队分" in figures(5, 6)  # 跌出前三但领先竞争对手: no deduction
    assert "新浪势力榜团队分" not in figures(1, 2, code=0)  # 全国第一: +3, paid as split
    after = {p["employee_id"]: p for p in json.loads(run(capsys, "rollup", "--month", "2026-12", "--json",
                                                         "--dir", root))}
    assert after["B02"]["score"] == two(december["B02"]["score"] + 3)
    assert after["B03"]["score"] == december["B03"]["score"]
    with sqlite3.connect(root / "xl_kpi.db") as db:  # the ranks not imported for a month: named, never guessed
        db.execute("DELETE FROM imports WHERE month = '2026-11' AND slot LIKE 'figure_%'")
    out = run_cli(capsys, "rollup", "--month", "2026-11", "--dir", root, code=2, stderr=True)
    assert "新浪势力榜团队分的条件需要2026-11的外部数据：新浪势力榜全国排名、主要竞争对手新浪势力榜排名，尚未导入" in out

    # an award may carry a condition too (when:): given only where the month's imported figures meet it
    plan = root / "plan.yaml"
    plan.write_text(plan.read_text(encoding="utf-8").replace(
        'rule: "award(pts=5, limit=1)", note:', 'rule: "award(pts=5, limit=1)", when: "sina_rank <= 3", note:'),
        encoding="utf-8")
    assert "宋远（B05）" not in figures(1, 4, code=0)  # 第1名: 宋远's 明星员工 in December stands
    out = figures(4, 2)
    assert "明星员工的条件（sina_rank <= 3）按2026-12导入的外部数据不成立（新浪势力榜全国排名4" in out and "宋远（B05）" in out


# --------------------------------------------------------------------------- 私域运营业绩考核标准


def test_siyu_bands_and_the_weekly_report_of_four_or_five_weeks(tmp_path, capsys):
    root, months, review = run_example(tmp_path, capsys, "siyu")
    s01 = months["2026-11"][0]["S01"]["metrics"]
    assert s01["replies"]["points"] == 5  # 3000≤回复条数<3500: 5分 (3499)
    assert s01["response_time"]["points"] == 6  # 平均响应时间 60s: 60–75s 6分
    assert s01["moments_posts"]["actual"] == 20 + 18 + 22 + 19 + 15  # five report weeks in November
    assert s01["moments_posts"]["points"] == 6  # 发圈数≥90: 6分
    assert s01["purchase_rate"]["points"] == 8  # 购买率≥30%: 8分
    assert s01["purchase_amount"]["actual"] == 40000 and s01["purchase_amount"]["points"] == 5  # "4W": 4W≤…<6W 5分
    likes, comments = s01["likes"]["actual"], s01["comments"]["actual"]
    total = (40 * (5 + 6) / 18 + 20 * (6 + 4 * min(likes / 2000, 1) + 4 * min(comments / 400, 1)) / 14
             + 40 * (8 + 5) / 16)
    assert months["2026-11"][0]["S01"]["score"] == two(total)
    november = load_workbook(root / "workbooks" / "2026-11" / "S01-何佳.xlsx")
    october = load_workbook(root / "workbooks" / "2026-10" / "S01-何佳.xlsx")
    assert "week5_new_fans" in november.defined_names and "week5_new_fans" not in october.defined_names
    assert cell_of(november, "weektarget2_deal_amount").value == 30000  # 双十一那周的周目标, imported
    assert cell_of(november, "weektarget1_deal_amount").value == 12000  # the plan's
    scores = [months[m][1]["S02"]["score"] for m in ("2026-10", "2026-11", "2026-12")]
    assert review["S02"]["score"] == two(sum(scores) / 3)


# --------------------------------------------------------------------------- 绩效奖金考核制度


def test_jiangjin_four_grades_and_the_quarterly_bonus_as_a_ratio_of_base_salary(tmp_path, capsys):
    _, months, review = run_example(tmp_path, capsys, "jiangjin")
    september = months["2026-09"][1]
    # 程功 at 70% of every target: 留存率 28%/40%; 分享率 2800/140000 = 2% and 互动率 3.6% reach their targets
    assert september["J03"]["score"] == two(40 * 0.7 + 30 * 0.7 + 30 * (7 + 10 + 10) / 30)
    assert september["J02"]["total_pay"] == f"{7000 + 2000 * 1.0:.2f}"  # 84: 良好
    # 季度绩效奖金 = 基本工资 × 等级奖金比例 (优秀0.5, 良好0.3, 一般0.1, 不合格0)
    assert review["J01"]["grade"] == "优秀" and review["J01"]["bonus"] == f"{6000 * 0.5:.2f}"
    assert review["J02"]["grade"] == "良好" and review["J02"]["bonus"] == f"{7000 * 0.3:.2f}"
    assert review["J03"]["grade"] == "一般" and review["J03"]["bonus"] == f"{6000 * 0.1:.2f}"
    assert review["J04"]["grade"] == "不合格" and review["J04"]["bonus"] == "0.00"  # 不合格员工没有奖金


@pytest.mark.parametrize("name", sorted(examples()))
def test_every_example_plan_loads_without_warnings(name, capsys, tmp_path):
    out = run(capsys, "init", tmp_path / name, "--example", name)
    assert examples()[name].title in out
    out = run(capsys, "check", "--dir", tmp_path / name)
    assert "提示" not in out, out


def test_fangan_a_growth_targets_with_first_month_baselines_and_the_report(tmp_path, capsys):
    """新媒体绩效方案: 增加暴光量10%、提高点击率5%、增加转化率2% (each against the month before), the first
    month's baselines imported by HR; and the 绩效报告's 对照 shows each month's completion as it was scored."""
    root, months, _ = run_example(tmp_path, capsys, "fangan_a")
    october = months["2026-10"][1]
    # 方宇 reaches every target: 55000/50000 (+10%), 2310/55000 = 4.2% on 4% (+5%), 5000 of 5000, 2.04% on 2% (+2%)
    assert october["A01"]["score"] == 100 and october["A01"]["total_pay"] == f"{6000 + 3000 * 1.2:.2f}"
    # 高敏: +5% of the 10% (12.5), +5% (25), 4000 of 5000 (20), +1% of the 2% (12.5) → 50×37.5/50 + 50×32.5/50
    assert october["A02"]["score"] == two(50 * (12.5 + 25) / 50 + 50 * (20 + 12.5) / 50) == 70
    # 谢涛: 暴光量 fell 5% (0, never negative), the same 转化率 (0)
    assert october["A03"]["score"] == two(50 * (0 + 25) / 50 + 50 * (25 + 0) / 50) and october["A03"]["grade"] == "不合格"
    # November's baselines are October's actuals: 谢涛's 62700 on 57000 is +10%, 2633/62700 a lower 点击率
    november = months["2026-11"][1]
    assert november["A03"]["metrics"]["exposure"]["baseline"] == 57000
    assert november["A03"]["score"] == two(50 * (25 + 0) / 50 + 50 * (25 + 25) / 50)
    report = json.loads(run(capsys, "report", "--month", "2026-12", "--json", "--dir", root))
    (rows,) = report["compare"].values()
    exposure = next(r for r in rows if r["name"] == "暴光量")
    # December: +10% (1.0), 48510/46200 and 65835/62700 +5% (0.5 each); November: +10% for all three
    assert exposure["rate_this"] == pytest.approx((1 + 0.5 + 0.5) / 3)
    assert exposure["rate_last"] == pytest.approx(1.0) and exposure["target_unit"] == "%"
