-- 0005: settlements; households in a settlement and not necessarily in a union; plots
-- with their cadastral number, tenure and the reservation of public pasture (Land Code
-- Art. 97 п.4, Art. 49-2).
CREATE TABLE settlements (
    id          text PRIMARY KEY,
    name_kk     text NOT NULL,
    name_ru     text NOT NULL,
    name_en     text NOT NULL,
    kato        text,
    okrug_id    text REFERENCES okrugs (id),
    kind        text CHECK (kind IN ('town', 'village', 'hamlet')),
    population  integer CHECK (population >= 0),
    households  integer CHECK (households >= 0),
    source      text,
    version     integer NOT NULL DEFAULT 1 CHECK (version >= 1),
    geom        geometry(Point, 4326) NOT NULL
                CONSTRAINT settlements_geom_valid CHECK (ST_IsValid(geom) AND NOT ST_IsEmpty(geom))
);
CREATE INDEX settlements_geom_idx ON settlements USING gist (geom);
CREATE INDEX settlements_okrug_idx ON settlements (okrug_id);

ALTER TABLE plots
    ADD COLUMN cadastral_number text,
    ADD COLUMN tenure text CHECK (tenure IN ('public', 'union', 'household', 'state')),
    ADD COLUMN settlement_id text REFERENCES settlements (id),
    ADD COLUMN reserved_basis text,
    ADD COLUMN reserved_until date;
CREATE INDEX plots_settlement_idx ON plots (settlement_id);

ALTER TABLE households
    ALTER COLUMN union_id DROP NOT NULL,
    ADD COLUMN settlement_id text REFERENCES settlements (id);
CREATE INDEX households_settlement_idx ON households (settlement_id);

ALTER TABLE census ALTER COLUMN union_id DROP NOT NULL;
