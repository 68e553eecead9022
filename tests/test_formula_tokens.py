"""Formulas compared by meaning: every rewrite a spreadsheet app makes on save is equal, every real change
is not. (The round-trip tests do the same with whole workbooks.)"""
import pytest

from xl_kpi.core.cohort import rank_values
from xl_kpi.workbook.formulas import normalize, sheet_formulas

GENERATED = "IF(AND(ISNUMBER(G6),G6>=0),KPI_SCORE(G6,I6,E6,F6),\"\")+SUM('加减分'!E4:E33)*$D$3"


@pytest.mark.parametrize("saved", [
    "IF(AND(ISNUMBER(G6),G6>=0),KPI_SCORE(G6,I6,E6,F6),\"\")+SUM(加减分!E4:E33)*$D$3",  # LibreOffice: quotes dropped
    "if(and(isnumber(g6),g6>=0),kpi_score(g6,i6,e6,f6),\"\")+sum('加减分'!e4:e33)*$d$3",  # case
    "IF(AND(ISNUMBER(G6),G6>=0),_xludf.KPI_SCORE(G6,I6,E6,F6),\"\")+SUM('加减分'!E4:E33)*$D$3",
    "IF(AND(ISNUMBER(G6),G6>=0),[1]!KPI_SCORE(G6,I6,E6,F6),\"\")+SUM('加减分'!E4:E33)*$D$3",
    "IF(AND(ISNUMBER(G6),G6>=0),'C:\\Users\\张三\\AppData\\Roaming\\Microsoft\\AddIns\\xl_kpi.xlam'!KPI_SCORE(G6,I6,E6,F6),"
    "\"\")+SUM('加减分'!E4:E33)*$D$3",
    "IF( AND(ISNUMBER(G6), G6 >= 0), KPI_SCORE(G6,I6,E6,F6), \"\" ) + SUM('加减分'!E4:E33) * $D$3",  # whitespace
    "=IF(AND(ISNUMBER(G6),G6>=0.0),_xlfn.KPI_SCORE(G6,I6,E6,F6),\"\")+SUM('加减分'!E4:E33)*D3",  # 0.0, no $
])
def test_what_a_save_rewrites_is_the_same_formula(saved):
    assert normalize(saved, frozenset({"[1]"})) == normalize(GENERATED)


@pytest.mark.parametrize("changed", [
    "IF(AND(ISNUMBER(G6),G6>=1),KPI_SCORE(G6,I6,E6,F6),\"\")+SUM('加减分'!E4:E33)*$D$3",  # a constant
    "IF(AND(ISNUMBER(G6),G6>=0),KPI_SCORE(G7,I6,E6,F6),\"\")+SUM('加减分'!E4:E33)*$D$3",  # a reference
    "IF(AND(ISNUMBER(G6),G6>=0),KPI_SCORE(G6,I6,E6,F6),\"\")+SUM('周报'!E4:E33)*$D$3",  # another sheet
    "IF(AND(ISNUMBER(G6),G6>=0),MAX(G6,I6,E6,F6),\"\")+SUM('加减分'!E4:E33)*$D$3",  # a function
    "IF(AND(ISNUMBER(G6),G6>=0),[2]!KPI_SCORE(G6,I6,E6,F6),\"\")+SUM('加减分'!E4:E33)*$D$3",  # not the add-in
    "IF(AND(ISNUMBER(G6),G6>=0),'C:\\evil.xlam'!KPI_SCORE(G6,I6,E6,F6),\"\")+SUM('加减分'!E4:E33)*$D$3",
    "IF(AND(ISNUMBER(G6),G6>=0),KPI_SCORE(G6,I6,E6,F6),\"0\")+SUM('加减分'!E4:E33)*$D$3",  # a text
    "IF(AND(ISNUMBER(G6),G6>=0),KPI_SCORE(G6,I6,E6,F6),\"\")-SUM('加减分'!E4:E33)*$D$3",  # an operator
    "8",
])
def test_a_real_change_is_a_different_formula(changed):
    assert normalize(changed, frozenset({"[1]"})) != normalize(GENERATED)


def test_shared_and_array_formulas_are_read_per_cell():
    xml = ('<sheetData><row r="4"><c r="E4" s="3"><f t="shared" ref="E4:E6" si="0">IF(B4="","",C4*$L$4)</f>'
           '<v>2</v></c><c r="F4"><f t="array" ref="F4">SUM(A1:A3*B1:B3)</f><v>7</v></c></row>'
           '<row r="5"><c r="E5" s="3"><f t="shared" si="0"/><v></v></c></row>'
           '<row r="6"><x:c r="E6" t="str"><x:f t="shared" si="0"/><x:v>a&amp;b</x:v></x:c></row></sheetData>').encode()
    cells = sheet_formulas(xml)
    assert cells["E4"].formula == 'IF(B4="","",C4*$L$4)' and cells["E4"].cached == "2"
    assert cells["E5"].formula == 'IF(B5="","",C5*$L$4)'  # relative references shift, absolute ones stay
    assert (cells["E6"].formula, cells["E6"].cached, cells["E6"].kind) == ('IF(B6="","",C6*$L$4)', "a&b", "str")
    assert cells["F4"].formula == "SUM(A1:A3*B1:B3)"


def test_rank_ties_as_a_spreadsheet_sees_them():
    ranked = rank_values([("a", 75.00000000000001), ("b", 75.0), ("c", 0.1 + 0.2), ("d", 0.3)])
    assert [(e, r, tied) for e, _, r, tied in ranked] == [("a", 1, 2), ("b", 1, 2), ("c", 3, 2), ("d", 3, 2)]


def test_logical_constants_as_libreoffice_saves_them():
    """LibreOffice writes FALSE and TRUE as FALSE() and TRUE(): the same formula."""
    assert normalize("=IF(ISNUMBER(G6),AND(G6>=0),FALSE)") == normalize("=IF(ISNUMBER(G6),AND(G6>=0),FALSE())")
    assert normalize("=IF(A1,TRUE(),1)") == normalize("=IF(A1,TRUE,1)")
    assert normalize("=IF(A1,FALSE(),1)") != normalize("=IF(A1,TRUE(),1)")
