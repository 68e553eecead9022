"""The record's schema as numbered migrations: a database at version N gets N+1… applied in order,
each in one transaction (``PRAGMA user_version`` holds N). Never edit a migration that shipped;
add the next one."""

MIGRATIONS = [
    # 1: what each month was generated from, what generate wrote, what HR imported
    """
    CREATE TABLE months (
        month TEXT PRIMARY KEY,
        plan_hash TEXT NOT NULL,
        roster_hash TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE generated (
        month TEXT NOT NULL,
        employee TEXT NOT NULL,
        role TEXT NOT NULL,
        mode TEXT NOT NULL,
        file TEXT NOT NULL,
        formulas TEXT NOT NULL,      -- fingerprint of the formulas written (sha256)
        written_at TEXT NOT NULL,
        PRIMARY KEY (month, employee)
    );
    CREATE TABLE imports (
        id INTEGER PRIMARY KEY,
        month TEXT NOT NULL,
        employee TEXT NOT NULL,
        slot TEXT NOT NULL,          -- the workbook cell's name: actual_x, target_x, baseline_x, week1_x, rating_x_self
        value REAL NOT NULL,
        source TEXT NOT NULL,        -- the imported file
        line INTEGER,
        imported_at TEXT NOT NULL
    );
    CREATE INDEX imports_by_slot ON imports (month, employee, slot, id);
    CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # 2: the send log, keyed by message (employee, kind, month), and attachment passwords drawn once
    """
    CREATE TABLE sends (
        id INTEGER PRIMARY KEY,
        month TEXT NOT NULL,
        key TEXT NOT NULL,           -- employee:E002:2026-10, password:E002:2026-10, manager:…, hr:2026-10
        kind TEXT NOT NULL,
        recipients TEXT NOT NULL,
        subject TEXT NOT NULL,
        status TEXT NOT NULL,        -- sent or failed
        error TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE INDEX sends_by_key ON sends (month, key, id);
    CREATE TABLE passwords (
        month TEXT NOT NULL,
        employee TEXT NOT NULL,
        password TEXT NOT NULL,      -- the attachment's; kept so a resumed send mails the same one
        drawn_at TEXT NOT NULL,
        PRIMARY KEY (month, employee)
    );
    """,
    # 3: HR's 加减分 rows; an import replaces the rows of the employees it names for that month
    """
    CREATE TABLE adjustments (
        id INTEGER PRIMARY KEY,
        month TEXT NOT NULL,
        employee TEXT NOT NULL,
        item TEXT NOT NULL,
        count REAL,
        chosen REAL,
        note TEXT NOT NULL,
        date TEXT,
        source TEXT NOT NULL,
        line INTEGER,
        imported_at TEXT NOT NULL
    );
    CREATE INDEX adjustments_by_employee ON adjustments (month, employee, id);
    """,
    # 4: month close (结账) records, appeals (申诉) and their amendments, improvement plans, the audit trail
    """
    CREATE TABLE closes (
        id INTEGER PRIMARY KEY,
        month TEXT NOT NULL,
        state TEXT NOT NULL,         -- closed, amended (an accepted appeal changed it) or reopened
        plan_hash TEXT NOT NULL,
        workbooks TEXT NOT NULL,     -- JSON {file name: sha256}
        payroll TEXT NOT NULL,       -- JSON: what rollup --json printed
        accepted TEXT NOT NULL,      -- JSON: the problems accepted at the close
        user TEXT NOT NULL,
        at TEXT NOT NULL,
        note TEXT NOT NULL
    );
    CREATE INDEX closes_by_month ON closes (month, id);
    CREATE TABLE appeals (
        id INTEGER PRIMARY KEY,
        month TEXT NOT NULL,
        employee TEXT NOT NULL,
        kind TEXT NOT NULL,          -- metric or item
        target TEXT NOT NULL,        -- the metric's or the 加减分 item's id
        reason TEXT NOT NULL,
        claimed REAL,
        filed_on TEXT NOT NULL,      -- the day it was received (YYYY-MM-DD)
        filed_by TEXT NOT NULL,
        status TEXT NOT NULL,        -- open, accepted or rejected
        value_before REAL,
        value_after REAL,
        pay_before TEXT,
        pay_after TEXT,
        decision TEXT NOT NULL DEFAULT '',
        decided_by TEXT NOT NULL DEFAULT '',
        decided_at TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE corrections (
        id INTEGER PRIMARY KEY,
        appeal INTEGER NOT NULL REFERENCES appeals (id),
        month TEXT NOT NULL,         -- the closed month corrected
        employee TEXT NOT NULL,
        amount TEXT NOT NULL,        -- pay after − pay before: 补发 when positive, 扣回 when negative
        payroll_month TEXT NOT NULL, -- the payroll that settles it (the month after)
        at TEXT NOT NULL
    );
    CREATE TABLE followups (
        id INTEGER PRIMARY KEY,
        month TEXT NOT NULL,         -- the month whose result called for it
        employee TEXT NOT NULL,
        goals TEXT NOT NULL,
        measures TEXT NOT NULL,
        due TEXT NOT NULL,
        status TEXT NOT NULL,        -- open or closed
        note TEXT NOT NULL DEFAULT '',
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        closed_at TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        user TEXT NOT NULL,
        command TEXT NOT NULL,
        month TEXT NOT NULL,
        employee TEXT NOT NULL,
        field TEXT NOT NULL,
        before TEXT NOT NULL,
        after TEXT NOT NULL,
        file_hash TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    CREATE INDEX audit_by_month ON audit (month, employee, id);
    """,
    # 5 (0.3.0): which release wrote each row; the formulas each workbook was generated with, by meaning; the
    # pay an earlier release rolled up, kept when a workspace is upgraded so a difference is named
    """
    ALTER TABLE audit ADD COLUMN version TEXT NOT NULL DEFAULT '';
    ALTER TABLE generated ADD COLUMN version TEXT NOT NULL DEFAULT '';
    ALTER TABLE generated ADD COLUMN plan TEXT NOT NULL DEFAULT '';  -- the meaning of the plan it was generated from
    CREATE TABLE formula_sets (
        fingerprint TEXT PRIMARY KEY,  -- m1:<sha256 of the formulas' tokens>
        formulas TEXT NOT NULL,        -- JSON {"sheet!cell": formula} as generated
        version TEXT NOT NULL,         -- the release that generated them
        origin TEXT NOT NULL,          -- generate, or how an upgrade took them over
        recorded_at TEXT NOT NULL
    );
    CREATE TABLE earlier_pay (
        month TEXT NOT NULL,
        employee TEXT NOT NULL,
        version TEXT NOT NULL,         -- the release that rolled it up
        lines TEXT NOT NULL,           -- JSON: score, grade, and the money lines as exact decimal strings
        source TEXT NOT NULL,          -- the payroll summary (or close record) it was read from
        PRIMARY KEY (month, employee)
    );
    """,
    # 6 (0.3.0): rating rounds
    """
    -- rating rounds: a form per rater, every file returned (kept as it arrived), the scores each form gave
    CREATE TABLE rating_forms (
        round TEXT NOT NULL,           -- 2026-10, or a period: 2026-Q4, 2026-H2, 2026
        rater TEXT NOT NULL,           -- 工号, or the address of a rater outside the roster
        name TEXT NOT NULL,
        email TEXT NOT NULL,
        token TEXT NOT NULL,           -- the form's hidden identity: a return must carry it
        rows TEXT NOT NULL,            -- JSON [[employee, item, group], ...]: whom it rates, on what
        file TEXT NOT NULL,
        status TEXT NOT NULL,          -- open, or excused (HR took the rater out of the round)
        built_at TEXT NOT NULL,
        PRIMARY KEY (round, rater)
    );
    CREATE TABLE returns (
        id INTEGER PRIMARY KEY,
        round TEXT NOT NULL,
        rater TEXT NOT NULL,           -- whose form ('' for an employee's workbook, or when not known)
        employee TEXT NOT NULL,        -- whose workbook ('' for a form)
        kind TEXT NOT NULL,            -- form, workbook, unknown
        sender TEXT NOT NULL,          -- the mail's From, or '' from a folder
        received_at TEXT NOT NULL,
        collected_at TEXT NOT NULL,
        file_hash TEXT NOT NULL,
        kept TEXT NOT NULL,            -- where it is kept, as it arrived (returns/<round>/…)
        original TEXT NOT NULL,        -- its name as it arrived
        status TEXT NOT NULL,          -- counted, replaced (by a later return), refused
        message TEXT NOT NULL
    );
    CREATE INDEX returns_by_round ON returns (round, rater, id);
    CREATE TABLE ratings (
        round TEXT NOT NULL,
        rater TEXT NOT NULL,
        employee TEXT NOT NULL,
        item TEXT NOT NULL,            -- the rated metric's id, or 'period'
        grp TEXT NOT NULL,             -- self, supervisor, committee, cross
        value REAL NOT NULL,
        comment TEXT NOT NULL,
        return_id INTEGER NOT NULL,    -- the return that gave it
        PRIMARY KEY (round, rater, employee, item, grp)
    );
    """,
]
