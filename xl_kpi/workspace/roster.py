"""The roster (花名册): who is assessed, in which role, paid what."""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from openpyxl.utils import get_column_letter
from python_calamine import CalamineWorkbook

from ..core.errors import KpiError, Problem
from ..core.numbers import CENT, to_decimal
from ..core.plan import Plan
from ..core.typed import TypedNumberError, typed_number

# column header (Chinese or English) → field
COLUMNS = {
    "工号": "id", "employee_id": "id",
    "姓名": "name", "name": "name",
    "部门": "department", "department": "department",
    "岗位": "role", "role": "role",
    "责任底薪": "base_salary", "base_salary": "base_salary",
    "绩效工资基数": "performance_pay_base", "performance_pay_base": "performance_pay_base",
    "邮箱": "email", "email": "email",
    "上级邮箱": "manager_email", "manager_email": "manager_email",
    "身份证号": "id_number", "id_number": "id_number",  # optional: only for attachment passwords
}
REQUIRED = ("id", "name", "role")
HEADERS_ZH = ["工号", "姓名", "部门", "岗位", "责任底薪", "绩效工资基数", "邮箱", "上级邮箱"]
# What a file name may not hold on Windows, macOS or Linux: 工号 and 姓名 make each workbook's name.
_BAD_FILE_CHARS = re.compile(r'[/\\:*?"<>|\x00-\x1f\x7f]')
_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
MAX_NAME = 64


def file_name_problem(text: str) -> str | None:
    """Why ``text`` cannot be part of a file name, in Chinese and English; None when it can."""
    bad = sorted(set(_BAD_FILE_CHARS.findall(text)))
    if bad:
        shown = " ".join(repr(c)[1:-1] for c in bad)
        return f"含有文件名不允许的字符 {shown} / holds characters a file name cannot: {shown}"
    if text.startswith((".", "~$")) or text.endswith((".", " ")):
        return "不能以 . 或 ~$ 开头，也不能以 . 或空格结尾 / must not start with . or ~$ nor end with . or a space"
    if text.split(".")[0].upper() in _RESERVED:
        return f"“{text}”是Windows保留的文件名 / “{text}” is a name Windows reserves"
    if len(text) > MAX_NAME:
        return f"超过{MAX_NAME}个字符 / longer than {MAX_NAME} characters"
    return None


EMAIL = re.compile(r"^[^@\s<>,;\"']+@[^@\s<>,;\"']+\.[^@\s<>,;\"']+$")


@dataclass(frozen=True)
class Employee:
    id: str
    name: str
    department: str
    role: str  # role id of the plan
    base_salary: Decimal | None  # None: the role's default
    performance_pay_base: Decimal | None
    email: str
    manager_email: str
    row: int = 0  # the roster row, for messages
    id_number: str = ""

    @property
    def file_stem(self) -> str:
        return f"{self.id}-{self.name}"


def cell_text(v) -> str:
    """A cell or CSV field as trimmed text; 3.0 read from a sheet is "3", as typed."""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return str(v).strip() if v is not None else ""


def _money(v, where: dict, problems: list, label: str) -> Decimal | None:
    """A pay figure of the roster: a number ≥ 0 in whole cents (7151.635 is refused), read as the
    cell shows it (15 significant digits) or as typed (``5,000``, ``5000元``)."""
    if v is None or cell_text(v) == "":
        return None
    try:
        d = to_decimal(typed_number(v, "元"))
        if d < 0 or not d.is_finite():
            raise InvalidOperation
    except (InvalidOperation, TypedNumberError, ValueError):
        problems.append(Problem("roster_invalid", f"{label}不是非负数字：“{v}” / {label} is not a number ≥ 0", **where))
        return None
    if d != d.quantize(CENT):
        problems.append(Problem("roster_cents", f"{label}“{cell_text(v)}”不是整分（最多两位小数） / {label} must be whole "
                                f"cents (at most two decimals)", **where))
        return None
    return d.quantize(CENT)


