# The two commands of the README: `make demo` and `make test`.
# Both create .venv and install the project into it; `make test` also makes
# sure PostgreSQL is up with the PostGIS extension package installed.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO   ?= demo/enbekshikazakh.gpkg
PG_ADMIN_URL ?= postgresql://postgres@127.0.0.1:5432/postgres

.PHONY: demo test lint typecheck pytest postgis chromium gdal36 qgis caddy bench clean

# The install also compiles numba's kernels (`pasture kernels warm`) into pasture's
# __pycache__ (or $NUMBA_CACHE_DIR), not at a first call: the processes and the dask
# workers of the commands, benchmarks and tests load them from there.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	$(BIN)/pasture kernels warm
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/pasture demo --store $(DEMO)

postgis:
	bash scripts/ensure-postgis.sh

# Debian's headless Chromium for the browser tests of the map pages
chromium:
	bash scripts/ensure-chromium.sh

# Debian 12's ogrinfo (GDAL 3.6) in .cache/gdal36 for the GDAL client tests; installs nothing
gdal36:
	bash scripts/ensure-gdal36.sh

# Debian 12's QGIS 3.22 (python3-qgis, qgis-providers) for the QGIS client test, headless;
# never touches the PostgreSQL server packages
qgis:
	bash scripts/ensure-qgis.sh

# Debian 12's caddy (2.6.2) in .cache/caddy for the tests of deploy/Caddyfile; installs
# nothing (the package would start a caddy service on port 80)
caddy:
	bash scripts/ensure-caddy.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# PASTURE_REQUIRE_PG=1 makes a missing PostGIS a failure; PASTURE_NO_SKIPS=1 fails the
# run on any skipped test (everything a test needs is installed above).
pytest: $(STAMP) postgis chromium gdal36 qgis caddy
	PASTURE_TEST_PG=$(PG_ADMIN_URL) PASTURE_REQUIRE_PG=1 PASTURE_NO_SKIPS=1 $(BIN)/pytest

test: lint typecheck pytest

bench: $(STAMP) postgis
	PASTURE_TEST_PG=$(PG_ADMIN_URL) $(BIN)/python benchmarks/store.py

clean:
	rm -rf $(VENV) demo .pytest_cache .mypy_cache .ruff_cache
