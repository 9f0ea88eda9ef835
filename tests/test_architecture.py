"""Import contracts, checked on the static import graph (grimp, the engine of import-linter).

Every `import` statement counts, including those inside functions: a lazy import is still an
import. The rules are written by layer, not by file, so moving a module keeps it covered:

- nothing in `renders.pipeline` imports another part of the project or the web stack, so nothing
  the pipeline imports can reach Django, a model, a view or the API;
- an app's web views (`<app>.views`, `<app>.<what>_views`) and its API views (`<app>.api`, `<app>.*_api`, `<app>.api_*`)
  never reach each other, directly or through other modules.
"""

from __future__ import annotations

from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
# Every package at the top of the repository is part of the project; `tests` only holds tests.
PROJECT = sorted(p.name for p in ROOT.iterdir() if (p / "__init__.py").is_file() and p.name != "tests")
APPS = [name for name in PROJECT if name != "bhakti"]
PIPELINE = "renders.pipeline"
# Django and what plugs into it: none of these may be imported by the pipeline.
WEB_STACK = {
    "django", "rest_framework", "drf_spectacular", "drf_spectacular_sidecar", "django_q", "django_htmx",
    "template_partials", "storages", "whitenoise", "axes", "gunicorn",
}  # fmt: skip


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PROJECT, include_external_packages=True, cache_dir=None)


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _is_test(module: str) -> bool:
    return any(part == "tests" or part.startswith("test_") or part == "conftest" for part in module.split("."))


def _where(graph: grimp.ImportGraph, importer: str, imported: str) -> str:
    details = graph.get_import_details(importer=importer, imported=imported)
    lines = ", ".join(f"line {d['line_number']}: {d['line_contents']}" for d in details)
    return f"{importer} imports {imported} ({lines})"


def test_it_keeps_the_pipeline_free_of_django_and_the_rest_of_the_project(graph):
    pipeline = {PIPELINE} | graph.find_descendants(PIPELINE)
    assert len(pipeline) > 10, "the pipeline package was not found in the import graph"
    wrong = []
    for module in sorted(pipeline):
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            top = imported.split(".")[0]
            if (top in PROJECT and not _within(imported, PIPELINE)) or top in WEB_STACK:
                wrong.append(_where(graph, module, imported))
    assert wrong == [], "renders/pipeline/ must stay free of Django and of the rest of the project:\n" + "\n".join(
        wrong
    )


def _web_views(graph: grimp.ImportGraph) -> set[str]:
    found = set()
    for app in APPS:
        views = f"{app}.views"
        if views in graph.modules:
            found |= {views} | graph.find_descendants(views)
        # A page group in a module of its own beside views.py (`renders.photo_views`).
        found |= {module for module in graph.modules if module.startswith(f"{app}.") and module.count(".") == 1
                  and module.endswith("_views")}  # fmt: skip
    return {module for module in found if not _is_test(module)}


def _api_views(graph: grimp.ImportGraph) -> set[str]:
    def is_api(module: str) -> bool:
        parts = module.split(".")[1:]
        return any(part == "api" or part.startswith("api_") or part.endswith("_api") for part in parts)

    return {
        module for module in graph.modules if module.split(".")[0] in APPS and is_api(module) and not _is_test(module)
    }


def test_it_keeps_web_views_and_api_views_from_importing_each_other(graph):
    web, api = _web_views(graph), _api_views(graph)
    assert web and api, f"no web views ({sorted(web)}) or no API views ({sorted(api)}) found"
    chains = []
    for importer_side, imported_side in ((web, api), (api, web)):
        for importer in sorted(importer_side):
            for imported in sorted(imported_side):
                chain = graph.find_shortest_chain(importer=importer, imported=imported)
                if chain:
                    chains.append(" -> ".join(chain))
    assert chains == [], "web views and API views must only share services, never import each other:\n" + "\n".join(
        chains
    )


def test_it_sees_a_lazy_import_inside_a_function(tmp_path, monkeypatch):
    # The rules above would be hollow if a function-level import slipped past the graph.
    package = tmp_path / "lazyapp"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "views.py").write_text("def page():\n    from lazyapp.api import endpoint\n    return endpoint\n")
    (package / "api.py").write_text("def endpoint():\n    return 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    lazy = grimp.build_graph("lazyapp", cache_dir=None)
    assert lazy.find_shortest_chain(importer="lazyapp.views", imported="lazyapp.api") == (
        "lazyapp.views",
        "lazyapp.api",
    )
