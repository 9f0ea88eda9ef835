"""Imports point one way, downward: bhakti ← accounts ← renders ← library, publishing ← assistants, compat.

bhakti's own modules (the API toolkit, logging, request context, health) import no app, so every
app can import them; accounts and renders import no app above them (the library registers its
story templates and API errors with renders and bhakti at start-up instead). The URL roots are the exception by nature:
they only include the apps' routes. `compat` (the older API shapes) sits on top: it calls every app's
services, and no app calls it. A lazy import inside a function counts as much as one at the top.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
URL_ROOTS = {"bhakti/urls.py", "bhakti/api_urls.py"}


def _imported_modules(path: Path) -> set[str]:
    modules: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            modules.add(node.module)
    return modules


def _sources(package: str) -> list[Path]:
    return [
        path
        for path in sorted((ROOT / package).rglob("*.py"))
        if "tests" not in path.parts and "migrations" not in path.parts
    ]


@pytest.mark.parametrize(
    ("package", "above"),
    [
        ("bhakti", ("accounts", "renders", "library", "publishing", "assistants", "compat")),
        ("accounts", ("renders", "library", "publishing", "assistants", "compat")),
        ("renders", ("library", "publishing", "assistants", "compat")),
        # Side by side: neither imports the other. The MCP server (assistants) and compat sit on top of all.
        ("library", ("publishing", "assistants", "compat")),
        ("publishing", ("library", "assistants", "compat")),
        ("assistants", ("compat",)),
        ("compat", ("assistants",)),
    ],
)
def test_it_imports_nothing_from_the_apps_above(package, above):
    offenders = {
        f"{path.relative_to(ROOT)}: {module}"
        for path in _sources(package)
        if str(path.relative_to(ROOT)) not in URL_ROOTS
        for module in _imported_modules(path)
        if module.split(".")[0] in above
    }
    assert offenders == set()


def test_the_request_context_is_the_lowest_module_and_sentry_sits_below_logging():
    project = ("bhakti", "accounts", "renders", "library", "publishing", "assistants", "compat")
    assert {m for m in _imported_modules(ROOT / "bhakti/request_context.py") if m.split(".")[0] in project} == set()
    assert "bhakti.logging" not in _imported_modules(ROOT / "bhakti/sentry.py")


def test_the_render_pipeline_imports_neither_django_nor_any_app():
    """renders/pipeline is plain Python and ffmpeg: the CLI, the worker and the tests drive it the
    same way, and the production-settings test pass leaves its tests out because no setting can
    reach it (scripts/test.sh)."""
    outside = ("django", "rest_framework", "django_q", "bhakti", "accounts", "library", "publishing")
    outside += ("assistants", "compat")
    offenders = {
        f"{path.relative_to(ROOT)}: {module}"
        for path in _sources("renders/pipeline")
        for module in _imported_modules(path)
        if module.split(".")[0] in outside
        or (module.startswith("renders.") and not module.startswith("renders.pipeline"))
        or module == "renders"
    }
    assert offenders == set()
