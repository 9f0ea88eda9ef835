"""bhakti.api: the shared API toolkit imports no app, so every app's API can import it."""

from __future__ import annotations

import ast
from pathlib import Path

import bhakti.api

APPS = ("accounts", "renders", "library", "publishing")


def _imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    return modules


def test_it_imports_no_app() -> None:
    package = Path(bhakti.api.__file__).parent
    offenders = {
        f"{path.name}: {module}"
        for path in package.glob("*.py")
        for module in _imported_modules(path)
        if module.split(".")[0] in APPS
    }
    assert offenders == set()
