-- 0001: the pasture geodata layer. Geometry in EPSG:4326 with declared type,
-- validity enforced by constraints, GiST indexes on every geometry column.
CREATE EXTENSION IF NOT EXISTS postgis;

CREATE TABLE meta (
    key   text PRIMARY KEY,
    value text NOT NULL
);

CREATE TABLE okrugs (
    id      text PRIMARY KEY,
    name_kk text NOT NULL,
    name_ru text NOT NULL,
    name_en text NOT NULL,
    kato    text,
    source  text,
    version integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    geom    geometry(MultiPolygon, 4326) NOT NULL
            CONSTRAINT okrugs_geom_valid CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom))
);
CREATE INDEX okrugs_geom_idx ON okrugs USING gist (geom);

CREATE TABLE unions (
    id       text PRIMARY KEY,
    name     text NOT NULL,
    okrug_id text NOT NULL REFERENCES okrugs (id),
    contact  text,
    source   text,
    version  integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    geom     geometry(MultiPolygon, 4326) NOT NULL
             CONSTRAINT unions_geom_valid CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom))
);
CREATE INDEX unions_geom_idx ON unions USING gist (geom);

CREATE TABLE plots (
    id               text PRIMARY KEY,
    name             text,
    union_id         text REFERENCES unions (id),
    okrug_id         text NOT NULL REFERENCES okrugs (id),
    seasons          text NOT NULL
                     CHECK (seasons ~ '^(winter|spring|summer|autumn)(,(winter|spring|summer|autumn))*$'),
    pasture_type     text NOT NULL,
    land_category    text,
    land_user        text,
    elevation_m      double precision,
    yield_winter_cha double precision CHECK (yield_winter_cha >= 0),
    yield_spring_cha double precision CHECK (yield_spring_cha >= 0),
    yield_summer_cha double precision CHECK (yield_summer_cha >= 0),
    yield_autumn_cha double precision CHECK (yield_autumn_cha >= 0),
    area_ha          double precision CHECK (area_ha >= 0),
    source           text,
    version          integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    geom             geometry(MultiPolygon, 4326) NOT NULL
                     CONSTRAINT plots_geom_valid CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom))
);
CREATE INDEX plots_geom_idx ON plots USING gist (geom);
CREATE INDEX plots_union_idx ON plots (union_id);

CREATE TABLE water_points (
    id              text PRIMARY KEY,
    name            text,
    kind            text NOT NULL,
    capacity_m3_day double precision CHECK (capacity_m3_day >= 0),
    source          text,
    version         integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    geom            geometry(Point, 4326) NOT NULL
                    CONSTRAINT water_points_geom_valid CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom))
);
CREATE INDEX water_points_geom_idx ON water_points USING gist (geom);

CREATE TABLE routes (
    id      text PRIMARY KEY,
    name    text,
    seasons text NOT NULL
            CHECK (seasons ~ '^(winter|spring|summer|autumn)(,(winter|spring|summer|autumn))*$'),
    source  text,
    version integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    geom    geometry(MultiLineString, 4326) NOT NULL
            CONSTRAINT routes_geom_valid CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom))
);
CREATE INDEX routes_geom_idx ON routes USING gist (geom);

CREATE TABLE households (
    id       text PRIMARY KEY,
    name     text NOT NULL,
    union_id text NOT NULL REFERENCES unions (id),
    source   text,
    version  integer NOT NULL DEFAULT 1 CHECK (version >= 1)
);
CREATE INDEX households_union_idx ON households (union_id);

CREATE TABLE census (
    id           text PRIMARY KEY,
    household_id text NOT NULL REFERENCES households (id),
    union_id     text NOT NULL REFERENCES unions (id),
    date         date NOT NULL,
    sheep        integer NOT NULL CHECK (sheep >= 0),
    goats        integer NOT NULL CHECK (goats >= 0),
    cattle       integer NOT NULL CHECK (cattle >= 0),
    horses       integer NOT NULL CHECK (horses >= 0),
    camels       integer NOT NULL CHECK (camels >= 0),
    source       text,
    version      integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    UNIQUE (household_id, date)
);
CREATE INDEX census_union_idx ON census (union_id);

CREATE TABLE herds (
    id       text PRIMARY KEY,
    name     text,
    union_id text NOT NULL REFERENCES unions (id),
    sheep    integer NOT NULL CHECK (sheep >= 0),
    goats    integer NOT NULL CHECK (goats >= 0),
    cattle   integer NOT NULL CHECK (cattle >= 0),
    horses   integer NOT NULL CHECK (horses >= 0),
    camels   integer NOT NULL CHECK (camels >= 0),
    source   text,
    version  integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    geom     geometry(Point, 4326) NOT NULL
             CONSTRAINT herds_geom_valid CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom))
);
CREATE INDEX herds_geom_idx ON herds USING gist (geom);
CREATE INDEX herds_union_idx ON herds (union_id);

-- Every change of an editable record: who, when, before and after.
CREATE TABLE history (
    seq       bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    layer     text NOT NULL,
    record_id text NOT NULL,
    action    text NOT NULL CHECK (action IN ('insert', 'update', 'delete')),
    version   integer NOT NULL,
    username  text NOT NULL,
    at        timestamptz NOT NULL DEFAULT now(),
    before    jsonb,
    after     jsonb
);
CREATE INDEX history_record_idx ON history (layer, record_id);
