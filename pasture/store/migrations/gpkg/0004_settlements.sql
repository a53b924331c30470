-- 0004: settlements; households in a settlement and not necessarily in a union; plots
-- with their cadastral number, tenure and the reservation of public pasture (Land Code
-- Art. 97 п.4, Art. 49-2). SQLite cannot drop NOT NULL in place, so households and
-- census are rebuilt as its ALTER TABLE documentation describes (new table, copy, drop,
-- rename); the store runs migrations with foreign keys off and checks them before it
-- commits. Their gpkg_contents rows keep their names and stay valid; the settlements
-- layer is registered (contents, geometry column, R-tree) by the store after this runs.
CREATE TABLE settlements (
    fid         INTEGER PRIMARY KEY AUTOINCREMENT,
    id          TEXT NOT NULL UNIQUE,
    name_kk     TEXT NOT NULL,
    name_ru     TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    kato        TEXT,
    okrug_id    TEXT REFERENCES okrugs (id),
    kind        TEXT CHECK (kind IN ('town', 'village', 'hamlet')),
    population  INTEGER CHECK (population >= 0),
    households  INTEGER CHECK (households >= 0),
    source      TEXT,
    version     INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    geom        POINT NOT NULL
);
CREATE INDEX settlements_okrug_idx ON settlements (okrug_id);

ALTER TABLE plots ADD COLUMN cadastral_number TEXT;
ALTER TABLE plots ADD COLUMN tenure TEXT CHECK (tenure IN ('public', 'union', 'household', 'state'));
ALTER TABLE plots ADD COLUMN settlement_id TEXT REFERENCES settlements (id);
ALTER TABLE plots ADD COLUMN reserved_basis TEXT;
ALTER TABLE plots ADD COLUMN reserved_until DATE;
CREATE INDEX plots_settlement_idx ON plots (settlement_id);

CREATE TABLE households_new (
    fid           INTEGER PRIMARY KEY AUTOINCREMENT,
    id            TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    union_id      TEXT REFERENCES unions (id),
    source        TEXT,
    version       INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    settlement_id TEXT REFERENCES settlements (id)
);
INSERT INTO households_new (fid, id, name, union_id, source, version)
    SELECT fid, id, name, union_id, source, version FROM households;

CREATE TABLE census_new (
    fid          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT NOT NULL UNIQUE,
    household_id TEXT NOT NULL REFERENCES households (id),
    union_id     TEXT REFERENCES unions (id),
    date         DATE NOT NULL,
    sheep        INTEGER NOT NULL CHECK (sheep >= 0),
    goats        INTEGER NOT NULL CHECK (goats >= 0),
    cattle       INTEGER NOT NULL CHECK (cattle >= 0),
    horses       INTEGER NOT NULL CHECK (horses >= 0),
    camels       INTEGER NOT NULL CHECK (camels >= 0),
    source       TEXT,
    version      INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    UNIQUE (household_id, date)
);
INSERT INTO census_new (fid, id, household_id, union_id, date, sheep, goats, cattle, horses, camels, source, version)
    SELECT fid, id, household_id, union_id, date, sheep, goats, cattle, horses, camels, source, version FROM census;

DROP TABLE census;
DROP TABLE households;
ALTER TABLE households_new RENAME TO households;
ALTER TABLE census_new RENAME TO census;
CREATE INDEX households_union_idx ON households (union_id);
CREATE INDEX households_settlement_idx ON households (settlement_id);
CREATE INDEX census_union_idx ON census (union_id);
