"""The plan pages through the ASGI app on a copy of the demo store: list, new, progress, result,
approve, withdraw, compare; the form's defaults are the planner's."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from html import unescape
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import pasture
from grazing_models.rotation import RotationParams
from pasture.i18n import translator
from pasture.planning import DEFAULT_MIGRATION_KM, PlanningParams
from pasture_api.main import create_app
from pasture_api.pages.plan_summary import NOT_SHOWN, SHOWN, figure_keys, okrug_names

from .conftest import OWN_UNION, session_cookie, settings

PAGE = "/pages/plans"


@pytest.fixture(scope="module")
def own_gpkg(pages_gpkg: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the pages' store: these tests add and approve plans."""
    path = tmp_path_factory.mktemp("plan-pages") / "demo.gpkg"
    shutil.copy(pages_gpkg, path)
    # the accounts live beside the GeoPackage, never inside it
    accounts = pages_gpkg.with_suffix(".accounts.sqlite")
    shutil.copy(accounts, path.with_suffix(".accounts.sqlite"))
    return path


@pytest.fixture(scope="module")
def client(own_gpkg: Path) -> Iterator[TestClient]:
    with TestClient(create_app(settings(own_gpkg))) as c:
        yield c


def _plans(path: Path) -> list[dict[str, object]]:
    with pasture.open_store(path) as store:
        return list(store.read_rows("plans").to_dict("records"))


def _wait_for_plans(client: TestClient) -> None:
    """Wait until the app's plan worker is idle: a no-op queued after the plans returns."""
    executor = client.app.state.plan_executor  # type: ignore[attr-defined]
    executor.submit(lambda: None).result(timeout=600)


def test_plans_list_shows_every_plan(client: TestClient, own_gpkg: Path) -> None:
    session_cookie(client, "akimat")
    page = client.get(PAGE, params={"lang": "en"})
    assert page.status_code == 200
    for row in _plans(own_gpkg):
        assert f">{row['id']}</a>" in page.text
    assert 'href="/pages/plans/new?lang=en"' in page.text
    # every signed-in page of the akimat links to the plans
    overview_bar = client.get("/pages/plans/new", params={"lang": "ru"}).text
    assert 'href="/pages/plans?lang=ru"' in overview_bar


def test_new_plan_form_shows_every_parameter_with_the_planners_defaults(
    client: TestClient,
) -> None:
    session_cookie(client, "akimat")
    page = client.get(f"{PAGE}/new", params={"lang": "kk"}).text
    for model, group in ((RotationParams, "params"), (PlanningParams, "planning")):
        for name in model.model_fields:
            assert f'name="{group}.{name}"' in page, name
    # the migration limit the API and the CLI apply is the default shown
    shown = re.search(r'name="params.max_migration_km" value="([^"]*)"', page)
    assert shown and float(shown.group(1)) == DEFAULT_MIGRATION_KM
    # each field is explained (from the model's docstring)
    assert "жартысын ал, жартысын қалдыр" in page  # in the page's language (catalogues)


def test_union_and_foreign_sites_cannot_start_plans(client: TestClient, own_gpkg: Path) -> None:
    before = len(_plans(own_gpkg))
    session_cookie(client, OWN_UNION)
    r = client.post(f"{PAGE}/new", data={"season_year": "2024"}, headers={"accept": "text/html"})
    assert r.status_code == 403
    session_cookie(client, "akimat")
    r = client.post(
        f"{PAGE}/new", data={"season_year": "2024"}, headers={"origin": "https://evil.example"}
    )
    assert r.status_code == 403 and "this site" in r.text
    assert len(_plans(own_gpkg)) == before


def test_bad_values_return_the_form_with_the_field_marked(
    client: TestClient, own_gpkg: Path
) -> None:
    before = len(_plans(own_gpkg))
    session_cookie(client, "akimat")
    r = client.post(
        f"{PAGE}/new",
        data={"season_year": "2024", "params.utilisation": "1.7", "planning.seasons": "[winter"},
    )
    assert r.status_code == 400
    assert "jailym-invalid" in r.text
    assert "less than or equal to 1" in r.text  # pydantic's words for utilisation
    assert 'value="1.7"' in r.text  # what was typed is kept
    assert len(_plans(own_gpkg)) == before


