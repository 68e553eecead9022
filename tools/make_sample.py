"""Regenerate the sample roster and months shipped in xl_kpi/data (deterministic).

    python tools/make_sample.py            # the roster and October (2026-10)
    python tools/make_sample.py --history  # August and September from October's figures

The demo runs three months, 2026-08 to 2026-10. The earlier two are derived from October so its
scores stay as they are: September ends every step metric exactly at the plan's first-month
baseline (曝光 50000, 口碑 200, 投诉率 5%), August a little below it, so each month's baseline is
the month before's actual and October measures against the same numbers as before.
"""
import csv
import random
from pathlib import Path

from xl_kpi.workspace.roster import Employee, write_roster
from xl_kpi.workspace import SAMPLE_MONTH, builtin_plan

DATA = Path(__file__).resolve().parent.parent / "xl_kpi" / "data"
PEOPLE = [  # 工号, 姓名, 岗位
    ("E001", "张明", "manager"), ("E002", "李娜", "ops"), ("E003", "王磊", "ops"),
    ("E004", "赵敏", "wechat"), ("E005", "陈静", "wechat"), ("E006", "刘洋", "wechat"),
    ("E007", "杨帆", "wechat"), ("E008", "黄丽", "wechat"), ("E009", "周杰", "wechat"),
    ("E010", "吴倩", "copywriter"), ("E011", "郑浩", "copywriter"), ("E012", "孙悦", "web_editor"),
]
PINYIN = {"张明": "zhang.ming", "李娜": "li.na", "王磊": "wang.lei", "赵敏": "zhao.min", "陈静": "chen.jing",
          "刘洋": "liu.yang", "杨帆": "yang.fan", "黄丽": "huang.li", "周杰": "zhou.jie", "吴倩": "wu.qian",
          "郑浩": "zheng.hao", "孙悦": "sun.yue"}


def actual_for(m, rnd: random.Random, level: float):
    """A plausible actual around the rule's scale; level in [0.6, 1.2] sets how well it went."""
    r = m.rule
    if r.type == "bands":
        edges = [b.lo for b in r.bands if b.lo is not None]
        lo, hi = edges[0], edges[-1]
        span = hi - lo
        v = lo + span * (level - 0.6) / 0.6 * rnd.uniform(0.8, 1.2)
        if m.direction == "lower":
            v = hi - (v - lo)
        v = max(v, m.min if m.min is not None else v)
        return round(v, 3) if m.percent else round(v)
    if r.type == "step":
        steps = (level - 0.5) * r.cap / r.pts * rnd.uniform(0.6, 1.1)
        delta = steps * r.per
        v = m.baseline + delta if r.dir == "up" else m.baseline - delta
        return round(max(v, 0.001), 4) if m.percent else round(v)
    if r.type == "ratio":
        v = m.target * level * rnd.uniform(0.85, 1.1)
        return round(v, 4) if m.percent else round(v)
    raise ValueError(r.type)


def main():
    plan = builtin_plan()
    rnd = random.Random(20261031)
    employees = []
    for emp_id, name, role in PEOPLE:
        manager = "zhang.ming@example.com" if role != "manager" else "boss@example.com"
        employees.append(Employee(emp_id, name, plan.department, plan.roles[role].name, None, None,
                                  f"{PINYIN[name]}@example.com", manager))
    write_roster(DATA / "roster.xlsx", employees)
    levels = [1.0, 1.1, 0.95, 1.05, 1.0, 0.9, 1.15, 0.95, 0.8, 1.0, 0.9, 0.95]
    rows, adj = [], []
    for (emp_id, _, role_id), level in zip(PEOPLE, levels):
        role = plan.roles[role_id]
        for m in role.metrics:
            if m.source == "weekly_sum":
                continue
            if m.source == "rating":
                for rater in m.rule.weights:
                    rows.append([emp_id, m.name, round(min(100, 70 + 25 * (level - 0.6) / 0.6 + rnd.randint(-5, 5))),
                                 "", {"self": "自评", "supervisor": "主管评定", "committee": "考核小组"}[rater]])
                continue
            rows.append([emp_id, m.id, actual_for(m, rnd, level), "", "实际"])
        for item in role.weekly_report:
            for week in range(1, 5):
                rows.append([emp_id, item.name, round(item.target * level * rnd.uniform(0.8, 1.2)), week, "实际"])
    adj = [
        ["E010", "2026-10-09", "错别字", 2, "", "10月9日推文两处错别字"],
        ["E010", "2026-10-15", "10万+稿件", 1, "", "《双十一攻略》阅读10万+"],
        ["E010", "2026-10-31", "TOP榜单", 1, "", "10月公众号TOP1"],
        ["E011", "2026-10-12", "标题出错", 1, "", ""],
        ["E011", "2026-10-20", "重大差错", 1, 2, "活动价格写错, 已更正"],
        ["E011", "2026-10-31", "TOP榜单", 3, "", "10月微博TOP3"],
        ["E005", "2026-10-31", "明星员工", 1, "", "10月明星员工"],
        ["E003", "2026-10-18", "运营推广执行出错", 1, "", "推广排期错误"],
    ]
    write_month(SAMPLE_MONTH, rows, adj)


