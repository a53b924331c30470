"""Plan state changes over HTTP: ETag and If-Match (412 when stale), 409 for the losers of
simultaneous approvals, withdrawal of an approval."""

from __future__ import annotations

import threading

from fastapi.testclient import TestClient

from .conftest import auth, login
from .test_plans import plan_client  # noqa: F401 - the fixture of a store with a draft plan

CALLERS = 6


def test_stale_if_match_is_412_and_current_one_works(plan_client: TestClient) -> None:  # noqa: F811
    akimat = auth(login(plan_client, "akimat"))
    read = plan_client.get("/plans/plan-test", headers=akimat)
    etag = read.headers["etag"]
    approved = plan_client.post("/plans/plan-test/approve", headers={**akimat, "If-Match": etag})
    assert approved.status_code == 200 and approved.headers["etag"] != etag
    stale = plan_client.post("/plans/plan-test/withdraw", headers={**akimat, "If-Match": etag})
    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"
    assert "changed since you read it" in stale.json()["detail"]
    assert plan_client.get("/plans/plan-test", headers=akimat).json()["state"] == "approved"
    withdrawn = plan_client.post(
        "/plans/plan-test/withdraw", headers={**akimat, "If-Match": approved.headers["etag"]}
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["state"] == "draft"
    assert withdrawn.json()["approved_by"] is None
    again = plan_client.post("/plans/plan-test/withdraw", headers=akimat)
    assert again.status_code == 409 and "only an approved plan" in again.text
    bad = plan_client.post("/plans/plan-test/approve", headers={**akimat, "If-Match": '"zz"'})
    assert bad.status_code == 412 and "ETag of the plan" in bad.json()["detail"]


def test_simultaneous_approvals_one_succeeds(plan_client: TestClient) -> None:  # noqa: F811
    akimat = auth(login(plan_client, "akimat"))
    etag = plan_client.get("/plans/plan-test", headers=akimat).headers["etag"]
    barrier = threading.Barrier(CALLERS)
    statuses: list[int] = []

    def approve() -> None:
        barrier.wait()
        headers = {**akimat, "If-Match": etag}
        statuses.append(plan_client.post("/plans/plan-test/approve", headers=headers).status_code)

    threads = [threading.Thread(target=approve) for _ in range(CALLERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # the losers lost the compare-and-set (409) or read the winner's version first (412)
    assert statuses.count(200) == 1 and set(statuses) <= {200, 409, 412}, statuses


def test_union_may_not_withdraw(plan_client: TestClient) -> None:  # noqa: F811
    union = auth(login(plan_client, "upu-akshi"))
    assert plan_client.post("/plans/plan-test/withdraw", headers=union).status_code == 403
