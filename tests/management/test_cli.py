"""``pasture management-plan``: the cycle from the command line, exit codes of refusals."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from pypdf import PdfReader

import pasture
from pasture.cli import EXIT_CONFLICT, EXIT_INVALID, EXIT_NOT_FOUND, main
from tests.pasture import factories


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["management-plan", *args], env={"PASTURE_USER": "akim"})
    return result.exit_code, result.output


def test_cycle_from_the_command_line(tmp_path: Path) -> None:
    url = str(tmp_path / "s.gpkg")
    with pasture.open_store(url, create=True) as store:
        factories.fill(store)
    store_opt = ("--store", url)
    code, text = _run("create", *store_opt, "--okrug", "ok-a", "--first-year", "2026")
    assert code == 0 and "mp-ok-a-2026: okrug ok-a, 2026-2030, draft" in text
    assert _run("create", *store_opt, "--okrug", "ok-a", "--first-year", "2026")[0] == EXIT_CONFLICT
    assert (
        _run("create", *store_opt, "--okrug", "nope", "--first-year", "2026")[0] == EXIT_NOT_FOUND
    )
    plan = "mp-ok-a-2026"
    code, text = _run("comment", *store_opt, plan, "--section", "5", "--plot", "p1", "More room")
    assert code == 0
    comment_id = text.split()[1]
    assert _run("submit", *store_opt, plan)[0] == EXIT_INVALID  # the comment is not answered
    assert _run("answer", *store_opt, plan, comment_id, "Done")[0] == 0
    assert _run("submit", *store_opt, plan)[0] == 0
    code, text = _run("adopt", *store_opt, plan, "--decision", "7-1", "--date", "2026-02-01")
    assert code == 0 and "decision 7-1 of 2026-02-01" in text
    code, text = _run("show", *store_opt, plan)
    assert f"{comment_id} annex 5, plot p1" in text and "answer: Done" in text
    with pasture.open_store(url) as store:
        store.update("plots", "p0", {"name": "Renamed"}, expected_version=1, user="akim")
    code, text = _run("amend", *store_opt, plan, "--note", "p0 renamed")
    assert code == 0 and "amended, version 2 (in force: v1)" in text
    assert _run("diff", *store_opt, plan)[1].count("p0") >= 1
    code, text = _run("history", *store_opt, plan)
    assert [line.split()[4] for line in text.splitlines() if line.strip()[:1].isdigit()] == [
        "create",
        "comment",
        "answer",
        "submit",
        "adopt",
        "amend",
    ]
    out = tmp_path / "decision.pdf"
    code, _ = _run("render", *store_opt, plan, "--decision", "--lang", "kk", "-o", str(out))
    text = " ".join(PdfReader(out).pages[0].extract_text().split())
    assert code == 0 and "«Жайылымдар туралы»" in text
