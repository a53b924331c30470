"""A union's page shows every plot its herds use, own and public, and prints where they are."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import pasture
from tests.maps.helpers import layers

from .conftest import OWN_UNION, session_cookie


@pytest.fixture(autouse=True)
def _signed_out(app_client: TestClient) -> Iterator[None]:
    yield
    app_client.cookies.clear()


def test_union_map_and_print_carry_every_plot_its_herds_use(
    app_client: TestClient, plan_id: str, pages_gpkg: Path
) -> None:
    with pasture.open_store(pages_gpkg) as store:
        used = store.read_rows("assignments", where={"plan_id": plan_id, "union_id": OWN_UNION})
        plots = store.read("plots")
    used_ids = {str(p) for p in used["plot_id"].dropna() if p}
    owner = dict(zip(plots["id"], plots["union_id"], strict=True))
    public = {p for p in used_ids if owner[p] != OWN_UNION}
    assert public, "the demo's Akshi herds graze public plots"
    session_cookie(app_client, OWN_UNION)
    page = app_client.get(f"/unions/{OWN_UNION}", params={"plan": plan_id, "lang": "ru"}).text
    drawn = layers(page)
    on_map = {f["id"] for f in drawn["used_plots"]["features"]}
    assert on_map == public  # every public plot its herds use, and no other union's idle plot
    assert drawn["herd_paths"]["features"]  # the herds' paths between their plots
    # the print lists each used plot with its centre and nearest water point
    for pid in used_ids:
        assert f"<td>{pid} " in page, pid
    assert "Ближайший водопой" in page and 'class="pasture-locator"' in page
    assert '<div class="jailym-scroll jailym-gantt"><svg' in page  # the calendar as a Gantt
