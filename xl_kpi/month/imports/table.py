"""An import file read once: CSV (UTF-8 or GBK, read as it goes) or xlsx, its header first (which kind of
file it is), then its rows for the kind that reads it; and numbers as people write them in it."""
from __future__ import annotations

import codecs
import csv
import io
import os
import stat
import unicodedata
import zipfile
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import yaml
from python_calamine import CalamineWorkbook

from ...core.errors import KpiError, Problem
from ...core.numbers import num, snap
from ...core.plan import Metric
from ...core.typed import TypedNumberError, is_count, typed_number
from ...workbook.reader import check_expansion
from ...workspace import Workspace
from ...workspace.roster import cell_text


@dataclass
class Row:
    line: int
    values: dict[str, object]


@dataclass
class Table:
    file: str
    rows: list[Row] = field(default_factory=list)


class Source:
    """An import file opened: ``names`` is its header as written (after mapping.yaml's renames); ``records``
    then reads its rows, once, keyed by the fields of a kind's columns."""

    def __init__(self, path: Path, rename: dict[str, str] | None = None):
        self.path, self.file = Path(path), str(path)
        self._grid = _grid(self.path)
        header = next(self._grid)
        rename = rename or {}
        self.names = [rename.get(h, h) for h in (str(h).strip() for h in header)]

    def fields(self, headers: dict[str, str]) -> dict[str, int]:
        """Field → column of the header names a kind knows."""
        return {headers[h]: i for i, h in enumerate(self.names) if h in headers}

    def records(self, headers: dict[str, str], required: tuple[str, ...]) -> Iterator[Row]:
        """The rows (blank ones skipped), each keyed by field; the header checked before the first row."""
        cols = self.fields(headers)
        missing = [f for f in required if f not in cols]
        if missing:
            raise KpiError([Problem("header_missing", f"缺少列 / missing columns: {', '.join(missing)} "
                                    f"(表头 / headers: {', '.join(self.names)})", file=self.file, line=1)])
        try:
            for n, row in enumerate(self._grid, start=2):
                if all(str(v).strip() == "" for v in row):
                    continue
                yield Row(n, {f: (row[i] if i < len(row) else "") for f, i in cols.items()})
        except (csv.Error, UnicodeDecodeError) as exc:
            raise KpiError([Problem("file_unreadable", f"文件无法读取 / cannot read the file: {exc}",
                                    file=self.file)]) from None

    def close(self) -> None:
        self._grid.close()


def _grid(path: Path) -> Iterator[list]:
    """The file's header, then its rows, as lists of cells; a CSV is read as it goes (an xlsx is parsed whole)."""
    file = str(path)
    _regular_and_small(path)
    with ExitStack() as stack:
        try:
            if path.suffix.lower() in (".xlsx", ".xlsm"):
                with zipfile.ZipFile(path) as z:
                    check_expansion(z, path)
            if path.suffix.lower() in (".xlsx", ".xlsm", ".xls"):
                wb = CalamineWorkbook.from_path(file)
                grid = iter(wb.get_sheet_by_index(0).to_python(skip_empty_area=False))
            else:
                raw = stack.enter_context(open(path, "rb"))
                text = stack.enter_context(io.TextIOWrapper(raw, encoding=_encoding(raw, file), newline=""))
                grid = csv.reader(text)
            header = next(grid, None)
        except FileNotFoundError:
            raise KpiError([Problem("file_missing", "找不到文件 / file not found", file=file)]) from None
        except KpiError:
            raise
        except Exception as exc:
            raise KpiError([Problem("file_unreadable", f"文件无法读取 / cannot read the file: {exc}", file=file)]) from None
        if header is None:
            raise KpiError([Problem("file_empty", "文件为空 / the file is empty", file=file)])
        yield header
        yield from grid


MAX_IMPORT = 1 << 30  # 1 GB: a month's export for 100,000 people is about 60 MB


def _regular_and_small(path: Path) -> None:
    """Only a regular file is read (a pipe or a device such as /dev/zero would never end), and none beyond
    MAX_IMPORT."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise KpiError([Problem("file_missing", "找不到文件 / file not found", file=str(path))]) from None
    except OSError as exc:
        raise KpiError([Problem("file_unreadable", f"文件无法读取 / cannot read the file: {exc.strerror}",
                                file=str(path))]) from None
    if not stat.S_ISREG(info.st_mode):
        raise KpiError([Problem("not_a_file", "这不是普通文件（是文件夹、管道或设备），不读取 / not a regular file "
                                "(a folder, pipe or device): not read", file=str(path))])
    if info.st_size > MAX_IMPORT:
        raise KpiError([Problem("file_too_large", f"文件有{info.st_size / (1 << 20):,.0f} MB，超过导入上限"
                                f"{MAX_IMPORT >> 20:,} MB；请按月或按部门拆分 / the file is larger than "
                                f"{MAX_IMPORT >> 20} MB: split it", file=str(path))])


def read_table(path: Path, headers: dict[str, str], required: tuple[str, ...], rename: dict[str, str] | None = None) -> Table:
    """Rows of a CSV or xlsx file keyed by field names; ``rename`` maps a platform's headers to ours."""
    source = Source(path, rename)
    try:
        return Table(source.file, list(source.records(headers, required)))
    finally:
        source.close()


