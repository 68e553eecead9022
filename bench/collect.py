"""Collect N returned rating forms from one folder (saved attachments, as a mailbox export gives them):
returns per second for ``xl-kpi collect`` (each file kept, identified, checked against HR's record, its scores
recorded with the audit trail, the groups' scores written into the month's workbooks) against a plain openpyxl
reader that only opens each file and reads its cells, in the same run.

    python bench/collect.py [N]
"""
import io
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from openpyxl import load_workbook

from xl_kpi.month.imports import import_file
from xl_kpi.ratings.collect import collect
from xl_kpi.ratings.rounds import build_round
from xl_kpi.ratings.sources import from_folder
from xl_kpi.workbook.rating_form import FORM_META
from xl_kpi.workspace import SAMPLE_MONTH, Workspace, data_file, init_workspace

N = int(sys.argv[1]) if len(sys.argv) > 1 else 2000


def filled(data: bytes, score: float) -> bytes:
    """A form as a rater returns it: a score and a comment on every row."""
    wb = load_workbook(io.BytesIO(data))
    facts = {r[0].value: r[1].value for r in wb[FORM_META].iter_rows() if r[0].value != "row"}
    rows = sum(r[0].value == "row" for r in wb[FORM_META].iter_rows())
    sheet = wb["评分表"]
    for n in range(rows):
        at = int(facts["form_first_row"]) + n
        sheet.cell(at, 8).value, sheet.cell(at, 9).value = score, "认真负责，沟通及时。"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def variant(data: bytes, i: int) -> bytes:
    """The same form in other bytes (a second save of it), so no return is a duplicate of another."""
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a") as z:
        z.comment = str(i).encode()
    return out.getvalue()


def main():
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "ws"
        ws, _ = init_workspace(root)
        plan = ws.plan()
        roster = ws.roster(plan)
        import_file(ws, plan, roster, data_file(f"actuals-{SAMPLE_MONTH}.csv"), SAMPLE_MONTH)
        forms = build_round(ws, plan, roster, SAMPLE_MONTH).written
        inbox = Path(tmp) / "inbox"
        inbox.mkdir()
        sources = [filled(p.read_bytes(), 60 + i % 40) for i, p in enumerate(forms)]
        for i in range(N):
            (inbox / f"{i:05d}-{forms[i % len(forms)].name}").write_bytes(variant(sources[i % len(sources)], i))
        print(f"{N} returns of {len(forms)} forms in one folder")
        t0 = time.perf_counter()
        report = collect(Workspace(root), plan, roster, SAMPLE_MONTH, from_folder(inbox))
        ours = N / (time.perf_counter() - t0)
        assert report.count("counted") == N, report.summary()
        sample = sorted(inbox.iterdir())[: max(20, N // 20)]
        t0 = time.perf_counter()
        for p in sample:
            wb = load_workbook(p, data_only=True)
            [c.value for row in wb["评分表"].iter_rows() for c in row]
        base = len(sample) / (time.perf_counter() - t0)
    print(f"xl_kpi collect:   {ours:8.1f} returns/s (kept, identified, checked, recorded, workbooks written)")
    print(f"openpyxl reader:  {base:8.1f} returns/s ({len(sample)} files, opened and read only)")
    print(f"ratio: {ours / base:.2f}x; {N} returns in {N / ours:.1f} s (target: 2,000 in under a minute)")


if __name__ == "__main__":
    main()
