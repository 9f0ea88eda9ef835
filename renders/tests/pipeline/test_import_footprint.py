"""What a render process loads before it needs it: the render's Python peak counts against the
worker's memory (docs/deployment.md), and an English render with local providers never uses the
HTTP client or the Hindi transliteration tables (~12 MB together in a fresh interpreter)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

PROBE = """
import json, sys
from renders.pipeline.runner import run_pipeline
from renders.pipeline import compose, images, speech, captions, roman
from renders.pipeline.providers import pexels_stock
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def _loaded_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_importing_the_renderer_loads_neither_httpx_nor_the_transliteration_tables():
    loaded = _loaded_after(PROBE)
    assert "renders" in loaded and "numpy" in loaded  # the probe really imported the renderer
    assert "httpx" not in loaded
    assert "indic_transliteration" not in loaded


def test_both_load_when_they_are_used():
    code = PROBE.replace(
        "print(",
        "roman.romanize_word('भक्त')\n"
        "try:\n"
        "    from renders.pipeline.providers.retry import RetryPolicy\n"
        "    client = pexels_stock.PexelsClient(api_key='k', base_url='http://127.0.0.1:9', policy=RetryPolicy(max_retries=0))\n"
        "    client.search_videos('x', orientation='landscape')\n"
        "except Exception:\n"
        "    pass\n"
        "print(",
        1,
    )
    loaded = _loaded_after(code)
    assert {"httpx", "indic_transliteration"} <= loaded
