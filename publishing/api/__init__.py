"""The publishing endpoints (/api/v1/publish/…)."""
