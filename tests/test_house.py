"""The shape of the code: a folder per stage of the month, imports that only run down the stages (the
house's plan, listed once here), no circle between modules, no module over 500 lines, and a pure core.
See docs/architecture.md."""
import ast
from collections import defaultdict
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "xl_kpi"

BELOW_MONTH = {"core", "system", "store", "workbook", "workspace"}
# each stage → the stages its modules may import (besides its own); everything else is an arrow up
ALLOWED = {
    "core": set(),
    "system": {"core"},
    "store": {"core", "system"},
    "workbook": {"core", "system"},
    "workspace": {"core", "system", "workbook"},
    "month": BELOW_MONTH,
    "payroll": BELOW_MONTH | {"month"},
    "period": BELOW_MONTH | {"month", "payroll", "ratings"},
    "close": BELOW_MONTH | {"month", "payroll"},
    "ratings": BELOW_MONTH | {"month"},
    "mail": BELOW_MONTH | {"month", "payroll", "period", "ratings"},
    "excel": BELOW_MONTH | {"month", "payroll", "mail", "ratings"},
    "cli": BELOW_MONTH | {"month", "payroll", "period", "close", "ratings", "mail", "excel"},
    # the entry points: python -m xl_kpi, and xl_kpi/udfs.py and xl_kpi/addin.py, the names installed add-ins call
    "": {"excel", "cli"},
}
# what the pure core may import from outside the package: no files, processes, spreadsheets or xlwings
CORE_MAY_IMPORT = {"__future__", "ast", "calendar", "collections", "dataclasses", "datetime", "decimal", "functools", "math", "operator",
                   "pydantic", "pydantic_core", "re", "statistics", "types", "typing", "unicodedata", "yaml"}
MAX_LINES = 500


def modules() -> dict[str, Path]:
    """Dotted module name (without ``xl_kpi.``) → file."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        name = ".".join(p for p in parts if p != "__init__")
        out[name] = path
    return out


def stage(module: str) -> str:
    return module.split(".")[0] if "." in module or (PACKAGE / module).is_dir() else ""


def imports(module: str, path: Path, runtime_only: bool = False) -> list[tuple[int, str]]:
    """(line, imported module inside xl_kpi, without the prefix) of every import in a module; with
    ``runtime_only``, not those under ``if TYPE_CHECKING:``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = set()
    if runtime_only:
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                skipped |= {id(n) for n in ast.walk(node)}
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    out = []
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1] if node.level > 1 else package
                target = ".".join(base + ([node.module] if node.module else []))
            elif (node.module or "").startswith("xl_kpi"):
                target = node.module[len("xl_kpi."):] if node.module != "xl_kpi" else ""
            else:
                continue
            names = [f"{target}.{a.name}".strip(".") for a in node.names]
            known = modules()
            out += [(node.lineno, n if n in known else target) for n in names]
        elif isinstance(node, ast.Import):
            out += [(node.lineno, a.name[len("xl_kpi."):]) for a in node.names if a.name.startswith("xl_kpi.")]
    return out


def test_every_module_lives_in_a_stage_of_the_plan():
    stray = [m for m in modules() if stage(m) not in ALLOWED]
    assert not stray, f"modules outside the stages of ALLOWED: {stray}"
    top = sorted(m for m in modules() if stage(m) == "")
    assert top == ["", "__main__", "addin", "udfs"], top  # the package, python -m xl_kpi, the two entry points


def test_imports_only_run_down_the_stages():
    wrong = []
    for module, path in modules().items():
        mine = stage(module)
        for line, target in imports(module, path):
            theirs = stage(target)
            if theirs != mine and theirs not in ALLOWED[mine] and target:  # "": xl_kpi itself (__version__)
                wrong.append(f"xl_kpi/{path.relative_to(PACKAGE)}:{line} {mine or 'xl_kpi'} → {theirs or target}")
    assert not wrong, "imports that run up the stages:\n" + "\n".join(wrong)


def test_the_package_itself_imports_nothing():
    """``xl_kpi/__init__.py`` holds the version every stage reads: it may depend on nothing."""
    assert not imports("", PACKAGE / "__init__.py")
    assert not [n for n in ast.walk(ast.parse((PACKAGE / "__init__.py").read_text())) if isinstance(n, ast.Import)]


def test_no_circle_between_modules():
    graph = defaultdict(set)
    for module, path in modules().items():
        for _, target in imports(module, path, runtime_only=True):
            if target != module and target in modules():
                graph[module].add(target)
    # a package's __init__ that re-exports its modules is not a circle with them
    state, cycles = {}, []

    def visit(node, trail):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append(" → ".join(trail[trail.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = "done"

    for module in sorted(modules()):
        if module not in state:
            visit(module, [module])
    cycles = [c for c in cycles if not _only_package_init(c)]
    assert not cycles, "import circles:\n" + "\n".join(cycles)


def _only_package_init(cycle: str) -> bool:
    """A circle through a package and one of its own modules (``x`` → ``x.y`` → ``x``) is Python's import of
    a package: not a circle between modules."""
    parts = cycle.split(" → ")
    return any(b.startswith(a + ".") or a.startswith(b + ".") for a, b in zip(parts, parts[1:]))


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_over_500_lines(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"xl_kpi/{path.relative_to(PACKAGE)} has {lines} lines: split it by what it holds"


def test_the_core_is_pure():
    wrong = []
    for path in sorted((PACKAGE / "core").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            wrong += [f"{path.relative_to(PACKAGE)}:{node.lineno} imports {n}" for n in names
                      if n.split(".")[0] not in CORE_MAY_IMPORT]
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("print", "open"):
                wrong.append(f"{path.relative_to(PACKAGE)}:{node.lineno} calls {node.func.id}()")
    assert not wrong, "\n".join(wrong)


def test_the_checks_see_what_they_check():
    """The import reader finds a known arrow and the stages it tells apart, so the tests above can fail."""
    found = dict((t, n) for n, t in imports("payroll.rollup", PACKAGE / "payroll" / "rollup.py"))
    assert "month.score" in found and stage("month.score") == "month" and stage("payroll.rollup") == "payroll"
    assert "month" not in ALLOWED["workbook"]
