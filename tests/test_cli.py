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
    plan["roles"]["ops"]["categories"][0]["weight"] = 31  # possible, probably not meant: a warning
    (tmp_path / "plan.yaml").write_text(yaml.safe_dump(plan, allow_unicode=True), encoding="utf-8")
    assert main(["check", "--dir", str(tmp_path)]) == 0
    assert "提示 / warning" in capsys.readouterr().out
    plan["roles"]["ops"]["categories"][0]["weight"] = -1  # impossible: an error
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
    wb.active["E6"] = 7151.635  # 责任底薪 below the cent
    wb.active["F7"] = "2,500.50"  # 绩效工资基数 typed as text: fine
    wb.active["E8"] = 5500.000000000001  # a formula's binary noise: the cell shows 5500, so does the roster
    wb.save(tmp_path / "roster.xlsx")
    assert main(["check", "--dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "花名册!D3" in err and "保洁" in err
    assert "花名册!A4" in err and "E001" in err
    assert "花名册!G5" in err
    assert "花名册!E6" in err and "7151.635" in err and "整分" in err
    assert "F7" not in err and "E8" not in err


def test_check_and_score_name_the_months_formula_modes(tmp_path, capsys):
    main(["init", str(tmp_path)])
    assert main(["generate", "--month", "2026-10", "--dir", str(tmp_path)]) == 0  # native by default
    assert main(["generate", "--month", "2026-10", "--employee", "E004", "--formulas", "udf", "--dir",
                 str(tmp_path)]) == 0
    capsys.readouterr()
    main(["check", "--dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert "原生公式 native 11个" in err and "加载项函数 udf 1个" in err and "混用" in err and "E004" in err
    main(["score", "--month", "2026-10", "--dir", str(tmp_path)])
    assert "混用" in capsys.readouterr().err
    assert main(["generate", "--month", "2026-10", "--formulas", "native", "--dir", str(tmp_path)]) == 0
    capsys.readouterr()
    main(["check", "--month", "2026-10", "--dir", str(tmp_path)])
    err = capsys.readouterr().err
    assert "原生公式 native 12个" in err and "混用" not in err


def test_every_command_has_help_with_an_example():
    for cmd in ("init", "check", "demo", "generate", "import", "score", "rollup", "review", "report", "send", "addin"):
        done = run(cmd, "--help")
        assert done.returncode == 0 and "示例 / example" in done.stdout


def test_templates_ship_inside_the_package():
    from importlib import resources

    shipped = resources.files("xl_kpi.templates")
    for name in ("workbook/titles.yaml.j2", "workbook/instructions.txt.j2", "mail/employee.html.j2",
                 "addin/customUI.xml.j2"):
        assert shipped.joinpath(name).is_file(), name
