"""The month-end roll-up: every workbook read and checked, the department-wide steps (rank bonuses, team
pools, award limits, quotas) and the payroll summary workbook."""
