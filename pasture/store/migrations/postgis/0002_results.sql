-- 0002: computed results (NDVI scenes and statistics, capacity, load, trends, green-up, plans).
-- No versions or history: results are recomputed from the layers and replaced slice by slice.
-- Reserved words (end, count, offset) are quoted.

CREATE TABLE scenes (
    id            text NOT NULL,
    date          date NOT NULL,
    sensor        text NOT NULL,
    path          text NOT NULL,
    crs           text NOT NULL,
    transform     jsonb NOT NULL,
    width         integer NOT NULL,
    height        integer NOT NULL,
    band          integer NOT NULL,
    dtype         text NOT NULL,
    nodata        double precision,
    scale         double precision,
    "offset"      double precision,
    bounds_wgs84  jsonb NOT NULL,
    registered_at timestamptz NOT NULL,
    registered_by text NOT NULL,
    PRIMARY KEY (id)
);

CREATE TABLE ndvi_stats (
    plot_id        text NOT NULL,
    time           date NOT NULL,
    scene_id       text,
    mean           double precision,
    std            double precision,
    "count"        double precision,
    valid_fraction double precision NOT NULL,
    PRIMARY KEY (plot_id, time)
);

CREATE TABLE capacity (
    plot_id               text NOT NULL,
    year                  integer NOT NULL,
    season                text NOT NULL,
    days                  double precision,
    area_ha               double precision,
    utilisation           double precision,
    ndvi                  double precision,
    n_obs                 double precision,
    source                text,
    biomass_low_kg_ha     double precision,
    biomass_central_kg_ha double precision,
    biomass_high_kg_ha    double precision,
    forage_low_kg         double precision,
    forage_central_kg     double precision,
    forage_high_kg        double precision,
    capacity_su_low       double precision,
    capacity_su_central   double precision,
    capacity_su_high      double precision,
    capacity_sheep        double precision,
    capacity_goats        double precision,
    capacity_cattle       double precision,
    capacity_horses       double precision,
    capacity_camels       double precision,
    model                 jsonb,
    PRIMARY KEY (plot_id, year, season)
);

CREATE TABLE load (
    level                  text NOT NULL,
    group_id               text NOT NULL,
    year                   integer NOT NULL,
    season                 text NOT NULL,
    demand_kg              double precision,
    forage_low_kg          double precision,
    forage_central_kg      double precision,
    forage_high_kg         double precision,
    stocking_ratio_low     double precision,
    stocking_ratio_central double precision,
    stocking_ratio_high    double precision,
    status                 text NOT NULL,
    norm_status            text,
    PRIMARY KEY (level, group_id, year, season)
);

CREATE TABLE trends (
    plot_id    text NOT NULL,
    first_year integer,
    last_year  integer,
    n_years    integer NOT NULL,
    slope      double precision,
    slope_low  double precision,
    slope_high double precision,
    tau        double precision,
    p_value    double precision,
    alpha      double precision NOT NULL,
    status     text NOT NULL,
    PRIMARY KEY (plot_id)
);

CREATE TABLE greenup (
    plot_id      text NOT NULL,
    year         integer NOT NULL,
    greenup_date date,
    base         double precision,
    peak         double precision,
    n_valid      integer,
    PRIMARY KEY (plot_id, year)
);

CREATE TABLE plans (
    id            text NOT NULL,
    season_year   integer NOT NULL,
    state         text NOT NULL,
    solver        text,
    solver_status text,
    objective     double precision,
    bound         double precision,
    gap           double precision,
    params        jsonb NOT NULL,
    summary       jsonb,
    created_at    timestamptz NOT NULL,
    created_by    text NOT NULL,
    approved_at   timestamptz,
    approved_by   text,
    PRIMARY KEY (id)
);

CREATE TABLE assignments (
    plan_id      text NOT NULL,
    herd_id      text NOT NULL,
    union_id     text NOT NULL,
    period       integer NOT NULL,
    start        date NOT NULL,
    "end"        date NOT NULL,
    plot_id      text,
    sheep_units  double precision,
    demand_kg    double precision,
    eaten_kg     double precision,
    available_kg double precision,
    PRIMARY KEY (plan_id, herd_id, period)
);
CREATE INDEX assignments_plan_idx ON assignments (plan_id);

CREATE TABLE deficits (
    plan_id             text NOT NULL,
    union_id            text NOT NULL,
    period              integer NOT NULL,
    start               date NOT NULL,
    deficit_kg          double precision NOT NULL,
    sheep_units_to_move double precision,
    feed_kg_dm          double precision,
    PRIMARY KEY (plan_id, union_id, period)
);
CREATE INDEX deficits_plan_idx ON deficits (plan_id);
