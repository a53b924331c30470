"""The demo plan's rotation map and calendar through the app: colours, states, dates, files."""

from __future__ import annotations

import colorsys
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

import pasture
from pasture.maps.rotation import week_states
from pasture.science.herds import VILLAGE_PREFIX

from .conftest import session_cookie


@pytest.fixture(autouse=True)
def _signed_out(app_client: TestClient) -> Iterator[None]:
    """The shared client leaves these tests without a session, as other modules expect."""
    yield
    app_client.cookies.clear()


_DATA = re.compile(r"\}\)\((\w+), (\w+), (\{\"weeks\".*?\})\);\n", re.S)


def _rotation(html: str) -> dict[str, object]:
    found = _DATA.search(html)
    assert found, "the week selector's data is not on the page"
    return dict(json.loads(found.group(3)))


_URL = re.compile(r"/\* pasture-remote-layer: plots \*/.*?var url = (\"[^\"]*\")", re.S)
_NUMBER = re.compile(r"\d+\.\d{4,}")


def _layer(client: TestClient, html: str, store: Path, zoom: int = 12) -> dict[str, Any]:
    """The plots the rotation page fetches for a view of every plot of ``store`` at
    ``zoom``, as it asks (its URL, ``bbox`` and ``zoom`` added)."""
    found = _URL.search(html)
    assert found, "the rotation page fetches no plot layer"
    url = json.loads(found.group(1))
    assert "var extent = null;" in html  # asked by view, not for a whole extent
    with pasture.open_store(store) as opened:
        w, s, e, n = opened.read("plots").to_crs(4326).total_bounds
    box = ",".join(f"{v:.5f}" for v in (w - 0.01, s - 0.01, e + 0.01, n + 0.01))
    r = client.get(f"{url}&bbox={box}&zoom={zoom}")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/geo+json")
    return dict(r.json())


def _coordinates(geometry: Any) -> set[str]:
    """Every vertex of a geometry's numbers as they would be written (5 and 4 decimals)."""
    import shapely

    xy = shapely.get_coordinates(geometry)
    return {f"{v:.5f}".rstrip("0") for v in xy.ravel()} | {f"{v:.4f}" for v in xy.ravel()}


@pytest.mark.parametrize("user", ["akimat", "upu-akshi"])
def test_the_rotation_page_carries_no_plot_geometry(
    app_client: TestClient, plan_id: str, pages_gpkg: Path, user: str
) -> None:
    session_cookie(app_client, user)
    html = app_client.get(f"/plans/{plan_id}/map", params={"lang": "ru"}).text
    with pasture.open_store(pages_gpkg) as store:
        plots = store.read("plots")
        assignments = store.read_rows("assignments", where={"plan_id": plan_id})
    vertices: set[str] = set()
    for g in plots.geometry:
        vertices |= _coordinates(g)
    written = set(_NUMBER.findall(html))
    assert not written & vertices, sorted(written & vertices)[:5]
    assert '"coordinates"' not in html and len(html) < 200_000
    # the layer holds the plots the caller may see: a union its own and those its herds use
    drawn = {f["id"] for f in _layer(app_client, html, pages_gpkg)["features"]}
    if user == "akimat":
        assert drawn == set(plots["id"])
    else:
        mine = assignments[assignments["union_id"] == user]
        used = {str(p) for p in mine["plot_id"].dropna() if p}
        own = set(plots.loc[plots["union_id"] == user, "id"])
        assert drawn == own | used
        foreign = set(assignments["plot_id"].dropna()) - own - used
        assert foreign and not drawn & foreign


def test_demo_plan_colours_states_and_dates(
    app_client: TestClient, plan_id: str, pages_gpkg: Path
) -> None:
    session_cookie(app_client, "akimat")
    html = app_client.get(f"/plans/{plan_id}/map", params={"lang": "en"}).text
    data = _rotation(html)
    herds = data["herds"]
    assert isinstance(herds, list)
    with pasture.open_store(pages_gpkg) as store:
        unions = store.read("unions").set_index("id")["name"]
        herd_union = store.read("herds").set_index("id")["union_id"]
        plots = store.read("plots").set_index("id")["seasons"]
    # each herd's label is unique and names its union
    names = [h["n"] for h in herds]
    assert len(set(names)) == len(names)
    hue_of: dict[str, set[float]] = {}
    colour_of: dict[str, list[str]] = {}
    # village flocks (households in no union, pasture.science.herds) are land users of
    # their own, labelled by their settlement's name; the union invariants are checked here
    village = [h for h in herds if " village — " in h["n"]]
    assert not any(h["n"].startswith(VILLAGE_PREFIX) for h in herds)  # names, not ids
    assert len(village) > 0
    for h in herds:
        if h in village:
            continue
        union = next(u for u, n in unions.items() if h["n"].startswith(f"{n}: "))
        colour_of.setdefault(union, []).append(h["c"])
        r, g, b = (int(h["c"][i : i + 2], 16) / 255 for i in (1, 3, 5))
        hue_of.setdefault(union, set()).add(round(colorsys.rgb_to_hls(r, g, b)[0] * 360 / 10))
    for union, colours in colour_of.items():
        assert len(set(colours)) == len(colours), union  # no two herds of a union share one
    assert len(herd_union.unique()) >= len(colour_of) > 1
    union_hues = [min(h) for h in hue_of.values()]
    assert len(set(union_hues)) == len(union_hues)  # no two unions share a hue
    # weeks are dated; winter plots are out of season in July
    weeks = data["weeks"]
    assert isinstance(weeks, list)
    july = [i for i, w in enumerate(weeks) if " Jul" in w.split(":")[1]]
    assert july
    features = _layer(app_client, html, pages_gpkg)["features"]
    # one character a week (compact_weeks); the same states as the page's script reads them
    assert all(isinstance(f["properties"]["w"], str) for f in features)
    states = {f["id"]: week_states(f["properties"]) for f in features}
    # winter pasture (the plains' winter-spring belt) has no summer season
    winter = [p for p, s in plots.items() if s and "winter" in s and "summer" not in s]
    assert winter
    for p in winter:
        assert all(states[p][i] == -2 for i in july), p
    assert "Herds by union" in html and "pasture-herd-search" in html


