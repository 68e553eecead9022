"""Benchmarks that cannot rot: every script in bench/ runs here at a small N (a smoke run) and must finish and
print its figures against the baseline; the figures README quotes come from these scripts at full size."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"
HELPERS = {"baseline.py", "filled.py"}  # imported by the scripts, not run


def scripts() -> list[Path]:
    return sorted(p for p in BENCH.glob("*.py") if p.name not in HELPERS)


def test_every_script_is_smoke_run():
    assert {p.name for p in scripts()} >= {"generate.py", "score.py", "rollup.py", "month.py", "collect.py"}


@pytest.mark.parametrize("script", scripts(), ids=lambda p: p.name)
def test_bench_runs_and_prints_its_ratio(script, tmp_path):
    args = ["24"]
    if script.name == "month.py":  # the whole month through the CLI, its table kept out of the repository
        args += ["--jobs", "2", "--results", str(tmp_path / "RESULTS.md")]
    done = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, cwd=BENCH,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    ratios = re.findall(r"(?:ratio: |x\s+)(\d+(?:\.\d+)?)", done.stdout)
    assert ratios and all(float(r) > 0 for r in ratios), done.stdout
