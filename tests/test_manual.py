"""The Chinese guide for HR (docs/使用手册.md) cannot rot: every kind of problem the code can report has its
meaning and fix there, README sends HR to it first, and its sentences use full-width punctuation."""
import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANUAL = ROOT / "docs" / "使用手册.md"


def problem_kinds() -> set[str]:
    """Every problem type the code names: Problem("kind", …), Problem(type="kind", …) and the returns'
    problem("kind", …) helper."""
    kinds = set()
    for path in (ROOT / "xl_kpi").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", None))
            if name not in ("Problem", "problem"):
                continue
            first = node.args[0] if node.args else next((k.value for k in node.keywords if k.arg == "type"), None)
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                kinds.add(first.value)
    return kinds


def test_every_problem_kind_has_its_fix_in_the_manual():
    kinds = problem_kinds()
    assert len(kinds) > 100  # the scan finds them (it would find none if the call's shape changed)
    rows = dict(re.findall(r"^\| `([a-z_]+)` \| ([^|]+) \|", MANUAL.read_text(encoding="utf-8"), re.M))
    assert sorted(kinds - rows.keys()) == []


def test_readme_sends_hr_to_the_manual_first():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)]+)\)", readme)
    assert links and links[0] == "docs/使用手册.md"


def test_the_manuals_sentences_use_full_width_punctuation():
    text = MANUAL.read_text(encoding="utf-8")
    prose = re.sub(r"```.*?```", "", text, flags=re.S)
    prose = re.sub(r"`[^`]*`", "", prose)
    bad = re.findall(r"[\u4e00-\u9fff][,;:!?()]", prose) + re.findall(r"[,;:!?()][\u4e00-\u9fff]", prose)
    assert bad == []


def chinese_halves():
    """(file, line, text) of the Chinese half of every problem message the code writes (before " / "), with
    the code inside {…} of an f-string left out."""
    for path in (ROOT / "xl_kpi").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            name = getattr(getattr(node, "func", None), "id", getattr(getattr(node, "func", None), "attr", None))
            if not isinstance(node, ast.Call) or name not in ("Problem", "problem", "bilingual", "_problem"):
                continue
            arg = (node.args[:1] if name == "_problem" else node.args[1:2]) or [None]
            parts = [arg[0].left, arg[0].right] if isinstance(arg[0], ast.BinOp) else arg
            text = "".join(v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "{}"
                           for p in parts if isinstance(p, (ast.Constant, ast.JoinedStr))
                           for v in (p.values if isinstance(p, ast.JoinedStr) else [p]))
            yield path.name, node.lineno, text.split(" / ")[0]


def test_every_message_in_chinese_uses_full_width_punctuation():
    """What HR reads in a message box or the CLI: a half-width comma, semicolon, colon or bracket beside
    Chinese is a slip (“未改动; 确认后” reads as English punctuation in a Chinese sentence)."""
    halves = list(chinese_halves())
    assert len(halves) > 150
    bad = [(f, line, text) for f, line, text in halves
           if re.search(r"[\u4e00-\u9fff）][,;:(]|[,;:] ?[\u4e00-\u9fff]|[(][\u4e00-\u9fff]|[\u4e00-\u9fff][)]", text)]
    assert bad == []


def cli_halves():
    """(file, line, text) of the Chinese half of every string literal of what people read besides the
    problems: the CLI's console lines and --help, the mail log, the ribbon's summaries and the add-in
    functions' error texts (docstrings apart)."""
    places = list((ROOT / "xl_kpi" / "cli").glob("*.py")) + [ROOT / "xl_kpi" / p for p in (
        "mail/smtp.py", "mail/messages.py", "excel/ribbon.py", "excel/udfs.py", "excel/selftest.py")]
    for path in places:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = {id(n.body[0].value) for n in ast.walk(tree) if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef))
                and n.body and isinstance(n.body[0], ast.Expr)}
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
            elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
                text = node.value
            else:
                continue
            yield path.name, node.lineno, text.split(" / ")[0]


def test_what_the_cli_prints_in_chinese_uses_full_width_punctuation():
    halves = [h for h in cli_halves() if re.search(r"[\u4e00-\u9fff]", h[2])]
    assert len(halves) > 100
    bad = [(f, line, text) for f, line, text in halves
           if re.search(r"[\u4e00-\u9fff）][,;:(]|[,;:] ?[\u4e00-\u9fff]|[(][\u4e00-\u9fff]|[\u4e00-\u9fff][)]", text)]
    assert bad == []
