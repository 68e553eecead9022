"""Every seed rule of domain.md section 1, at and around its boundaries."""
import pytest

from xl_kpi.core.rules import Inputs, parse_rule


def role_rule(plan, role, metric):
    return plan.roles[role].metric(metric).rule


@pytest.mark.parametrize("actual, points", [
    (0, 0), (2499, 0), (2500, 3), (2999, 3), (3000, 5), (3499, 5), (3500, 8), (3501, 8), (10000, 8),
])
def test_replies_bands(plan, actual, points):
    assert role_rule(plan, "wechat", "replies").points(Inputs(actual)) == points


@pytest.mark.parametrize("seconds, points", [
    (10, 10), (59.9, 10), (60, 6), (75, 6), (75.1, 3), (90, 3), (90.1, 0), (300, 0),
])
def test_response_time_bands_lower_is_better(plan, seconds, points):
    assert role_rule(plan, "wechat", "response_time").points(Inputs(seconds)) == points


@pytest.mark.parametrize("posts, points", [(0, 0), (39, 0), (40, 2), (64, 2), (65, 4), (89, 4), (90, 6), (120, 6)])
def test_moments_posts_bands(plan, posts, points):
    assert role_rule(plan, "wechat", "moments_posts").points(Inputs(posts)) == points


@pytest.mark.parametrize("rate, points", [
    (0, 0), (0.0999, 0), (0.10, 3), (0.1999, 3), (0.20, 5), (0.2999, 5), (0.30, 8), (0.95, 8),
])
def test_purchase_rate_bands_percent_as_fraction(plan, rate, points):
    assert role_rule(plan, "wechat", "purchase_rate").points(Inputs(rate)) == points


@pytest.mark.parametrize("amount, points", [
    (19999.99, 0), (20000, 3), (39999, 3), (40000, 5), (59999.5, 5), (60000, 8),
])
def test_purchase_amount_bands(plan, amount, points):
    assert role_rule(plan, "wechat", "purchase_amount").points(Inputs(amount)) == points


@pytest.mark.parametrize("actual, points", [
    (9000, 0),        # below baseline
    (10000, 0),       # at baseline
    (10099, 0),       # not a whole step
    (10100, 0.1),
    (12350, 2.3),
    (14999, 4.9),
    (15000, 5),       # cap reached
    (99999, 5),       # cap exceeded
])
def test_exposure_step_per_100(plan, actual, points):
    rule = role_rule(plan, "ops", "exposure")
    assert rule.points(Inputs(actual, baseline=10000)) == pytest.approx(points, abs=1e-12)


@pytest.mark.parametrize("actual, points", [(200, 0), (209, 0), (210, 0.1), (300, 1), (700, 5), (800, 5)])
def test_word_of_mouth_step_per_10(plan, actual, points):
    assert role_rule(plan, "ops", "word_of_mouth").points(Inputs(actual, baseline=200)) == pytest.approx(points)


@pytest.mark.parametrize("actual, baseline, points", [
    (0.80, 0.80, 0), (0.81, 0.80, 0.5), (0.29, 0.20, 4.5), (0.87, 0.80, 3.5), (0.99, 0.70, 10), (0.75, 0.80, 0),
])
def test_satisfaction_half_point_per_percent(plan, actual, baseline, points):
    rule = role_rule(plan, "ops", "satisfaction")
    assert rule.points(Inputs(actual, baseline=baseline)) == pytest.approx(points)


@pytest.mark.parametrize("actual, baseline, points", [
    (0.05, 0.05, 0), (0.06, 0.05, 0), (0.04, 0.05, 1), (0.01, 0.05, 4), (0.0, 0.20, 10), (0.0, 0.05, 5),
])
def test_complaint_rate_lower_is_better(plan, actual, baseline, points):
    rule = role_rule(plan, "ops", "complaint_rate")
    assert rule.points(Inputs(actual, baseline=baseline)) == pytest.approx(points)


def test_floor_tolerates_binary_error():
    # 0.29 * 100 is 28.999999999999996 in binary; spreadsheets and we count 29 steps.
    rule = parse_rule("step(per=1, pts=1, cap=100)")
    assert rule.points(Inputs(0.29 * 100, baseline=0)) == 29
    rule = parse_rule("step(per=0.01, pts=1, cap=100)")
    assert rule.points(Inputs(0.29, baseline=0)) == 29


