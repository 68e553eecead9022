"""Regenerate the sample roster and month shipped in xl_kpi/data (deterministic).

    python tools/make_sample.py
"""
import csv
import random
from pathlib import Path

from xl_kpi.roster import Employee, write_roster
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
    with open(DATA / f"actuals-{SAMPLE_MONTH}.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["工号", "指标", "数值", "周", "类型"])
        w.writerows(rows)
    with open(DATA / f"adjustments-{SAMPLE_MONTH}.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["工号", "日期", "项目", "数量", "分值", "说明"])
        w.writerows(adj)


if __name__ == "__main__":
    main()