def load_roster(path: Path, plan: Plan) -> list[Employee]:
    """Every employee of the roster's first sheet; all problems raised together."""
    path = Path(path)
    try:
        wb = CalamineWorkbook.from_path(str(path))
        sheet_name = wb.sheet_names[0]
        rows = wb.get_sheet_by_name(sheet_name).to_python(skip_empty_area=False)
    except FileNotFoundError:
        raise KpiError([Problem("file_missing", "找不到花名册 / roster not found", file=str(path))]) from None
    except Exception as exc:  # calamine raises several types for unreadable files
        raise KpiError([Problem("file_unreadable", f"花名册无法读取 / cannot read the roster: {exc}",
                                file=str(path))]) from None
    if not rows:
        raise KpiError([Problem("roster_empty", "花名册为空 / the roster is empty", file=str(path), sheet=sheet_name)])
    cols = {COLUMNS[cell_text(h)]: i for i, h in enumerate(rows[0]) if cell_text(h) in COLUMNS}
    missing = [f for f in REQUIRED if f not in cols]
    if missing:
        zh = "、".join(HEADERS_ZH[["id", "name", "department", "role"].index(f)] for f in missing)
        raise KpiError([Problem("roster_header", f"花名册缺少列：{zh} / the roster lacks columns: {', '.join(missing)}",
                                file=str(path), sheet=sheet_name, cell="A1")])
    by_name = {r.name: rid for rid, r in plan.roles.items()}
    problems, out, seen, mailboxes = [], [], {}, {}
    for n, row in enumerate(rows[1:], start=2):
        get = lambda f: row[cols[f]] if f in cols and cols[f] < len(row) else None  # noqa: E731
        if all(cell_text(v) == "" for v in row):
            continue
        where = lambda f: dict(file=str(path), sheet=sheet_name, cell=f"{get_column_letter(cols.get(f, 0) + 1)}{n}")  # noqa: E731
        emp_id, name, role = cell_text(get("id")), cell_text(get("name")), cell_text(get("role"))
        for f, v, zh in (("id", emp_id, "工号"), ("name", name, "姓名"), ("role", role, "岗位")):
            if not v:
                problems.append(Problem("roster_missing", f"第{n}行缺少{zh} / row {n}: {f} is empty", **where(f)))
        for f, v, zh in (("id", emp_id, "工号"), ("name", name, "姓名")):  # together they name the workbook's file
            why = file_name_problem(v) if v else None
            if why:
                shown = _BAD_FILE_CHARS.sub(lambda m: repr(m.group())[1:-1] if m.group() < " " else m.group(), v[:MAX_NAME])
                problems.append(Problem("roster_file_name", f"{zh}“{shown}”{why}", **where(f)))
        if emp_id in seen:
            problems.append(Problem("roster_duplicate", f"工号{emp_id}重复（第{seen[emp_id]}行与第{n}行） / "
                                    f"employee id {emp_id} appears twice (rows {seen[emp_id]} and {n})", **where("id")))
        seen.setdefault(emp_id, n)
        role_id = role if role in plan.roles else by_name.get(role)
        if role and role_id is None:
            problems.append(Problem("roster_role", f"岗位“{role}”不在方案中 / role “{role}” is not in the plan",
                                    **where("role")))
        emails = {}
        for f, zh in (("email", "邮箱"), ("manager_email", "上级邮箱")):
            emails[f] = cell_text(get(f))
            if emails[f] and not EMAIL.match(emails[f]):
                problems.append(Problem("roster_email", f"{zh}格式不正确：“{emails[f]}” / malformed {f}", **where(f)))
        mail = emails["email"].lower()
        if mail and mail in mailboxes:  # one mailbox, two people: the second would get the first's pay
            problems.append(Problem("roster_email_shared", f"邮箱{emails['email']}与第{mailboxes[mail]}行重复，每人须有自己的"
                                    f"邮箱 / the mailbox of row {mailboxes[mail]} again", **where("email")))
        mailboxes.setdefault(mail, n)
        base = _money(get("base_salary"), where("base_salary"), problems, "责任底薪")
        perf = _money(get("performance_pay_base"), where("performance_pay_base"), problems, "绩效工资基数")
        out.append(Employee(emp_id, name, cell_text(get("department")), role_id or role, base, perf,
                            emails["email"], emails["manager_email"], n, cell_text(get("id_number"))))
    if problems:
        raise KpiError(problems)
    return out


def write_roster(path: Path, employees: list[Employee]) -> None:
    """A roster workbook with the Chinese headers (used for the sample)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "花名册"
    ws.append(HEADERS_ZH)
    for e in employees:
        ws.append([e.id, e.name, e.department, e.role,
                   float(e.base_salary) if e.base_salary is not None else None,
                   float(e.performance_pay_base) if e.performance_pay_base is not None else None,
                   e.email, e.manager_email])
    for col, width in zip("ABCDEFGH", (10, 10, 10, 14, 10, 12, 26, 26)):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"
    wb.save(path)
