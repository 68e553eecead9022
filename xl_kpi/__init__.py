"""xl_kpi: monthly KPI scoring and performance pay for new-media teams, in Excel."""

__version__ = "0.3.1"  # one number: raised whenever what is written changes (see core/releases.py, CHANGELOG.md)
