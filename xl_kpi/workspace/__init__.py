"""The workspace: the folder HR works in, its plan, roster and month folders, and the examples."""
from .create import init_workspace
from .folder import (
           PLAN,
           ROSTER,
           SAMPLE_MONTH,
           WORKBOOKS,
           Workspace,
           builtin_plan,
           data_file,
           inside,
           read_plan,
)

__all__ = ["PLAN", "ROSTER", "SAMPLE_MONTH", "WORKBOOKS", "Workspace", "builtin_plan", "data_file", "init_workspace",
           "inside", "read_plan"]
