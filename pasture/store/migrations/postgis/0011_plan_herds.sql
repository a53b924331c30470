-- 0011: the herds of a plan as it planned them (issue 17): name, land user, kind, heads
-- and, for a village flock, the parts its name is built from (settlement, species,
-- flock k of n), so that the maps, the calendar and the exports name a village flock in
-- the page's language. Village flocks are not in the herds layer; before this table a
-- plan's maps showed their ids. A plan stored before it has no rows here: the pages
-- fall back to the herds layer.
CREATE TABLE plan_herds (
    plan_id       text NOT NULL,
    herd_id       text NOT NULL,
    union_id      text NOT NULL,
    kind          text NOT NULL,
    name          text,
    settlement_id text,
    species       text,
    flock         integer,
    flocks        integer,
    sheep         integer,
    goats         integer,
    cattle        integer,
    horses        integer,
    camels        integer,
    PRIMARY KEY (plan_id, herd_id)
);
CREATE INDEX plan_herds_plan_idx ON plan_herds (plan_id);