def _encoding(f, file: str) -> str:
    """The text encoding of a file read through in pieces (a long export is never held whole)."""
    for enc in ("utf-8-sig", "gb18030"):  # gb18030 is a superset of GBK
        f.seek(0)
        decoder = codecs.getincrementaldecoder(enc)()
        try:
            while chunk := f.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            f.seek(0)
            return enc
        except UnicodeDecodeError:
            continue
    raise KpiError([Problem("encoding", "文件编码无法识别（应为UTF-8或GBK） / not UTF-8 or GBK", file=file)])


def parse_value(v, m: Metric) -> float:
    """A number from a cell or CSV field as people write it (``3,199``, ``4.8万``, ``69秒``, ``８７％``), as a
    spreadsheet shows it (15 significant digits: 2999.9999999999995 is 3000) before it is checked: "87%" only
    for percent metrics, where a bare 87 is refused (150% is 150% where nothing caps it); counts must be whole;
    the metric's range holds."""
    if isinstance(v, str) and not cell_text(v):
        raise ValueError("数值为空 / the value is empty")
    try:
        x = snap(typed_number(v if not isinstance(v, str) else v.strip(), m.unit))
    except TypedNumberError as exc:
        if "%" in str(v) and not m.percent:
            raise ValueError(f"{m.name}不是百分比指标，不能写“{cell_text(v)}” / {m.id} is not a percent metric") from None
        raise ValueError(str(exc)) from None
    written_as_percent = isinstance(v, str) and unicodedata.normalize("NFKC", v).strip().endswith("%")
    if m.percent and not written_as_percent and abs(x) > 1 and (m.max is None or x > m.max):
        raise ValueError(f"{m.name}是百分比，应写{num(x)}%或{num(x / 100)}，不是{num(x)} / "
                         f"{m.id} is a percent: write {num(x)}% or {num(x / 100)}")
    if is_count(m.unit) and x != int(x):
        raise ValueError(f"{m.name}是计数（{m.unit}），应为整数，不是{num(x)} / {m.id} counts {m.unit}: a whole number, "
                         f"not {num(x)}")
    lo, hi = m.min, m.max
    if (lo is not None and x < lo) or (hi is not None and x > hi):
        shown = f"{num(x * 100)}%" if m.percent else num(x)
        bound = (lambda b: f"{num(b * 100)}%" if m.percent else num(b))  # noqa: E731
        raise ValueError(f"{m.name}的值{shown}超出允许范围{'-∞' if lo is None else bound(lo)}–"
                         f"{'∞' if hi is None else bound(hi)} / {m.id} value {shown} is outside the range")
    return x


def name_key(name: str) -> str:
    """A name as exports spell it either way: 互动量（点赞）and 互动量(点赞) are one metric."""
    return unicodedata.normalize("NFKC", name).replace(" ", "")


def duplicate(file: str, line: int, value: float, first_line: int, first_value: float) -> Problem:
    """A row filling the cell an earlier row of the file filled, with another value."""
    return Problem("import_duplicate", f"与第{first_line}行填的是同一格，数值却不同（{first_value:g}与{value:g}）；请只留一行 / "
                   f"the same cell as line {first_line} with another value", file=file, line=line)


def load_mapping(ws: Workspace) -> tuple[dict, dict]:
    """``mapping.yaml`` in the workspace: platform column headers and metric names → ours."""
    path = ws.root / "mapping.yaml"
    if not path.exists():
        return {}, {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig")) or {}
    except yaml.YAMLError as exc:
        raise KpiError([Problem("yaml_syntax", f"映射文件格式错误 / mapping syntax error: {exc}", file=str(path))]) from None
    cols, metrics = data.get("columns") or {}, data.get("metrics") or {}
    if not isinstance(cols, dict) or not isinstance(metrics, dict):
        raise KpiError([Problem("mapping_invalid", "columns 与 metrics 须为键值表 / columns and metrics must be mappings",
                                file=str(path))])
    return {str(k): str(v) for k, v in cols.items()}, {str(k): str(v) for k, v in metrics.items()}
