"""The library's endpoints: story templates and the video library (/api/v1/templates…, /api/v1/library…)."""
