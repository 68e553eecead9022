"""Files written whole or not at all."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..core.errors import KpiError, Problem


def atomic_write(path: Path, data: bytes) -> None:
    """Write through a temporary file and a rename, so a reader never sees half a file."""
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".xlsx", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except PermissionError:  # on Windows a workbook open in Excel cannot be replaced
        Path(tmp).unlink(missing_ok=True)
        raise KpiError([Problem("file_locked", "文件被占用（是否在 Excel 中打开？），未改动；关闭后再运行 / the file is "
                                "in use (open in Excel?), left untouched; close it and run again", file=str(path))]) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