@pytest.mark.parametrize("actual, target, points", [
    (0, 100, 0), (50, 100, 5), (100, 100, 10), (150, 100, 10),
])
def test_completion_ratio(actual, target, points):
    assert parse_rule("ratio(max=10)").points(Inputs(actual, target)) == points


def test_completion_ratio_floor_ceiling_and_lower_is_better():
    rule = parse_rule("ratio(max=10, floor=0.5, ceil=1.2)")
    assert rule.points(Inputs(10, 100)) == 5          # floor
    assert rule.points(Inputs(150, 100)) == 12        # ceiling
    down = parse_rule("ratio(max=10, dir=down)")
    assert down.points(Inputs(5, 10)) == 10           # better than target
    assert down.points(Inputs(20, 10)) == 5
    assert down.points(Inputs(0, 10)) == 10


@pytest.mark.parametrize("adj, count, chosen, points", [
    ("typo", 1, None, -0.5), ("typo", 3, None, -1.5), ("image_error", 2, None, -1),
    ("duplicate", 1, None, -1), ("title_error", 2, None, -2), ("execution_error", 1, None, -1),
    ("major_error", 1, 1, -1), ("major_error", 1, 5, -5), ("major_error", 2, 3, -6),
    ("viral_100k", 3, None, 6), ("best_viral", 1, None, 20), ("star", 1, None, 5),
    ("top_rank", 1, None, 8), ("top_rank", 2, None, 6), ("top_rank", 3, None, 3), ("top_rank", 4, None, 0),
])
def test_editor_adjustments(plan, adj, count, chosen, points):
    assert plan.adjustment(adj).rule.points(Inputs(count, chosen=chosen)) == points


@pytest.mark.parametrize("adj, count, chosen, message", [
    ("major_error", 1, None, "分值"),      # HR must pick within the range
    ("major_error", 1, 6, "超出1–5"),
    ("major_error", 1, 0.5, "超出1–5"),
    ("best_viral", 2, None, "上限"),       # 每月评1项
    ("typo", 1.5, None, "整数"),
    ("top_rank", 0, None, "正整数"),
])
def test_adjustment_bad_inputs_are_refused(plan, adj, count, chosen, message):
    with pytest.raises(ValueError, match=message):
        plan.adjustment(adj).rule.points(Inputs(count, chosen=chosen))


def test_rating_by_weighted_raters(plan):
    rule = plan.roles["copywriter"].metric("content_quality").rule
    rating = rule.combine({"self": 90, "supervisor": 80})
    assert rating == pytest.approx(83)
    assert rule.points(Inputs(rating)) == pytest.approx(8.3)
    with pytest.raises(ValueError, match="主管评定"):
        rule.combine({"self": 90})


def test_rating_default_weights_come_from_the_plan():
    rule = parse_rule("rating(max=10, self=20, supervisor=50, committee=30)")
    assert rule.combine({"self": 100, "supervisor": 80, "committee": 60}) == pytest.approx(78)


def test_veto_effect(plan):
    veto = plan.adjustment("veto_major").rule
    assert veto.effect == "lowest_grade"
    assert veto.triggered(Inputs(1)) and not veto.triggered(Inputs(0))


@pytest.mark.parametrize("rule, actual, baseline, text", [
    ("bands(<2500:0; [2500,3000):3; [3000,3500):5; >=3500:8)", 3200, None, "3200条，落在3000–3500条档，得5分"),
    ("step(per=100, pts=0.1, cap=5)", 12350, 10000, "12350条，较基准10000条增加23个100条，得2.3分"),
    ("step(per=100, pts=0.1, cap=5)", 90000, 10000, "得5分（封顶）"),
    ("step(per=100, pts=0.1, cap=5)", 9000, 10000, "增加不足100条，得0分"),
])
def test_explanations_in_chinese(rule, actual, baseline, text):
    assert text in parse_rule(rule).explain(Inputs(actual, baseline=baseline), "条")


def test_text_form_round_trips(plan):
    rules = [m.rule for r in plan.roles.values() for m in r.metrics] + [a.rule for a in plan.adjustments]
    for rule in rules:
        assert parse_rule(rule.to_text()) == rule


def test_full_width_punctuation_is_accepted():
    assert parse_rule("step（per＝100，pts＝0.1，cap＝5）") == parse_rule("step(per=100, pts=0.1, cap=5)")
