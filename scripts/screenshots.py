"""Screenshots of the pages for the README's guides, from a running server on the demo store.

Usage::

    python scripts/screenshots.py http://127.0.0.1:8000 docs/screenshots [--password demo] [--only rotation]

Needs playwright and Debian's Chromium at /usr/bin/chromium (no browser is downloaded).
Each shot is a JPEG named ``<page>-<language>-<width>.jpg`` (every page of :data:`PAGES` in kk,
ru and en at 1400×900 and 390×844); the README shows some and links every one.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
WIDE, PHONE = (1400, 900), (390, 844)
#: (name, account, path) of every page in the README's guides; {plan} is the newest plan.
PAGES: tuple[tuple[str, str, str], ...] = (
    ("overview", "akimat", "/maps/overview?shade=load"),
    ("load", "akimat", "/pages/load?level=okrug"),
    ("plans", "akimat", "/pages/plans"),
    ("plan-new", "akimat", "/pages/plans/new"),
    ("plan", "akimat", "/pages/plans/{plan}"),
    ("rotation", "akimat", "/plans/{plan}/map?week=12"),
    ("calendar", "akimat", "/plans/{plan}/chart"),
    ("history", "akimat", "/pages/history?layer=census"),
    ("union", "upu-akshi", "/unions/upu-akshi"),
)
LANGUAGES = ("kk", "ru", "en")
SIZES = (WIDE, PHONE)
#: (name, account, path, language, size): every page in every language at both sizes.
SHOTS: tuple[tuple[str, str, str, str, tuple[int, int]], ...] = tuple(
    (name, user, path, lang, size)
    for name, user, path in PAGES
    for lang in LANGUAGES
    for size in SIZES
)


def _sign_in(browser: object, base: str, user: str, password: str, size: tuple[int, int]) -> object:
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})  # type: ignore[attr-defined]
    page = context.new_page()
    page.set_default_timeout(180_000)
    page.goto(f"{base}/login?lang=en")
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("form.jailym-login button[type=submit]")
    page.wait_for_load_state()
    return page


def main() -> None:
    """Take every shot of :data:`SHOTS` into the output folder."""
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base")
    parser.add_argument("out", type=Path)
    parser.add_argument("--password", default="demo")
    parser.add_argument("--only", action="append", help="a page of PAGES (repeatable)")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        plan = None
        for name, user, path, lang, size in SHOTS:
            if args.only and name not in args.only:
                continue
            page = _sign_in(browser, args.base, user, args.password, size)
            if plan is None:
                page.goto(f"{args.base}/pages/plans?lang=en")
                found = re.search(r'href="/pages/plans/(plan-[^"?]+)\?', page.content())
                plan = found.group(1) if found else "none"
            sep = "&" if "?" in path else "?"
            # map pages take seconds to build on a busy machine
            page.goto(f"{args.base}{path.format(plan=plan)}{sep}lang={lang}", timeout=180_000)
            page.wait_for_load_state("load", timeout=180_000)
            # map layers are fetched after the load (by view): wait until the network is
            # quiet, then for two frames, so the plots are painted in the shot
            page.wait_for_load_state("networkidle", timeout=180_000)
            page.evaluate(
                "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
            )
            target = args.out / f"{name}-{lang}-{size[0]}.jpg"
            page.screenshot(path=str(target), type="jpeg", quality=70)
            print(target)
            page.context.close()
        browser.close()


if __name__ == "__main__":
    main()
