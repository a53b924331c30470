-- 0009: the herds of a plan as it planned them (issue 17): name, land user, kind, heads
-- and, for a village flock, the parts its name is built from (settlement, species,
-- flock k of n), so that the maps, the calendar and the exports name a village flock in
-- the page's language. Village flocks are not in the herds layer; before this table a
-- plan's maps showed their ids. A plan stored before it has no rows here: the pages
-- fall back to the herds layer.
CREATE TABLE plan_herds (
    fid INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id       TEXT NOT NULL,
    herd_id       TEXT NOT NULL,
    union_id      TEXT NOT NULL,
    kind          TEXT NOT NULL,
    name          TEXT,
    settlement_id TEXT,
    species       TEXT,
    flock         INTEGER,
    flocks        INTEGER,
    sheep         INTEGER,
    goats         INTEGER,
    cattle        INTEGER,
    horses        INTEGER,
    camels        INTEGER,
    UNIQUE (plan_id, herd_id)
);
CREATE INDEX plan_herds_plan_idx ON plan_herds (plan_id);
