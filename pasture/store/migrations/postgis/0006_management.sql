-- 0006: pasture management and use plans of Article 13 (Law "On Pastures"; docs/domain.md):
-- one plan per okrug and term, its versions (each a frozen JSON snapshot of the content),
-- comments with their answers, and every action in the plan's history.
CREATE TABLE management_plans (
    id              text NOT NULL,
    okrug_id        text NOT NULL,
    first_year      integer NOT NULL,
    last_year       integer NOT NULL,
    state           text NOT NULL,
    version         integer NOT NULL,
    in_force        integer,
    decision_number text,
    decision_date   date,
    revision        integer NOT NULL,
    created_at      timestamptz NOT NULL,
    created_by      text NOT NULL,
    PRIMARY KEY (id)
);

CREATE TABLE management_versions (
    plan_id         text NOT NULL,
    version         integer NOT NULL,
    content         jsonb NOT NULL,
    note            text,
    decision_number text,
    decision_date   date,
    created_at      timestamptz NOT NULL,
    created_by      text NOT NULL,
    PRIMARY KEY (plan_id, version)
);

CREATE TABLE management_comments (
    id          text NOT NULL,
    plan_id     text NOT NULL,
    version     integer NOT NULL,
    section     text NOT NULL,
    plot_id     text,
    author      text NOT NULL,
    author_role text NOT NULL,
    body        text NOT NULL,
    created_at  timestamptz NOT NULL,
    answer      text,
    answered_by text,
    answered_at timestamptz,
    PRIMARY KEY (id)
);
CREATE INDEX management_comments_plan_idx ON management_comments (plan_id);

CREATE TABLE management_events (
    plan_id  text NOT NULL,
    seq      integer NOT NULL,
    action   text NOT NULL,
    version  integer NOT NULL,
    username text NOT NULL,
    at       timestamptz NOT NULL,
    detail   jsonb,
    PRIMARY KEY (plan_id, seq)
);
