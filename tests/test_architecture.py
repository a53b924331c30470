"""The house rules of docs/architecture.md, checked on the source.

Imports flow one way, ``pasture_api → pasture → grazing_models``; no module grows past ~800 lines
and no function's code past ~100 lines, its docstring aside (analyst-facing functions carry
long numpydoc docstrings on purpose), outside numba kernels (their loops are written out on
purpose).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("grazing_models", "pasture", "pasture_api")
#: Which of our packages each package may import.
MAY_IMPORT = {
    "grazing_models": {"grazing_models"},
    "pasture": {"pasture", "grazing_models"},
    "pasture_api": {"pasture_api", "pasture", "grazing_models"},
}
MAX_MODULE_LINES = 800
MAX_FUNCTION_LINES = 100


def _modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _is_kernel(node: ast.AST) -> bool:
    """A numba-compiled function (``@numba.njit``, ``@jit``...): kernels are long by design."""
    decorators = getattr(node, "decorator_list", [])
    return any("jit" in ast.unparse(d) for d in decorators)


def _code_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines of a function without its docstring."""
    length = (node.end_lineno or node.lineno) - node.lineno + 1
    first = node.body[0]
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
        length -= (first.end_lineno or first.lineno) - first.lineno + 1
    return length


def _imported_packages(tree: ast.Module, module: str) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: inside the module's own package
                found.add(module.split(".")[0])
            elif node.module:
                found.add(node.module.split(".")[0])
    return found & set(PACKAGES)


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_flow_one_way(package: str) -> None:
    wrong = []
    for path in _modules(package):
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for other in sorted(_imported_packages(tree, module) - MAY_IMPORT[package]):
            wrong.append(f"{module} imports {other}")
    assert wrong == []


@pytest.mark.parametrize("package", PACKAGES)
def test_modules_and_functions_stay_small(package: str) -> None:
    large = []
    for path in _modules(package):
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(ROOT).as_posix()
        if text.count("\n") > MAX_MODULE_LINES:
            large.append(f"{name}: {text.count(chr(10))} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and not _is_kernel(node):
                length = _code_lines(node)
                if length > MAX_FUNCTION_LINES:
                    large.append(f"{name}: {node.name} has {length} lines")
    assert large == []
