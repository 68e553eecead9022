"""Days as HR counts them."""
from __future__ import annotations

import datetime as dt


def working_days_after(start: dt.date, days: int) -> dt.date:
    """The day ``days`` working days (Monday to Friday) after ``start``."""
    d = start
    while days > 0:
        d += dt.timedelta(days=1)
        if d.weekday() < 5:
            days -= 1
    return d
