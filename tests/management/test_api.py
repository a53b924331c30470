"""Management plans over real HTTP through the ASGI app: roles, the cycle, problems, documents."""

from __future__ import annotations

import io
from pathlib import Path

from fastapi.testclient import TestClient
from pypdf import PdfReader

import pasture

from .conftest import token

BASE = "/management-plans"


def test_the_cycle_over_http(client: TestClient, writable: Path) -> None:
    akimat, union, foreign = (token(client, n) for n in ("akimat", "upu-akshi", "upu-asy"))
    body = {"okrug_id": "okrug-akshi", "first_year": 2026}
    refused = client.post(BASE, json=body, headers=union)
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    created = client.post(BASE, json=body, headers=akimat)
    assert created.status_code == 201, created.text
    pid = created.json()["id"]
    assert client.post(BASE, json=body, headers=akimat).status_code == 409
    with pasture.open_store(writable) as store:
        plot = store.read("plots", where={"okrug_id": "okrug-akshi"})["id"].iloc[0]
    note = {"section": "5", "plot_id": plot, "body": "Our cows need the plot by the river"}
    assert client.post(f"{BASE}/{pid}/comments", json=note, headers=foreign).status_code == 403
    bad = client.post(f"{BASE}/{pid}/comments", json={**note, "section": "11"}, headers=union)
    assert bad.status_code == 422 and "unknown section" in bad.json()["detail"]
    made = client.post(f"{BASE}/{pid}/comments", json=note, headers=union)
    assert made.status_code == 201, made.text
    cid = made.json()["id"]
    early = client.post(f"{BASE}/{pid}/submit", headers=akimat)
    assert early.status_code == 409 and "not answered" in early.json()["detail"]
    assert (
        client.post(
            f"{BASE}/{pid}/comments/{cid}/answer", json={"answer": "Agreed"}, headers=union
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"{BASE}/{pid}/comments/{cid}/answer", json={"answer": "Agreed"}, headers=akimat
        ).status_code
        == 200
    )
    assert client.post(f"{BASE}/{pid}/submit", headers=akimat).json()["state"] == "submitted"
    decision = {"decision_number": "45-2", "decision_date": "2026-03-15"}
    assert client.post(f"{BASE}/{pid}/adopt", json=decision, headers=akimat).status_code == 403
    adopted = client.post(f"{BASE}/{pid}/adopt", json=decision, headers=token(client, "maslikhat"))
    assert adopted.status_code == 200
    assert (adopted.json()["state"], adopted.json()["decision_number"]) == ("approved", "45-2")
    with pasture.open_store(writable) as store:
        store.update(
            "plots", plot, {"land_user": "household: reserved"}, expected_version=1, user="akimat"
        )
    amended = client.post(f"{BASE}/{pid}/amend", json={"note": "reserved"}, headers=akimat)
    assert amended.status_code == 200
    changed = amended.json()["diff"]["plots"]["changed"]
    assert [c["plot_id"] for c in changed] == [plot]
    diff = client.get(f"{BASE}/{pid}/diff", headers=union).json()
    assert any(plot in line and "household: reserved" in line for line in diff["lines"])
    events = client.get(f"{BASE}/{pid}/history", headers=union).json()["events"]
    assert [e["action"] for e in events] == [
        "create",
        "comment",
        "answer",
        "submit",
        "adopt",
        "amend",
    ]
    comments = client.get(f"{BASE}/{pid}/comments", headers=akimat).json()["comments"]
    assert comments[0]["answer"] == "Agreed" and comments[0]["plot_id"] == plot


def test_documents_and_sections(client: TestClient) -> None:
    akimat = token(client, "akimat")
    pid = client.post(
        BASE, json={"okrug_id": "okrug-asy", "first_year": 2027}, headers=akimat
    ).json()["id"]
    section = client.get(f"{BASE}/{pid}/sections/4", headers=akimat)
    assert section.status_code == 200 and "points" in section.json()["tables"]
    assert client.get(f"{BASE}/{pid}/sections/99", headers=akimat).status_code == 404
    pdf = client.get(f"{BASE}/{pid}/document.pdf", params={"lang": "kk"}, headers=akimat)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = " ".join(
        " ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf.content)).pages
    )
    assert "7-1-қосымша" in text and "8-қосымша" in text
    docx = client.get(f"{BASE}/{pid}/document.docx", headers=akimat)
    assert docx.status_code == 200 and docx.content[:2] == b"PK"
    odt = client.get(f"{BASE}/{pid}/document.odt", headers=akimat)
    assert odt.status_code == 400
    assert odt.headers["content-type"].startswith("application/problem+json")
