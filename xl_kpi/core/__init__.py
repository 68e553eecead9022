"""The pure core: plan models and their validation, the rules, the scorecard, numbers as spreadsheets compare
them. No files, no xlwings, no printing."""