def test_a_plan_from_the_form_solves_and_is_approved_and_withdrawn(
    client: TestClient, own_gpkg: Path
) -> None:
    session_cookie(client, "akimat")
    known = {str(r["id"]) for r in _plans(own_gpkg)}
    season = int(next(iter(_plans(own_gpkg)))["season_year"])
    r = client.post(
        f"{PAGE}/new",
        data={
            "season_year": str(season),
            "solver": "heuristic",
            "time_limit": "60",  # the whole call: the read of the demo alone takes seconds
            "params.utilisation": "0.45",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    plan_id = r.headers["location"].split("/")[-1].split("?")[0]
    assert plan_id not in known
    _wait_for_plans(client)
    progress = client.get(f"{PAGE}/{plan_id}/progress", params={"lang": "en"}).json()
    assert progress["state"] == "draft", progress
    assert [s["step"] for s in progress["steps"]][-1] == "storing the plan"
    _steps_are_translated(client, plan_id, [s["key"] for s in progress["steps"]])
    stored = next(r for r in _plans(own_gpkg) if r["id"] == plan_id)
    params = stored["params"]
    assert isinstance(params, dict)
    assert params["rotation"]["utilisation"] == 0.45
    assert params["rotation"]["max_migration_km"] == DEFAULT_MIGRATION_KM
    assert params["solver"]["time_limit"] == 60.0
    page = client.get(f"{PAGE}/{plan_id}", params={"lang": "en"}).text
    assert "Rule violations" in page and f"/plans/{plan_id}/map" in page
    r = client.post(f"{PAGE}/{plan_id}/approve", follow_redirects=False)
    assert r.status_code == 303
    assert next(r for r in _plans(own_gpkg) if r["id"] == plan_id)["state"] == "approved"
    again = client.post(f"{PAGE}/{plan_id}/approve", headers={"accept": "text/html"})
    assert again.status_code == 409
    r = client.post(f"{PAGE}/{plan_id}/withdraw", follow_redirects=False)
    assert r.status_code == 303
    row = next(r for r in _plans(own_gpkg) if r["id"] == plan_id)
    assert row["state"] == "draft" and row["summary"]["withdrawn_by"] == "akimat"  # type: ignore[index]
    other = sorted(known)[0]
    compare = client.get(f"{PAGE}/compare", params={"a": other, "b": plan_id, "lang": "en"})
    assert compare.status_code == 200
    assert "What moved" in compare.text and "Σ" in compare.text


def _steps_are_translated(client: TestClient, plan_id: str, english: list[str]) -> None:
    """The steps in kk and ru, polled and on the page of a plan still solving: no English."""
    assert len(english) >= 4 and any(any(c.isdigit() for c in e) for e in english)
    for lang in ("kk", "ru"):
        steps = client.get(f"{PAGE}/{plan_id}/progress", params={"lang": lang}).json()["steps"]
        shown = [s["step"] for s in steps]
        assert [s["key"] for s in steps] == english
        assert not set(shown) & set(english), shown
        assert translator(lang)("storing the plan") == shown[-1]
        # the solver's name as the form shows it
        assert shown[2].endswith(f"({translator(lang).pgettext('solver', 'heuristic')})")
    # the page of a plan still solving lists the same steps (a plan registered as start_plan
    # registers one, with this plan's steps in the app's book)
    app = client.app
    solving = f"{plan_id}-solving"
    with pasture.open_store(app.state.settings.store) as store:  # type: ignore[attr-defined]
        row = store.read_rows("plans", where={"id": plan_id}).assign(id=solving, state="solving")
        store.replace_rows("plans", row, where={"id": solving})
    book = app.state.plan_progress  # type: ignore[attr-defined]
    book[solving] = book[plan_id]
    for lang in ("kk", "ru"):
        page = client.get(f"{PAGE}/{solving}", params={"lang": lang}).text
        listed = page.split('id="jailym-steps">')[1].split("</ol>")[0]
        assert listed.count("<li>") == len(english)
        assert not [e for e in english if e in listed], listed
        t = translator(lang)
        assert t("{seconds} s").format(seconds=t.number(0, digits=1)) + ":" in listed


def _text(html: str) -> str:
    """The page's main text, without the parameters (their names are the API's, on purpose)."""
    main = html.split("<main>")[1].split("</main>")[0].split("<details>")[0]
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main)))


def _keys(value: object, top: bool = True) -> set[str]:
    """A summary's keys: every top-level one and every nested one written like a key."""
    if not isinstance(value, dict):
        return set()
    keys = {str(k) for k in value if top or "_" in str(k)}
    for v in value.values():
        keys |= _keys(v, top=False)
    return keys


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_the_plan_summary_is_labelled_and_its_okrug_table_is_the_apis(
    client: TestClient, plan_id: str, lang: str
) -> None:
    token = client.post("/auth/token", data={"username": "akimat", "password": "demo"})
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    summary = client.get(f"/plans/{plan_id}", headers=headers).json()["summary"]
    by_okrug = summary["deficit_by_okrug"]
    assert by_okrug
    # every key is labelled on the page or left to the API on purpose
    assert set(summary) <= figure_keys() | SHOWN | NOT_SHOWN
    session_cookie(client, "akimat")
    html = client.get(f"{PAGE}/{plan_id}", params={"lang": lang}).text
    text = _text(html)
    raw = [k for k in _keys(summary) if re.search(rf"(?<![\w-]){re.escape(k)}(?![\w-])", text)]
    assert raw == [], raw
    assert "village:" not in text  # village land users by their settlement's name
    t = translator(lang)
    with pasture.open_store(client.app.state.settings.store) as store:  # type: ignore[attr-defined]
        names = okrug_names(store, lang)
    table = html.split('class="jailym-okrug-deficits"')[1].split("</table>")[0]
    rows = [
        [unescape(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r)]
        for r in table.split("<tbody>")[1].split("</tr>")[:-1]
    ]
    expected = sorted(by_okrug.items(), key=lambda kv: -kv[1]["deficit_kg"])
    assert rows == [
        [
            names[k],
            t.number(v["deficit_kg"]),
            t.number(v["feed_kg_dm"]),
            t.number(v["max_sheep_units_to_move"]),
        ]
        for k, v in expected
    ]


def test_a_union_sees_no_district_summary(client: TestClient, plan_id: str) -> None:
    session_cookie(client, OWN_UNION)
    page = client.get(f"{PAGE}/{plan_id}", params={"lang": "en"})
    assert page.status_code == 200
    assert "jailym-okrug-deficits" not in page.text and "The plan in figures" not in page.text
