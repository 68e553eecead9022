"""The command line: init, check, demo, as a user runs them."""
import subprocess
import sys

import yaml

from xl_kpi.cli import main


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "xl_kpi.cli", *args], cwd=cwd, capture_output=True, text=True)


def test_demo_prints_all_twelve_employees(tmp_path):
    done = run("demo", str(tmp_path / "demo"))
    assert done.returncode == 0, done.stderr
    for emp in ("E001", "张明", "E006", "E012", "孙悦"):
        assert emp in done.stdout
    assert sum(line.count("│ E0") for line in done.stdout.splitlines()) == 12
    for grade in ("优秀", "良好", "一般", "不合格"):
        assert grade in done.stdout
    assert (tmp_path / "demo" / "plan.yaml").exists() and (tmp_path / "demo" / "workbooks").is_dir()


def test_init_keeps_existing_files(tmp_path):
    assert main(["init", str(tmp_path)]) == 0
    (tmp_path / "plan.yaml").write_text("name: mine\n", encoding="utf-8")
    assert main(["init", str(tmp_path)]) == 0
    assert (tmp_path / "plan.yaml").read_text(encoding="utf-8") == "name: mine\n"


def test_check_exit_status(tmp_path, capsys):
    main(["init", str(tmp_path)])
    assert main(["check", "--dir", str(tmp_path)]) == 0
    plan = yaml.safe_load((tmp_path / "plan.yaml").read_text(encoding="utf-8"))
    plan["roles"]["ops"]["categories"][0]["weight"] = 31
    (tmp_path / "plan.yaml").write_text(yaml.safe_dump(plan, allow_unicode=True), encoding="utf-8")
    assert main(["check", "--dir", str(tmp_path)]) == 2
    assert "roles.ops" in capsys.readouterr().err


def test_check_reports_roster_cells(tmp_path, capsys):
    from openpyxl import load_workbook

    main(["init", str(tmp_path)])
    wb = load_workbook(tmp_path / "roster.xlsx")
    wb.active["D3"] = "保洁"
    wb.active["A4"] = "E001"
    wb.active["G5"] = "not-an-email"
    wb.save(tmp_path / "roster.xlsx")
    assert main(["check", "--dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "花名册!D3" in err and "保洁" in err
    assert "花名册!A4" in err and "E001" in err
    assert "花名册!G5" in err


def test_every_command_has_help_with_an_example():
    for cmd in ("init", "check", "demo", "generate", "import", "score", "rollup", "review", "send", "addin"):
        done = run(cmd, "--help")
        assert done.returncode == 0 and "示例 / example" in done.stdout


def test_templates_ship_inside_the_package():
    from importlib import resources

    shipped = resources.files("xl_kpi.templates")
    for name in ("workbook/titles.yaml.j2", "workbook/instructions.txt.j2", "mail/employee.html.j2",
                 "addin/customUI.xml.j2"):
        assert shipped.joinpath(name).is_file(), name
