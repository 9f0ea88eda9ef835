"""Ways to name someone else's file (or a server file) where a creator's own upload is expected.

Shared by the API, studio, script-draft and worker tests, so every door is tried with every key.
"""

from __future__ import annotations

from pathlib import Path


def foreign_file_names(*, me: int, their_upload: str, their_job_file: str, media_root: Path) -> list[str]:
    """Names that must never resolve to anything for creator `me`.

    `their_upload` is another creator's stored upload (`uploads/<them>/<file>`), `their_job_file`
    one of their job's stored files (`jobs/<job>/scene_00.jpg`).
    """
    their_id, their_file = their_upload.split("/")[1:]
    up = f"uploads/{me}/../{their_id}/{their_file}"
    tricks = [
        their_upload,  # plainly someone else's
        up,
        f"uploads/{me}/../../{their_job_file}",
        f"uploads/{me}/./../{their_id}/{their_file}",
        f"uploads/{me}//../{their_id}/{their_file}",
        f"uploads/{me}/x/../../{their_id}/{their_file}",
        "../../../../etc/passwd",
        f"uploads/{me}/../../../../../../../../etc/passwd",
        "/etc/passwd",
        f"/{their_upload}",
        f"{media_root}/{their_upload}",
        f"uploads/{me}/{media_root}/{their_upload}",
        f"file:///{media_root}/{their_upload}",
        f"uploads\\{me}\\..\\{their_id}\\{their_file}",
        f"uploads/{me}/..\\{their_id}\\{their_file}",
        f"uploads/{me}/%2e%2e/{their_id}/{their_file}",
        f"uploads/{me}/%2E%2E%2F{their_id}%2F{their_file}",
        f"uploads/{me}/..%2f{their_id}%2f{their_file}",
        f"uploads/{me}/%252e%252e/{their_id}/{their_file}",
        f"uploads%2f{me}%2f..%2f{their_id}%2f{their_file}",
        f"uploads/{me}/\u2024\u2024/{their_id}/{their_file}",  # one-dot leaders
        f"uploads/{me}/\uff0e\uff0e/{their_id}/{their_file}",  # fullwidth full stops
        f"uploads/{me}/\u2025/{their_id}/{their_file}",  # two-dot leader
        f"uploads/{me}/..\u2215{their_id}\u2215{their_file}",  # division slash
        f"uploads/{me}/x.png\x00/../../{their_id}/{their_file}",
        f"uploads/{me}/\n/../../{their_id}/{their_file}",
        f"uploads/{me}/~/../../{their_id}/{their_file}",
        f"~/{their_upload}",
        f"uploads/{me}/..",
        f"uploads/{me}/.",
        f"uploads/{me}/",
        f"uploads/{me}",
        f"uploads/{me}/{'a' * 300}.png",
        f"uploads/{me}/a.png/../../{their_id}/{their_file}",
    ]
    return tricks
