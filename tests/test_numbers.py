"""docs/numbers.md lists every domain default with the value the code uses (it cannot go stale)."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "domain_numbers", ROOT / "scripts/domain_numbers.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def test_numbers_page_is_what_the_code_says() -> None:
    script = _script()
    page = (ROOT / "docs/numbers.md").read_text(encoding="utf-8")
    assert page == script.render(), "docs/numbers.md is stale: run python scripts/domain_numbers.py"
    assert script.main(["--check"]) == 0


def test_every_listed_default_is_a_number_the_code_holds() -> None:
    script = _script()
    page = (ROOT / "docs/numbers.md").read_text(encoding="utf-8")
    for number in script.NUMBERS:
        value = number.value()
        numbers = list(value.values()) if isinstance(value, Mapping) else [value]
        assert numbers and all(isinstance(v, int | float) for v in numbers), number
        assert f"`{number.module}.{number.name}`" in page
        assert f"| {script._fmt(value)} |" in page
