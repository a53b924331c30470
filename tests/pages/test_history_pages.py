"""Edits in the pages: a union edits its census in a form with the version check, the history
shows who changed what when, and the akimat restores an earlier version as a new one."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

import pasture
from pasture_api.main import create_app

from .conftest import FOREIGN_UNION, OWN_UNION, session_cookie, settings


@pytest.fixture(scope="module")
def client(pages_gpkg: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    path = tmp_path_factory.mktemp("history-pages") / "demo.gpkg"
    shutil.copy(pages_gpkg, path)
    shutil.copy(pages_gpkg.with_suffix(".accounts.sqlite"), path.with_suffix(".accounts.sqlite"))
    with TestClient(create_app(settings(path))) as c:
        c.app.state.path = path  # type: ignore[attr-defined]
        yield c


def _record(client: TestClient, record_id: str) -> dict[str, object]:
    with pasture.open_store(client.app.state.path) as store:  # type: ignore[attr-defined]
        return dict(store.read("census", ids=[record_id]).iloc[0])


def test_census_edit_history_and_restore(client: TestClient) -> None:
    session_cookie(client, OWN_UNION)
    form = client.get(f"/unions/{OWN_UNION}/census", params={"lang": "en"}).text
    record = re.search(r'name="record" value="([^"]+)"', form)
    assert record
    rid = record.group(1)
    before = _record(client, rid)
    counts = {s: str(before[s]) for s in ("sheep", "goats", "cattle", "horses", "camels")}
    new_sheep = int(str(before["sheep"])) + 7
    saved = client.post(
        f"/unions/{OWN_UNION}/census",
        data={"record": rid, "version": str(before["version"]), **counts, "sheep": str(new_sheep)},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    after = _record(client, rid)
    assert after["sheep"] == new_sheep and after["version"] == int(str(before["version"])) + 1
    # the same stale form again: refused, nothing written
    stale = client.post(
        f"/unions/{OWN_UNION}/census",
        data={"record": rid, "version": str(before["version"]), **counts, "sheep": "1"},
        headers={"accept": "text/html"},
    )
    assert (
        stale.status_code == 412
    )  # the API's status for a version conflict (pasture_api/errors.py)
    bad = client.post(
        f"/unions/{OWN_UNION}/census",
        data={"record": rid, "version": str(after["version"]), **counts, "sheep": "-3"},
    )
    assert bad.status_code == 422 and "whole number" in bad.text
    assert _record(client, rid)["sheep"] == new_sheep
    # another union's census is not this union's to edit
    other = client.get(f"/unions/{FOREIGN_UNION}/census", headers={"accept": "text/html"})
    assert other.status_code == 404
    # the union sees its edit in the history; the akimat restores the first version
    history = client.get(
        "/pages/history", params={"layer": "census", "record": rid, "lang": "en"}
    ).text
    assert f"<del>{before['sheep']}</del> → <ins>{new_sheep}</ins>" in history
    assert "Restore this version" not in history  # only the akimat restores
    session_cookie(client, "akimat")
    history = client.get("/pages/history", params={"layer": "census", "record": rid, "lang": "en"})
    assert "Restore this version" in history.text
    restored = client.post(
        "/pages/history/census/restore",
        data={"record": rid, "version": str(before["version"]), "expected": str(after["version"])},
        follow_redirects=False,
    )
    assert restored.status_code == 303
    now = _record(client, rid)
    assert now["sheep"] == before["sheep"] and now["version"] == int(str(after["version"])) + 1
    with pasture.open_store(client.app.state.path) as store:  # type: ignore[attr-defined]
        versions = store.history(layer="census", record_id=rid)["version"].tolist()
    assert versions == [1, 2, 3]  # nothing erased: the restore is a new version
