"""The files people fill: the monthly workbook of a role built once, each employee's derived from it, and
read back (off its template when still as written, else in full, formulas compared by their tokens)."""
