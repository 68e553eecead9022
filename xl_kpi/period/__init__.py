"""Beyond one month: the period reviews (quarter, half-year, year) and the performance report (绩效报告)."""
