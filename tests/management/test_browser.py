"""The plan's cycle in headless Chromium: draft, a union's comment on a plot, the akimat's
answer, submission, adoption with a decision number by the maslikhat's secretariat, an
amendment and its diff."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import pasture

from .conftest import PASSWORD

pytestmark = pytest.mark.slow


def _signed_in(browser: Any, base: str, user: str, errors: list[str]) -> Any:
    page = browser.new_context(viewport={"width": 1200, "height": 900}, locale="ru-RU").new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{base}/management?lang=ru")
    page.wait_for_selector("form.jailym-login")
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    page.click("form.jailym-login button[type=submit]")
    page.wait_for_url("**/management*")
    return page


def _state(page: Any) -> str:
    return str(page.get_attribute("#plan-state strong", "data-state"))


def test_walk_the_cycle(browser: Any, live_server: tuple[str, Path], artifacts: Path) -> None:
    base, store_path = live_server
    errors: list[str] = []
    akimat = _signed_in(browser, base, "akimat", errors)
    akimat.select_option("select[name=okrug_id]", "okrug-akshi")
    akimat.fill("input[name=first_year]", "2026")
    akimat.click("text=Создать")
    akimat.wait_for_url("**/management/mp-okrug-akshi-2026*")
    assert _state(akimat) == "draft"
    assert akimat.locator("text=Сгенерированные демонстрационные данные").count() == 1

    union = _signed_in(browser, base, "upu-akshi", errors)
    union.goto(f"{base}/management/mp-okrug-akshi-2026?lang=ru")
    plot = union.locator("select[name=plot_id] option").nth(1).inner_text()
    union.select_option("select[name=section]", "5")
    union.select_option("select[name=plot_id]", plot)
    union.fill("input[name=body]", "Коровам нужен участок у реки")
    union.click("#comment-form button")
    union.wait_for_selector("text=Коровам нужен участок у реки")
    assert union.locator("[data-step]").count() == 0  # a union takes no steps

    akimat.reload()
    row = akimat.locator("#comments tr[data-comment]")
    assert row.count() == 1 and plot in row.inner_text()
    row.locator("input[name=answer]").fill("Учтено в приложении 5")
    row.locator("button").click()
    akimat.wait_for_selector("text=Учтено в приложении 5")

    akimat.click("form[data-step=submit] button")
    akimat.wait_for_selector("#plan-state strong[data-state=submitted]")
    assert akimat.locator("form[data-step=adopt]").count() == 0  # the maslikhat adopts
    maslikhat = _signed_in(browser, base, "maslikhat", errors)
    maslikhat.goto(f"{base}/management/mp-okrug-akshi-2026?lang=ru")
    maslikhat.fill("form[data-step=adopt] input[name=decision_number]", "45-2")
    maslikhat.fill("form[data-step=adopt] input[name=decision_date]", "2026-03-15")
    maslikhat.click("form[data-step=adopt] button")
    maslikhat.wait_for_selector("#plan-state strong[data-state=approved]")
    assert maslikhat.locator("form[data-step=amend]").count() == 0  # the akimat amends
    akimat.reload()
    assert akimat.inner_text("#decision") == "45-2"

    with pasture.open_store(store_path) as store:  # the land changes after adoption
        version = store.get("plots", plot).version
        store.update("plots", plot, {"seasons": "summer"}, expected_version=version, user="akimat")
    akimat.fill("form[data-step=amend] input[name=note]", "Участок стал летним")
    akimat.click("form[data-step=amend] button")
    akimat.wait_for_selector("#plan-state strong[data-state=amended]")
    diff = akimat.inner_text("#diff")
    assert f"~ plot {plot}: seasons" in diff and "'summer'" in diff
    history = akimat.inner_text("#history")
    for action in ("create", "comment", "answer", "submit", "adopt", "amend"):
        assert action in history
    akimat.screenshot(path=str(artifacts / "management-plan.png"), full_page=True)
    assert not errors
