"""xl_kpi: monthly KPI scoring and performance pay for new-media teams, in Excel."""

__version__ = "0.1.0"
