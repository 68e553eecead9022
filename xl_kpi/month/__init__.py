"""The month's own steps: generate the workbooks (from role templates, with HR's record of the month), import
every kind of file HR imports, and score the returned workbooks."""
