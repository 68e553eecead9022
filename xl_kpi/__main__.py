"""``python -m xl_kpi``: the xl-kpi command, for when the command itself is not on the PATH."""
import sys

from .cli import main

sys.exit(main())
