-- 0005: pasture management and use plans of Article 13 (Law "On Pastures"; docs/domain.md):
-- one plan per okrug and term, its versions (each a frozen JSON snapshot of the content),
-- comments with their answers, and every action in the plan's history.
CREATE TABLE management_plans (
    fid INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL,
    okrug_id        TEXT NOT NULL,
    first_year      INTEGER NOT NULL,
    last_year       INTEGER NOT NULL,
    state           TEXT NOT NULL,
    version         INTEGER NOT NULL,
    in_force        INTEGER,
    decision_number TEXT,
    decision_date   DATE,
    revision        INTEGER NOT NULL,
    created_at      DATETIME NOT NULL,
    created_by      TEXT NOT NULL,
    UNIQUE (id)
);

CREATE TABLE management_versions (
    fid INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id         TEXT NOT NULL,
    version         INTEGER NOT NULL,
    content         TEXT NOT NULL,
    note            TEXT,
    decision_number TEXT,
    decision_date   DATE,
    created_at      DATETIME NOT NULL,
    created_by      TEXT NOT NULL,
    UNIQUE (plan_id, version)
);

CREATE TABLE management_comments (
    fid INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL,
    plan_id     TEXT NOT NULL,
    version     INTEGER NOT NULL,
    section     TEXT NOT NULL,
    plot_id     TEXT,
    author      TEXT NOT NULL,
    author_role TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  DATETIME NOT NULL,
    answer      TEXT,
    answered_by TEXT,
    answered_at DATETIME,
    UNIQUE (id)
);
CREATE INDEX management_comments_plan_idx ON management_comments (plan_id);

CREATE TABLE management_events (
    fid INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id  TEXT NOT NULL,
    seq      INTEGER NOT NULL,
    action   TEXT NOT NULL,
    version  INTEGER NOT NULL,
    username TEXT NOT NULL,
    at       DATETIME NOT NULL,
    detail   TEXT,
    UNIQUE (plan_id, seq)
);
