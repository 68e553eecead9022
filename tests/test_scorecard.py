"""The scorecard: inputs → points → categories → adjustments, veto → total → grade → pay."""
from decimal import Decimal

import pytest

from xl_kpi.core.numbers import floor_tol, money, round_half_up
from xl_kpi.core.scorecard import AdjustmentEntry, EmployeeInputs, score


def wechat_inputs(**over):
    x = EmployeeInputs(
        actuals=dict(replies=3200, response_time=58, purchase_rate=0.22, purchase_amount=45000),
        weekly=dict(moments_posts=[20, 25, 22, 24], likes=[500, 400, 600, 700], comments=[100, 90, 80, 150]))
    x.actuals.update(over)
    return x


def test_spreadsheet_numbers():
    assert floor_tol(0.29 * 100) == 29
    assert floor_tol(-0.5) == -1
    assert round_half_up(2.675, 2) == Decimal("2.68")
    assert money(1.005) == Decimal("1.01") and money(-1.005) == Decimal("-1.01")


def test_wechat_scorecard_end_to_end(plan):
    card = score(plan, "wechat", wechat_inputs(), month=10)
    assert card.problems == []
    assert card.metrics["moments_posts"].actual == 91  # the weeks' sum
    assert card.metrics["replies"].points == 5
    # 日常维护 40 × (5+10)/18, 朋友圈 20 × 14/14, 转化 40 × (5+5)/16
    assert card.categories == pytest.approx({"daily": 40 * 15 / 18, "moments": 20, "conversion": 25})
    assert card.score == 78.33
    assert (card.grade, card.coefficient) == ("一般", 0.8)
    # 4000 + 2000×0.8 + 1% of 40000 + 1.5% of 5000
    assert card.pay.commission == Decimal("475.00")
    assert card.pay.total == Decimal("6075.00")


@pytest.mark.parametrize("value, message", [
    (None, "回复条数未填写"), ("", "回复条数未填写"), ("abc", "不是数字"), (True, "不是数字"), ("三千二", "不是数字"),
    ("1.234,5", "不是数字"), (-5, "超出允许范围"), (3200.5, "应为整数"), ("3,200.5条", "应为整数"),
])
def test_missing_or_bad_inputs_are_reported_never_zero(plan, value, message):
    card = score(plan, "wechat", wechat_inputs(replies=value), month=10)
    (p,) = card.problems
    assert message in p.message and p.loc == ("actual_replies",)
    assert card.metrics["replies"].points is None
    assert card.score is None and card.grade is None and card.pay is None


@pytest.mark.parametrize("replies, response, rate, amount", [
    ("3,200", "58秒", "22%", "4.5万"), (" ３２００ ", "５８", "２２％", "4.5W"), ("3200条", "58s", "0.22", "45,000元"),
    ("3.2千", 58.0, 0.22, "¥45,000.00"),
])
def test_cells_typed_as_text_read_as_the_numbers_people_mean(plan, replies, response, rate, amount):
    """A cell typed as text (WPS, a paste, a phone) holds the number a person wrote: the same card as numbers."""
    want = score(plan, "wechat", wechat_inputs(), month=10)
    card = score(plan, "wechat", wechat_inputs(replies=replies, response_time=response, purchase_rate=rate,
                                                  purchase_amount=amount), month=10)
    assert card.problems == [] and card.metrics["purchase_amount"].actual == 45000
    assert (card.score, card.pay) == (want.score, want.pay)


def test_a_percent_sign_on_a_count_is_refused(plan):
    (p,) = score(plan, "wechat", wechat_inputs(replies="32%"), month=10).problems
    assert "不是数字" in p.message and p.loc == ("actual_replies",)


def test_missing_week_is_reported(plan):
    x = wechat_inputs()
    x.weekly["likes"][2] = None
    (p,) = score(plan, "wechat", x, month=10).problems
    assert p.loc == ("week3_likes",) and "第3周" in p.message


def test_target_and_baseline_overrides(plan):
    x = wechat_inputs()
    x.targets["likes"] = 4400  # per-employee target: 2200 of 4400 is half
    assert score(plan, "wechat", x, 10).metrics["likes"].points == 2


def test_quarterly_metric_counts_only_at_quarter_end(plan):
    x = EmployeeInputs(actuals=dict(exposure=51000, word_of_mouth=300, reads=100000, satisfaction=0.85,
                                    interactions=20000, conversion_rate=0.02, referrals=300,
                                    fan_growth=0.1, fan_activity=5000),
                       inputs=dict(complaints=600))  # 投诉率 = 600 / 20000 = 3%
    oct_, dec = score(plan, "ops", x, 10), score(plan, "ops", x, 12)
    assert not oct_.metrics["satisfaction"].counted and dec.metrics["satisfaction"].points == 2.5
    # October: 用户互动 = 30 × (2 + 10) / 20; December: 30 × (2.5 + 2 + 10) / 30
    assert oct_.categories["engagement"] == pytest.approx(18)
    assert dec.categories["engagement"] == pytest.approx(14.5)


def test_adjustments_veto_and_unknown_items(plan):
    x = EmployeeInputs(actuals=dict(posts=20, reads=100000, quality_share=0.3),
                       ratings=dict(content_quality={"self": 100, "supervisor": 100}))
    assert score(plan, "copywriter", x, 10).score == 100
    x.adjustments = [AdjustmentEntry("typo", 2), AdjustmentEntry("top_rank", 1), AdjustmentEntry("major_error", 1, 3)]
    card = score(plan, "copywriter", x, 10)
    assert card.adjustment_points == -1 + 8 - 3 and card.score == 104
    x.adjustments.append(AdjustmentEntry("veto_major", 1))
    card = score(plan, "copywriter", x, 10)
    assert card.veto == "lowest_grade" and card.score == 104 and card.grade == "不合格" and card.coefficient == 0
    x.adjustments = [AdjustmentEntry("viral_100k", 1), AdjustmentEntry("typo", "x")]
    card = score(plan, "copywriter", x, 10)
    assert card.score is None and card.problems[0].loc == ("adjustments", 1, "count")
    x.adjustments = [AdjustmentEntry("best_viral", 1)]
    assert score(plan, "wechat", wechat_inputs(), 10).problems == []
    (p,) = score(plan, "wechat", EmployeeInputs(actuals=wechat_inputs().actuals, weekly=wechat_inputs().weekly,
                                                 adjustments=x.adjustments), 10).problems
    assert p.type == "adjustment_unknown"


def test_rating_metric_needs_every_rater(plan):
    x = EmployeeInputs(actuals=dict(posts=20, reads=100000, quality_share=0.3),
                       ratings=dict(content_quality={"self": 100}))
    (p,) = score(plan, "copywriter", x, 10).problems
    assert "supervisor" in p.message and p.loc[0].startswith("rating_content_quality")


def test_pay_uses_roster_overrides_and_rounds_half_up(plan):
    x = wechat_inputs(purchase_amount=40000.5)  # commission 400 + 0.0075 → 400.01
    card = score(plan, "wechat", x, 10, base_salary=Decimal("4100.5"), performance_pay_base=Decimal("2000.01"))
    assert card.pay.commission == Decimal("400.01")
    assert card.pay.performance_pay == Decimal("1600.01")  # 2000.01 × 0.8 = 1600.008
    assert card.pay.total == Decimal("4100.50") + Decimal("1600.01") + Decimal("400.01")
