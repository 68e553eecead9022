"""Excel: the add-in's worksheet functions, the ribbon's scripts, building xl_kpi.xlam and installing it."""
