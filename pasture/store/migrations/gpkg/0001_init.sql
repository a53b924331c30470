-- 0001: the pasture geodata layer as GeoPackage 1.4 user tables. Every table
-- has an INTEGER PRIMARY KEY (fid) as the GeoPackage spec requires; the
-- registration in gpkg_contents, gpkg_geometry_columns and the R-tree
-- indexes are added from the layer definitions by the store (the spec's own
-- templates, repeated per table).
CREATE TABLE meta (
    fid   INTEGER PRIMARY KEY AUTOINCREMENT,
    key   TEXT NOT NULL UNIQUE,
    value TEXT NOT NULL
);

CREATE TABLE okrugs (
    fid     INTEGER PRIMARY KEY AUTOINCREMENT,
    id      TEXT NOT NULL UNIQUE,
    name_kk TEXT NOT NULL,
    name_ru TEXT NOT NULL,
    name_en TEXT NOT NULL,
    kato    TEXT,
    source  TEXT,
    version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    geom    MULTIPOLYGON NOT NULL
);

CREATE TABLE unions (
    fid      INTEGER PRIMARY KEY AUTOINCREMENT,
    id       TEXT NOT NULL UNIQUE,
    name     TEXT NOT NULL,
    okrug_id TEXT NOT NULL REFERENCES okrugs (id),
    contact  TEXT,
    source   TEXT,
    version  INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    geom     MULTIPOLYGON NOT NULL
);

CREATE TABLE plots (
    fid              INTEGER PRIMARY KEY AUTOINCREMENT,
    id               TEXT NOT NULL UNIQUE,
    name             TEXT,
    union_id         TEXT REFERENCES unions (id),
    okrug_id         TEXT NOT NULL REFERENCES okrugs (id),
    seasons          TEXT NOT NULL,
    pasture_type     TEXT NOT NULL,
    land_category    TEXT,
    land_user        TEXT,
    elevation_m      REAL,
    yield_winter_cha REAL CHECK (yield_winter_cha >= 0),
    yield_spring_cha REAL CHECK (yield_spring_cha >= 0),
    yield_summer_cha REAL CHECK (yield_summer_cha >= 0),
    yield_autumn_cha REAL CHECK (yield_autumn_cha >= 0),
    area_ha          REAL CHECK (area_ha >= 0),
    source           TEXT,
    version          INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    geom             MULTIPOLYGON NOT NULL
);
CREATE INDEX plots_union_idx ON plots (union_id);

CREATE TABLE water_points (
    fid             INTEGER PRIMARY KEY AUTOINCREMENT,
    id              TEXT NOT NULL UNIQUE,
    name            TEXT,
    kind            TEXT NOT NULL,
    capacity_m3_day REAL CHECK (capacity_m3_day >= 0),
    source          TEXT,
    version         INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    geom            POINT NOT NULL
);

CREATE TABLE routes (
    fid     INTEGER PRIMARY KEY AUTOINCREMENT,
    id      TEXT NOT NULL UNIQUE,
    name    TEXT,
    seasons TEXT NOT NULL,
    source  TEXT,
    version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    geom    MULTILINESTRING NOT NULL
);

CREATE TABLE households (
    fid      INTEGER PRIMARY KEY AUTOINCREMENT,
    id       TEXT NOT NULL UNIQUE,
    name     TEXT NOT NULL,
    union_id TEXT NOT NULL REFERENCES unions (id),
    source   TEXT,
    version  INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1)
);
CREATE INDEX households_union_idx ON households (union_id);

CREATE TABLE census (
    fid          INTEGER PRIMARY KEY AUTOINCREMENT,
    id           TEXT NOT NULL UNIQUE,
    household_id TEXT NOT NULL REFERENCES households (id),
    union_id     TEXT NOT NULL REFERENCES unions (id),
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
CREATE INDEX census_union_idx ON census (union_id);

CREATE TABLE herds (
    fid      INTEGER PRIMARY KEY AUTOINCREMENT,
    id       TEXT NOT NULL UNIQUE,
    name     TEXT,
    union_id TEXT NOT NULL REFERENCES unions (id),
    sheep    INTEGER NOT NULL CHECK (sheep >= 0),
    goats    INTEGER NOT NULL CHECK (goats >= 0),
    cattle   INTEGER NOT NULL CHECK (cattle >= 0),
    horses   INTEGER NOT NULL CHECK (horses >= 0),
    camels   INTEGER NOT NULL CHECK (camels >= 0),
    source   TEXT,
    version  INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    geom     POINT NOT NULL
);
CREATE INDEX herds_union_idx ON herds (union_id);

CREATE TABLE history (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    layer     TEXT NOT NULL,
    record_id TEXT NOT NULL,
    action    TEXT NOT NULL CHECK (action IN ('insert', 'update', 'delete')),
    version   INTEGER NOT NULL,
    username  TEXT NOT NULL,
    at        DATETIME NOT NULL,
    before    TEXT,
    after     TEXT
);
CREATE INDEX history_record_idx ON history (layer, record_id);
