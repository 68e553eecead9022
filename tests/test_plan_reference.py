"""docs/plan.md is what the plan models say: regenerated and compared, every key described."""
from pathlib import Path

from xl_kpi.workspace import plan_reference
from xl_kpi.core.rules import AnyRule, parse_rule
from xl_kpi.workspace import init_workspace

DOC = Path(__file__).resolve().parent.parent / "docs" / "plan.md"


def test_docs_plan_md_is_up_to_date():
    assert DOC.read_text(encoding="utf-8") == plan_reference.render(), \
        "docs/plan.md is stale: python -m xl_kpi.workspace.plan_reference > docs/plan.md"


def test_every_key_of_every_model_has_its_words_and_no_more():
    words = plan_reference.keys()["models"]
    for model in plan_reference.MODELS:
        described = set(words[model.__name__]) - {"_"}
        assert described == set(model.model_fields), model.__name__
        for key in model.model_fields:
            assert words[model.__name__][key]["zh"] and words[model.__name__][key]["en"], (model.__name__, key)
    assert set(words) == {m.__name__ for m in plan_reference.MODELS}


def test_every_rule_type_is_described_with_an_example_that_parses():
    import typing

    kinds = set()
    for cls in typing.get_args(typing.get_args(AnyRule)[0]):
        kinds |= set(typing.get_args(cls.model_fields["type"].annotation))
    rules = plan_reference.keys()["rules"]
    assert set(rules) == kinds
    for kind, spec in rules.items():
        assert parse_rule(spec["example"]["rule"]).type == kind
    text = DOC.read_text(encoding="utf-8")
    assert "每比基准增加100次得0.1分，最高5分" in text  # describe() of the seed's step, not retyped
    assert "applies_to: pay" in text and "cross=40" in text


def test_init_puts_the_reference_beside_the_plan(tmp_path):
    ws, _ = init_workspace(tmp_path / "ws")
    assert (ws.root / "plan.md").read_text(encoding="utf-8") == plan_reference.render()
    assert "plan.md" in (ws.root / "plan.yaml").read_text(encoding="utf-8").splitlines()[1]
