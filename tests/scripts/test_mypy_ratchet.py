"""scripts/mypy_ratchet.py: strict modules must be clean, other files may only go down from their baseline.

mypy itself is the boundary: `run_mypy` is replaced by canned output in mypy's own format.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def ratchet(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("mypy_ratchet", REPO / "scripts" / "mypy_ratchet.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "BASELINE", tmp_path / "mypy-baseline.json")
    return module


def _mypy_says(monkeypatch, ratchet, output: str, returncode: int = 1) -> None:
    monkeypatch.setattr(ratchet, "run_mypy", lambda: (returncode, output))


VIEWS_ERROR = 'library/views.py:12: error: "HttpRequest" has no attribute "htmx"  [attr-defined]\n'
PIPELINE_ERROR = "renders/pipeline/plan.py:40: error: Function is missing a type annotation  [no-untyped-def]\n"


def test_it_holds_the_pipeline_services_and_selectors_to_strict_settings(ratchet):
    patterns = ratchet.strict_patterns()
    for path in ("renders/pipeline/plan.py", "renders/pipeline/providers/retry.py", "renders/services.py",
                 "accounts/selectors.py", "publishing/services/oauth.py", "renders/pipeline/__init__.py"):  # fmt: skip
        assert ratchet.is_strict(path, patterns), path
    for path in ("renders/views.py", "renders/servicesx.py", "library/api.py", "renders/pipelinex.py"):
        assert not ratchet.is_strict(path, patterns), path


def test_it_keeps_strict_modules_out_of_the_baseline(ratchet):
    baseline = json.loads((REPO / "mypy-baseline.json").read_text())
    patterns = ratchet.strict_patterns()
    assert [path for path in baseline if ratchet.is_strict(path, patterns)] == []
    assert all(count > 0 for count in baseline.values())


def test_it_fails_on_any_error_in_a_strict_module(ratchet, monkeypatch, capsys):
    ratchet.BASELINE.write_text(json.dumps({"renders/pipeline/plan.py": 5}))
    _mypy_says(monkeypatch, ratchet, PIPELINE_ERROR)
    assert ratchet.main([]) == 1
    assert "renders/pipeline/plan.py:40" in capsys.readouterr().err


def test_it_passes_at_the_baseline(ratchet, monkeypatch, capsys):
    ratchet.BASELINE.write_text(json.dumps({"library/views.py": 2}))
    _mypy_says(monkeypatch, ratchet, VIEWS_ERROR * 2 + "library/views.py:3: note: a note is no error\n")
    assert ratchet.main([]) == 0
    assert "no new type errors" in capsys.readouterr().out


def test_it_fails_when_a_file_gains_an_error(ratchet, monkeypatch, capsys):
    ratchet.BASELINE.write_text(json.dumps({"library/views.py": 1}))
    _mypy_says(monkeypatch, ratchet, VIEWS_ERROR * 2)
    assert ratchet.main([]) == 1
    assert "library/views.py 2 (baseline 1)" in capsys.readouterr().err


def test_it_fails_when_a_file_the_baseline_does_not_list_has_an_error(ratchet, monkeypatch, capsys):
    ratchet.BASELINE.write_text(json.dumps({}))
    _mypy_says(monkeypatch, ratchet, VIEWS_ERROR)
    assert ratchet.main([]) == 1
    assert "library/views.py 1 (baseline 0)" in capsys.readouterr().err


def test_it_asks_to_lock_in_fewer_errors_and_update_does(ratchet, monkeypatch, capsys):
    ratchet.BASELINE.write_text(json.dumps({"library/views.py": 3, "renders/forms.py": 1}))
    _mypy_says(monkeypatch, ratchet, VIEWS_ERROR, returncode=1)
    assert ratchet.main([]) == 1
    err = capsys.readouterr().err
    assert "library/views.py 1 (baseline 3)" in err and "renders/forms.py 0 (baseline 1)" in err
    assert "--update" in err
    assert ratchet.main(["--update"]) == 0
    assert json.loads(ratchet.BASELINE.read_text()) == {"library/views.py": 1}
    assert ratchet.main([]) == 0


def test_it_fails_when_mypy_itself_fails(ratchet, monkeypatch, capsys):
    ratchet.BASELINE.write_text(json.dumps({}))
    _mypy_says(monkeypatch, ratchet, "pyproject.toml: error: Unrecognized option\n", returncode=2)
    assert ratchet.main([]) == 1
    assert "mypy exited 2" in capsys.readouterr().err
