"""The baselines the benchmarks compare against, in one place."""
from openpyxl import load_workbook


def openpyxl_read(path) -> dict:
    """What a plain openpyxl reader does: load the workbook and read every named cell."""
    wb = load_workbook(path, data_only=True)
    out = {}
    for name, dn in wb.defined_names.items():
        for sheet, coord in dn.destinations:
            out[name] = wb[sheet][coord.replace("$", "").split(":")[0]].value
    return out
