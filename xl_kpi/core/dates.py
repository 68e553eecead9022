"""Days as HR counts them, and dates as people write them."""
from __future__ import annotations

import datetime as dt
import re
import unicodedata

EXCEL_EPOCH = dt.date(1899, 12, 30)  # day 0 of Excel's and WPS's serial dates (1 is 1900-01-01, past the 1900 bug)
_YMD = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


def working_days_after(start: dt.date, days: int) -> dt.date:
    """The day ``days`` working days (Monday to Friday) after ``start``."""
    d = start
    while days > 0:
        d += dt.timedelta(days=1)
        if d.weekday() < 5:
            days -= 1
    return d


def typed_date(value) -> dt.date:
    """A date as a cell or an export holds it: a date, an Excel serial (46326), or text such as 2026-10-31,
    2026/10/31, 2026.10.31 or 2026年10月31日; a ValueError saying why otherwise."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value != int(value) or not 1 <= value <= 2958465:  # 9999-12-31
            raise ValueError(f"“{value}”不是日期 / “{value}” is not a date")
        return EXCEL_EPOCH + dt.timedelta(days=int(value))
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if re.fullmatch(r"\d{5}(\.0+)?", text):  # a serial exported as text
        return typed_date(float(text))
    m = _YMD.fullmatch(text) or _YMD.fullmatch(text.split(" ")[0].split("T")[0])
    if not m:
        raise ValueError(f"“{text}”不是日期（应写成如2026-10-31） / “{text}” is not a date (write 2026-10-31)")
    try:
        return dt.date(*map(int, m.groups()))
    except ValueError:
        raise ValueError(f"“{text}”不是存在的日期 / “{text}” is no such day") from None


def in_month(day: dt.date, month: str) -> bool:
    """Whether a day falls in the month ``YYYY-MM``."""
    return day.strftime("%Y-%m") == month
