"""The management pages in process: scope of the forms, the same-origin rule, kk/ru/en text."""

from __future__ import annotations

from fastapi.testclient import TestClient

from .conftest import PASSWORD


def _session(client: TestClient, username: str) -> None:
    client.cookies.clear()
    response = client.post(
        "/login", data={"username": username, "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 303, response.text


def test_forms_keep_to_roles_okrugs_and_this_site(client: TestClient) -> None:
    _session(client, "akimat")
    made = client.post(
        "/management",
        data={"okrug_id": "okrug-akshi", "first_year": "2026"},
        follow_redirects=False,
    )
    assert made.status_code == 303 and "/management/mp-okrug-akshi-2026" in made.headers["location"]
    page = client.get("/management/mp-okrug-akshi-2026?lang=kk")
    assert "Жайылымдарды басқару және оларды пайдалану жөніндегі жоспар" in page.text
    assert "Генерацияланған демонстрациялық деректер" in page.text
    assert "Management plans" in client.get("/management?lang=en").text

    _session(client, "upu-asy")  # a union of another okrug
    page = client.get("/management/mp-okrug-akshi-2026?lang=ru")
    assert page.status_code == 200 and 'id="comment-form"' not in page.text
    refused = client.post(
        "/management/mp-okrug-akshi-2026/comments",
        data={"section": "5", "body": "x"},
        follow_redirects=False,
    )
    assert refused.status_code == 403

    _session(client, "upu-akshi")
    cross = client.post(
        "/management/mp-okrug-akshi-2026/comments",
        data={"section": "5", "body": "x"},
        headers={"Origin": "https://elsewhere.example"},
        follow_redirects=False,
    )
    assert cross.status_code == 403
    step = client.post("/management/mp-okrug-akshi-2026/step/submit", follow_redirects=False)
    assert step.status_code == 403  # a union takes no steps
    ok = client.post(
        "/management/mp-okrug-akshi-2026/comments",
        data={"section": "5", "body": "Мало места"},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    assert "Мало места" in client.get("/management/mp-okrug-akshi-2026").text
