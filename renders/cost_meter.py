"""What a render's provider calls actually cost, metered as they happen and recorded on the job.

Each provider in a chain is wrapped in a meter that adds the cost it reports (Picture.cost,
Speech.cost, Footage.cost) to the set's CostMeter; the worker adds the total to
RenderJob.cost_actual and the job summary. Estimates before a render are `renders.costs`.
"""

from __future__ import annotations

import json
import threading
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from django.db.models import F

from renders.pipeline.providers.base import (
    Footage,
    FootageProvider,
    ImageProvider,
    Picture,
    ProviderSet,
    Speech,
    SpeechProvider,
)

_CENT_FRACTIONS = Decimal("0.0001")


class CostMeter:
    """Adds up what providers report, per provider and kind. Thread-safe: steps may run in parallel.

    Sums are kept in Decimal (each call's cost taken at its shortest decimal form), so a hundred
    calls at $0.00198 add up to 0.198 in job_summary.json, not 0.19799999999999998.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.by_provider: dict[str, dict[str, Decimal | int]] = {}
        self.recorded = Decimal("0")  # how much of `total` is already on the job

    def add(self, kind: str, provider: str, cost: float | Decimal, units: int) -> None:
        amount = cost if isinstance(cost, Decimal) else Decimal(str(cost))
        with self._lock:
            entry = self.by_provider.setdefault(f"{kind}:{provider}", {"calls": 0, "units": 0, "cost": Decimal("0")})
            entry["calls"] += 1
            entry["units"] += units
            entry["cost"] += amount

    @property
    def total(self) -> Decimal:
        with self._lock:
            amount = sum((Decimal(entry["cost"]) for entry in self.by_provider.values()), Decimal("0"))
        return amount.quantize(_CENT_FRACTIONS, rounding=ROUND_HALF_UP)

    def summary(self) -> dict[str, object]:
        """JSON-ready: amounts as numbers whose text is the exact decimal (float() of a Decimal
        with few digits prints back as those digits)."""
        with self._lock:
            lines = {
                key: {"calls": value["calls"], "units": value["units"], "cost": float(value["cost"])}
                for key, value in self.by_provider.items()
            }
        return {"total": float(self.total), "by_provider": lines}


class MeteredImages:
    def __init__(self, inner: ImageProvider, meter: CostMeter):
        self.inner = inner
        self.name = inner.name
        self.meter = meter

    def generate(self, prompt: str, style: str, size: tuple[int, int], seed: str) -> Picture:
        picture = self.inner.generate(prompt, style, size, seed)
        self.meter.add("images", self.name, picture.cost, units=1)
        return picture


class MeteredSpeech:
    def __init__(self, inner: SpeechProvider, meter: CostMeter):
        self.inner = inner
        self.name = inner.name
        self.meter = meter

    def synthesize(self, text: str, language: str, voice: str) -> Speech:
        speech = self.inner.synthesize(text, language, voice)
        self.meter.add("speech", self.name, speech.cost, units=len(text))
        return speech


class MeteredFootage:
    def __init__(self, inner: FootageProvider, meter: CostMeter):
        self.inner = inner
        self.name = inner.name
        self.meter = meter

    def fetch(self, query: str, size: tuple[int, int], dest: Path) -> Footage:
        footage = self.inner.fetch(query, size, dest)
        self.meter.add("footage", self.name, footage.cost, units=1)
        return footage


def record_actual_cost(job_id: str, providers: ProviderSet | None, summary: Path | None = None) -> Decimal:
    """Add what this attempt spent so far to RenderJob.cost_actual; note the spend in the summary.

    Safe to call more than once per attempt (only the spend not yet recorded is added), so the
    worker calls it after the pipeline and again whatever the outcome: a failed attempt's images
    were paid for too, and a retry adds its own spend on top. Returns the amount added.
    """
    from renders.models import RenderJob

    meter = getattr(providers, "meter", None)
    if not isinstance(meter, CostMeter):
        return Decimal("0")
    total = meter.total
    added = total - meter.recorded
    if added:
        RenderJob.objects.filter(pk=job_id).update(cost_actual=F("cost_actual") + added)
        meter.recorded = total
    if summary is not None and summary.exists():
        data = json.loads(summary.read_text())
        data["cost"] = meter.summary()
        summary.write_text(json.dumps(data, indent=2, ensure_ascii=False))
    return added
