"""After the payroll: month close (结账) and reopening, appeals (申诉) and their amendments."""
