"""HR's record of each month: the system of record the workbooks are checked against."""
from .db import Store, open_store

__all__ = ["Store", "open_store"]