def test_calendar_is_a_gantt_in_every_format(app_client: TestClient, plan_id: str) -> None:
    session_cookie(app_client, "akimat")
    page = app_client.get(f"/plans/{plan_id}/chart", params={"lang": "kk"})
    assert page.status_code == 200 and "<svg" in page.text
    assert "f=pdf&amp;paper=a4" in page.text and "f=pdf&amp;paper=a3" in page.text
    pdf = app_client.get(f"/plans/{plan_id}/chart", params={"f": "pdf", "paper": "a3"})
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    bad = app_client.get(f"/plans/{plan_id}/chart", params={"f": "pdf", "paper": "b5"})
    assert bad.status_code == 400 and "paper" in bad.text  # the parameter is named


def _village_rows(pages_gpkg: Path, plan_id: str) -> Any:
    with pasture.open_store(pages_gpkg) as store:
        rows = store.read_rows("plan_herds", where={"plan_id": plan_id})
        planned = set(store.read_rows("assignments", where={"plan_id": plan_id})["herd_id"])
        names = store.read("settlements").set_index("id")
    assert set(rows["herd_id"]) == planned  # every herd of the plan, stored with it
    village = rows[rows["kind"] == "village"]
    assert (
        len(village) > 0
        and village[["settlement_id", "species", "flock", "flocks"]].notna().all().all()
    )
    return village, names


@pytest.mark.parametrize(
    ("lang", "phrase"),
    [("en", "village — sheep flock"), ("ru", "— отара овец"), ("kk", "— қой отары")],
)
def test_village_flocks_are_named_in_the_pages_language(
    app_client: TestClient, plan_id: str, pages_gpkg: Path, lang: str, phrase: str
) -> None:
    village, settlements = _village_rows(pages_gpkg, plan_id)
    sheep = village[village["species"] == "sheep"].iloc[0]
    place = settlements.loc[sheep["settlement_id"], f"name_{lang}"]
    session_cookie(app_client, "akimat")
    html = app_client.get(f"/plans/{plan_id}/map", params={"lang": lang}).text
    names = [h["n"] for h in _rotation(html)["herds"]]  # type: ignore[union-attr]
    # the herd search and the labels read the flock's name built from its stored parts
    wanted = [n for n in names if str(place) in n and phrase in n]
    assert wanted, (place, phrase, names[-3:])
    assert not [n for n in names if str(sheep["herd_id"]) in n]  # no raw id
    svg = app_client.get(f"/plans/{plan_id}/chart", params={"f": "svg", "lang": lang}).text
    assert phrase in svg  # the calendar names the flock the same way


def test_a_plan_stored_before_plan_herds_draws_as_before(
    plan_id: str, pages_gpkg: Path, tmp_path: Path
) -> None:
    from pasture_api.main import create_app

    from .conftest import copy_pages_store, settings

    path = copy_pages_store(pages_gpkg, tmp_path / "old.gpkg")
    with pasture.open_store(path) as store:
        rows = store.read_rows("plan_herds", where={"plan_id": plan_id})
        store.replace_rows("plan_herds", rows.iloc[0:0], where={"plan_id": plan_id})
        herd_names = set(store.read("herds")["name"].dropna())
    with TestClient(create_app(settings(path))) as client:
        session_cookie(client, "akimat")
        html = client.get(f"/plans/{plan_id}/map", params={"lang": "en"})
        assert html.status_code == 200
        names = [h["n"] for h in _rotation(html.text)["herds"]]  # type: ignore[union-attr]
        # today's labels: a union's herd by the herds layer's name, a flock by its id
        assert any(n.split(": ", 1)[-1] in herd_names for n in names)
        assert any("village-" in n for n in names)
        assert len(_layer(client, html.text, path)["features"]) > 0
        chart = client.get(f"/plans/{plan_id}/chart", params={"f": "svg"})
        assert chart.status_code == 200 and "village — " not in chart.text
