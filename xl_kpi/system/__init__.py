"""What xl_kpi needs of the machine: worker processes, the workspace lock, whole-file writes, LibreOffice."""
