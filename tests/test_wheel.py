"""The wheel HR installs on Windows (README: pip install the wheel) carries everything the add-in
and the month need: the templates (ribbon, VBA, workbook and mail wording), the built-in plan and
sample data, the example plans, and the xl-kpi command."""
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_wheel_ships_templates_data_and_the_command(tmp_path):
    source = tmp_path / "src"  # a copy: building writes build/ and *.egg-info beside the sources
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(".git", "*.egg-info", "build", "dist", "__pycache__",
                                                                ".pytest_cache", ".hypothesis", "xl-kpi-demo"))
    done = subprocess.run([sys.executable, "-m", "build", "--wheel", "--outdir", str(tmp_path / "dist"), str(source)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    import xl_kpi

    wheel = next((tmp_path / "dist").glob("xl_kpi-*.whl"))
    assert wheel.name == f"xl_kpi-{xl_kpi.__version__}-py3-none-any.whl"  # the one version number
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "xl_kpi").rglob("*.py") if "__pycache__" not in p.parts}
    assert modules <= names, sorted(modules - names)  # every stage's package is listed in pyproject.toml
    shipped = {f"xl_kpi/templates/{p.relative_to(ROOT / 'templates').as_posix()}"
               for p in (ROOT / "templates").rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert shipped and shipped <= names, sorted(shipped - names)
    data = {f"xl_kpi/data/{p.name}" for p in (ROOT / "xl_kpi" / "data").iterdir()}
    assert data <= names, sorted(data - names)
    examples = {f"xl_kpi/examples/{p.relative_to(ROOT / 'examples').as_posix()}"  # xl-kpi init --example
                for p in (ROOT / "examples").rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert len(examples) > 10 and examples <= names, sorted(examples - names)
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "xl-kpi = xl_kpi.cli:main" in zipfile.ZipFile(wheel).read(entry).decode()