def write_month(month: str, rows: list, adj: list) -> None:
    """A month's data export and 加减分 log, as xl_kpi/data ships them."""
    for name, header, body in ((f"actuals-{month}.csv", ["工号", "指标", "数值", "周", "类型"], rows),
                               (f"adjustments-{month}.csv", ["工号", "日期", "项目", "数量", "分值", "说明"], adj)):
        with open(DATA / name, "w", newline="", encoding="utf-8") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(header)
            w.writerows(body)


HISTORY = {"2026-09": 0.96, "2026-08": 0.92}  # how each earlier month went against October
HISTORY_ADJ = {
    "2026-08": [["E011", "2026-08-07", "错别字", 3, "", "推文三处错别字"],
                ["E005", "2026-08-31", "明星员工", 1, "", "8月明星员工"],
                ["E003", "2026-08-21", "运营推广执行出错", 1, "", "活动链接失效"]],
    "2026-09": [["E010", "2026-09-30", "最佳网红", 1, "", "《中秋团圆》专题传播广"],
                ["E010", "2026-09-30", "TOP榜单", 2, "", "9月公众号TOP2"],
                ["E011", "2026-09-16", "图片出错", 1, "", ""],
                ["E007", "2026-09-30", "明星员工", 1, "", "9月明星员工"]],
}


def history():
    plan = builtin_plan()
    rnd = random.Random(20260901)
    with open(DATA / f"actuals-{SAMPLE_MONTH}.csv", encoding="utf-8") as f:
        october = list(csv.reader(f))[1:]
    people = {emp_id: plan.roles[role] for emp_id, _, role in PEOPLE}
    for month, level in HISTORY.items():
        rows = []
        weeks = {}
        for emp, key, value, week, kind in october:
            role = people[emp]
            item = next((i for i in role.weekly_report if i.name == key), None)
            if item is not None:  # the month's own report weeks (August has five Mondays)
                weeks.setdefault((emp, item.id), []).append(float(value))
                continue
            metric = next((m for m in role.metrics if key in (m.id, m.name)), None)
            rows.append([emp, key, _earlier(metric, key, float(value), level, rnd), week, kind])
        _complaints(rows, level)
        for (emp, item_id), values in weeks.items():
            item = next(i for i in people[emp].weekly_report if i.id == item_id)
            mean = sum(values) / len(values)
            rows += [[emp, item.name, round(mean * level * rnd.uniform(0.85, 1.1)), w, "实际"]
                     for w in range(1, people[emp].weeks(month) + 1)]
        for emp, role in people.items():  # the survey is quarterly: September closes the third quarter
            if month == "2026-09" and any(m.id == "satisfaction" for m in role.metrics):
                rows.append([emp, "satisfaction", round(0.8 + 0.1 * rnd.random(), 4), "", "实际"])
        write_month(month, [r for r in rows if r[2] is not None], HISTORY_ADJ[month])


def _complaints(rows: list, level: float) -> None:
    """投诉率 = 投诉次数 / 互动次数: September exactly 5% (the plan's first baseline), August a bit higher."""
    for r in rows:
        if r[2] == "complaints":
            interactions = next(float(x[2]) for x in rows if x[0] == r[0] and x[1] == "interactions")
            r[2] = round(interactions * (0.05 if level == HISTORY["2026-09"] else 0.052))


def _earlier(metric, key: str, value: float, level: float, rnd: random.Random):
    """An earlier month's figure: step metrics end September at the plan's baseline; the rest scale."""
    if metric is not None and metric.id == "satisfaction":
        return None  # added for September only
    if metric is not None and metric.rule.type == "step" and metric.baseline is not None and not metric.compute:
        return round(metric.baseline * (1 if level == HISTORY["2026-09"] else 0.97))
    if key == "投诉次数":
        return "complaints"  # set once the month's 互动次数 is known (see _complaints)
    if key == "interactions":
        return round(value * level * rnd.uniform(0.95, 1.05) / 20) * 20  # a multiple of 20: 5% is whole
    if metric is not None and metric.source == "rating" or key == "团队管理评定" or "评分" in key or "评定" in key:
        return max(0, min(100, round(value + rnd.randint(-6, 3))))
    if metric is not None and metric.direction == "lower":
        return round(value / level * rnd.uniform(0.95, 1.05))
    factor = level * rnd.uniform(0.92, 1.06)
    if metric is not None and metric.percent:
        return round(min(value * factor, 1), 4)
    return round(value * factor)


if __name__ == "__main__":
    import sys

    history() if "--history" in sys.argv else main()
