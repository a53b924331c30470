-- 0002: computed results (NDVI scenes and statistics, capacity, load, trends, green-up, plans).
-- No versions or history: results are recomputed from the layers and replaced slice by slice.
-- Reserved words (end, count, offset) are quoted.

CREATE TABLE scenes (
    fid INTEGER PRIMARY KEY AUTOINCREMENT,
    id            TEXT NOT NULL,
    date          DATE NOT NULL,
    sensor        TEXT NOT NULL,
    path          TEXT NOT NULL,
    crs           TEXT NOT NULL,
    transform     TEXT NOT NULL,
    width         INTEGER NOT NULL,
    height        INTEGER NOT NULL,
    band          INTEGER NOT NULL,
    dtype         TEXT NOT NULL,
    nodata        REAL,
    scale         REAL,
    "offset"      REAL,
    bounds_wgs84  TEXT NOT NULL,
    registered_at DATETIME NOT NULL,
    registered_by TEXT NOT NULL,
    UNIQUE (id)
);

CREATE TABLE ndvi_stats (
    fid INTEGER PRIMARY KEY AUTOINCREMENT,
    plot_id        TEXT NOT NULL,
    time           DATE NOT NULL,
    scene_id       TEXT,
    mean           REAL,
    std            REAL,
    "count"        REAL,
    valid_fraction REAL NOT NULL,
    UNIQUE (plot_id, time)
);

CREATE TABLE capacity (
    fid INTEGER PRIMARY KEY AUTOINCREMENT,
    plot_id               TEXT NOT NULL,
    year                  INTEGER NOT NULL,
    season                TEXT NOT NULL,
    days                  REAL,
    area_ha               REAL,
    utilisation           REAL,
    ndvi                  REAL,
    n_obs                 REAL,
    source                TEXT,
    biomass_low_kg_ha     REAL,
    biomass_central_kg_ha REAL,
    biomass_high_kg_ha    REAL,
    forage_low_kg         REAL,
    forage_central_kg     REAL,
    forage_high_kg        REAL,
    capacity_su_low       REAL,
    capacity_su_central   REAL,
    capacity_su_high      REAL,
    capacity_sheep        REAL,
    capacity_goats        REAL,
    capacity_cattle       REAL,
    capacity_horses       REAL,
    capacity_camels       REAL,
    model                 TEXT,
    UNIQUE (plot_id, year, season)
);

CREATE TABLE load (
    fid INTEGER PRIMARY KEY AUTOINCREMENT,
    level                  TEXT NOT NULL,
    group_id               TEXT NOT NULL,
    year                   INTEGER NOT NULL,
    season                 TEXT NOT NULL,
    demand_kg              REAL,
    forage_low_kg          REAL,
    forage_central_kg      REAL,
    forage_high_kg         REAL,
    stocking_ratio_low     REAL,
    stocking_ratio_central REAL,
    stocking_ratio_high    REAL,
    status                 TEXT NOT NULL,
    norm_status            TEXT,
    UNIQUE (level, group_id, year, season)
);

CREATE TABLE trends (
    fid INTEGER PRIMARY KEY AUTOINCREMENT,
    plot_id    TEXT NOT NULL,
    first_year INTEGER,
    last_year  INTEGER,
    n_years    INTEGER NOT NULL,
    slope      REAL,
    slope_low  REAL,
    slope_high REAL,
    tau        REAL,
    p_value    REAL,
    alpha      REAL NOT NULL,
    status     TEXT NOT NULL,
    UNIQUE (plot_id)
);

CREATE TABLE greenup (
    fid INTEGER PRIMARY KEY AUTOINCREMENT,
    plot_id      TEXT NOT NULL,
    year         INTEGER NOT NULL,
    greenup_date DATE,
    base         REAL,
    peak         REAL,
    n_valid      INTEGER,
    UNIQUE (plot_id, year)
);

CREATE TABLE plans (
    fid INTEGER PRIMARY KEY AUTOINCREMENT,
    id            TEXT NOT NULL,
    season_year   INTEGER NOT NULL,
    state         TEXT NOT NULL,
    solver        TEXT,
    solver_status TEXT,
    objective     REAL,
    bound         REAL,
    gap           REAL,
    params        TEXT NOT NULL,
    summary       TEXT,
    created_at    DATETIME NOT NULL,
    created_by    TEXT NOT NULL,
    approved_at   DATETIME,
    approved_by   TEXT,
    UNIQUE (id)
);

CREATE TABLE assignments (
    fid INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id      TEXT NOT NULL,
    herd_id      TEXT NOT NULL,
    union_id     TEXT NOT NULL,
    period       INTEGER NOT NULL,
    start        DATE NOT NULL,
    "end"        DATE NOT NULL,
    plot_id      TEXT,
    sheep_units  REAL,
    demand_kg    REAL,
    eaten_kg     REAL,
    available_kg REAL,
    UNIQUE (plan_id, herd_id, period)
);
CREATE INDEX assignments_plan_idx ON assignments (plan_id);

CREATE TABLE deficits (
    fid INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id             TEXT NOT NULL,
    union_id            TEXT NOT NULL,
    period              INTEGER NOT NULL,
    start               DATE NOT NULL,
    deficit_kg          REAL NOT NULL,
    sheep_units_to_move REAL,
    feed_kg_dm          REAL,
    UNIQUE (plan_id, union_id, period)
);
CREATE INDEX deficits_plan_idx ON deficits (plan_id);
