"""The month's role templates: each role's workbook built once with openpyxl, every employee's derived from
it; and the formulas a role's workbook is generated with, by meaning (what the tamper check expects)."""
from __future__ import annotations

import json

from ..core.plan import Plan
from ..workbook.derive import Template
from ..workbook.formulas import by_cell, meaning_fingerprint, template_formulas
from ..workbook.layout import build_role_template
from .record import plan_hash

_TEMPLATES: dict[tuple, Template] = {}  # role templates built in this process, by all they are built from


class Templates:
    """Each role's template for one month, mode and password, built once (and shared by every Templates of
    the process built from the same), and the fingerprint of its formulas."""

    def __init__(self, plan: Plan, month: str, mode: str, password: str | None, titles: dict, teams: dict[str, int]):
        self.plan, self.month, self.mode, self.password, self.titles, self.teams = plan, month, mode, password, titles, teams
        self.built: dict[str, Template] = {}
        self.fingerprints: dict[str, str] = {}
        self.sets: dict[str, dict[str, str]] = {}  # fingerprint → formulas (Sheet!A1 → formula)

    def template(self, role_id: str) -> Template:
        if role_id not in self.built:
            # everything the template is built from: a worker's parts (and a second run with the same plan,
            # titles and teams) share one build instead of one each
            key = (plan_hash(self.plan), role_id, self.month, self.mode, self.password,
                   json.dumps(self.titles, ensure_ascii=False, sort_keys=True, default=str),
                   tuple(sorted(self.teams.items())))
            if key not in _TEMPLATES:
                layout = build_role_template(self.plan, role_id, self.month, self.mode, self.titles, self.teams)
                if self.password:
                    for sheet in layout.workbook.worksheets:
                        if sheet.protection.sheet:
                            sheet.protection.password = self.password
                if len(_TEMPLATES) >= 64:
                    _TEMPLATES.clear()
                _TEMPLATES[key] = Template(layout)
            self.built[role_id] = _TEMPLATES[key]
        return self.built[role_id]

    def fingerprint(self, role_id: str) -> str:
        """The meaning of the formulas a role's workbook is generated with (what the tamper check expects);
        the formulas themselves go to HR's record under it (``sets``)."""
        if role_id not in self.fingerprints:
            formulas = by_cell(template_formulas(self.template(role_id)))
            fingerprint = meaning_fingerprint(formulas)
            self.fingerprints[role_id] = fingerprint
            self.sets[fingerprint] = formulas
        return self.fingerprints[role_id]
