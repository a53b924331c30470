"""Bytes of each union's page (ru) through the app's ASGI client, on a copy of a demo store.

Issue 17 item 4: the union page carried its Gantt chart as inline SVG; it now loads the
chart from ``/unions/{id}/chart``. Run on a store that ``pasture demo`` built, with the
code before and after the change (``PYTHONPATH`` a checkout of each)::

    python benchmarks/union_page.py demo/enbekshikazakh.gpkg

The store is copied first (the app upgrades a store's schema; the demo accounts are set
on the copy), so one demo store serves both runs. Prints each union's page bytes, their
total, and the chart's bytes where the page links one.
"""

from __future__ import annotations

import argparse
import re
import shutil
import tempfile
from pathlib import Path

from fastapi.testclient import TestClient

import pasture
from pasture_api.main import create_app
from pasture_api.settings import Settings
from pasture_api.users import create_demo_users

PASSWORD = "bench"
_CHART = re.compile(r'jailym-gantt"><img src="([^"]+)"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", type=Path, help="a demo GeoPackage with a plan")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "demo.gpkg"
        shutil.copy(args.store, path)
        with pasture.open_store(path) as store:
            create_demo_users(store, PASSWORD)
            unions = sorted(store.read("unions")["id"])
        settings = Settings(_env_file=None, store=str(path), basemap_url="")  # type: ignore[call-arg]
        with TestClient(create_app(settings)) as client:
            r = client.post("/login", data={"username": "akimat", "password": PASSWORD})
            assert r.status_code == 200, r.status_code
            total = charts = 0
            for union in unions:
                page = client.get(f"/unions/{union}", params={"lang": "ru"})
                assert page.status_code == 200, (union, page.status_code)
                size = len(page.content)
                total += size
                found = _CHART.search(page.text)
                chart = (
                    len(client.get(found.group(1).replace("&amp;", "&")).content) if found else 0
                )
                charts += chart
                print(f"{union}\tpage {size:,} B\tchart {chart:,} B")
            print(f"{len(unions)} unions\tpages {total:,} B\tcharts {charts:,} B")


if __name__ == "__main__":
    main()
