"""The studio's photo flow between its steps: a draft kept in the creator's session.

Three pages (photos and music → title and description → review the drafted scenes) make one
video. What a creator has done so far lives on the server, in the session under a flow id that is
part of each step's URL, so going back and forth, an error on any step, or a reload loses
nothing; a second browser tab starts its own flow. The draft names photos only by their opaque
upload ids (`up_…`); every page that reads them back asks `renders.uploads.get_own_upload`, so an
id that is not the creator's own never reaches a plan.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import asdict, dataclass, field
from typing import Any

from django.contrib.sessions.backends.base import SessionBase

SESSION_KEY = "photo_drafts"
# A session keeps the few flows a creator last touched; older ones are dropped, oldest first.
MAX_DRAFTS = 5
FLOW_ID_BYTES = 9  # 12 URL-safe characters


@dataclass
class PhotoDraft:
    """One photo video in the making. `plan` is the drafted plan once step 2 is done."""

    flow_id: str
    photos: list[str] = field(default_factory=list)  # upload ids, in the video's order
    music: str = "tanpura"
    details: dict[str, str] = field(default_factory=dict)  # step 2's fields as last posted
    plan: dict[str, Any] | None = None
    plan_inputs: str = ""  # what `plan` was drafted from (draft_inputs_key), to redraft only on change

    def inputs_key(self) -> str:
        """A digest of everything the drafted plan depends on: photos, music and step 2's details."""
        payload = json.dumps({"photos": self.photos, "music": self.music, "details": self.details}, sort_keys=True)
        return hashlib.sha256(payload.encode()).hexdigest()

    @property
    def plan_is_current(self) -> bool:
        return self.plan is not None and self.plan_inputs == self.inputs_key()


def _drafts(session: SessionBase) -> dict[str, dict[str, Any]]:
    drafts = session.get(SESSION_KEY)
    return drafts if isinstance(drafts, dict) else {}


def new_draft(session: SessionBase) -> PhotoDraft:
    """Start a flow with a fresh id (and store it, so its first page can be reloaded)."""
    draft = PhotoDraft(flow_id=secrets.token_urlsafe(FLOW_ID_BYTES))
    save_draft(session, draft)
    return draft


def load_draft(session: SessionBase, flow_id: str) -> PhotoDraft | None:
    """The session's draft for `flow_id`, or None (an unknown, expired or another session's flow)."""
    stored = _drafts(session).get(flow_id)
    if not isinstance(stored, dict):
        return None
    try:
        return PhotoDraft(**{**stored, "flow_id": flow_id})
    except TypeError:  # a draft stored by an older shape of this class
        return None


def save_draft(session: SessionBase, draft: PhotoDraft) -> None:
    drafts = {key: value for key, value in _drafts(session).items() if key != draft.flow_id}
    drafts[draft.flow_id] = asdict(draft)  # last, so it is the newest
    while len(drafts) > MAX_DRAFTS:
        drafts.pop(next(iter(drafts)))
    session[SESSION_KEY] = drafts


def discard_draft(session: SessionBase, flow_id: str) -> None:
    """Forget a flow once its video is rendering (its plan lives on the job from then on)."""
    drafts = _drafts(session)
    if flow_id in drafts:
        session[SESSION_KEY] = {key: value for key, value in drafts.items() if key != flow_id}
