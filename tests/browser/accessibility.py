"""axe-core in the browser tests: every page state a test visits is checked at both sizes.

axe-core comes vendored in the `axe-playwright-python` wheel (pinned in requirements-dev.txt),
so no network beyond the package registry is needed. It is injected with Playwright's evaluate,
which the page's Content-Security-Policy does not apply to, so the CSP stays as in production.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from functools import cache
from importlib import resources

# What fails a test: axe's two highest impacts. Moderate and minor ones are reported, not fatal.
FATAL_IMPACTS = ("serious", "critical")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}


@cache
def axe_source() -> str:
    return (resources.files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")


def axe_violations(page: object) -> list[dict]:
    """axe's violations on the page as it is now (WCAG 2.x A/AA rules and best practices)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):  # type: ignore[attr-defined]
        page.evaluate(axe_source())  # type: ignore[attr-defined]
    results = page.evaluate(  # type: ignore[attr-defined]
        "() => axe.run(document, {resultTypes: ['violations']})"
    )
    return list(results["violations"])


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:4])
        lines.append(f"{violation['impact']}: {violation['id']} ({violation['help']}) at {targets}")
    return "\n".join(lines)


def assert_accessible(page: object, where: str) -> list[dict]:
    """Fail on any serious or critical violation; return the rest for the caller's notes."""
    started = time.monotonic()
    violations = axe_violations(page)
    _note(where, violations, time.monotonic() - started)
    fatal = [violation for violation in violations if violation["impact"] in FATAL_IMPACTS]
    assert not fatal, f"axe-core on {where}:\n{describe(fatal)}"
    return violations


def _note(where: str, violations: list[dict], seconds: float) -> None:
    """With BHAKTI_AXE_NOTES set (a file name), append one line per check: the page state, its
    violations counted by impact, their rule ids and how long axe took. The notes' table comes from it."""
    notes = os.environ.get("BHAKTI_AXE_NOTES")
    if not notes:
        return
    counts = Counter(violation["impact"] for violation in violations)
    by_impact = " ".join(f"{impact}={counts[impact]}" for impact in ("critical", "serious", "moderate", "minor"))
    rules = ",".join(sorted(violation["id"] for violation in violations)) or "-"
    with open(notes, "a", encoding="utf-8") as lines:
        lines.write(f"{where}\t{by_impact}\t{rules}\t{seconds:.2f} s\n")
