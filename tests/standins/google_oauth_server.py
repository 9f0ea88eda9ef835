"""A stand-in for Google's OAuth 2.0 endpoints: consent (auto-approved), token (PKCE-checked), revoke."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode

from tests.standins.server import Recorded, Reply, StandinServer

CLIENT_ID = "standin-client.apps.googleusercontent.com"
CLIENT_SECRET = "standin-client-secret"


@dataclass
class Grant:
    redirect_uri: str
    scope: str
    challenge: str
    method: str


@dataclass
class TokenState:
    refresh_tokens: dict[str, str] = field(default_factory=dict)  # refresh token -> scope
    access_tokens: dict[str, float] = field(default_factory=dict)  # access token -> expiry (epoch s)
    revoked: set[str] = field(default_factory=set)


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


class GoogleOAuthStandin(StandinServer):
    """/o/oauth2/auth, /token and /revoke. `tokens` is shared with the YouTube stand-in."""

    def __init__(self, client_id: str = CLIENT_ID, client_secret: str = CLIENT_SECRET) -> None:
        super().__init__()
        self.client_id = client_id
        self.client_secret = client_secret
        self.grants: dict[str, Grant] = {}
        self.tokens = TokenState()
        self.granted_scope: str | None = None  # set to grant fewer scopes than asked

    @property
    def auth_uri(self) -> str:
        return f"{self.url}/o/oauth2/auth"

    @property
    def token_uri(self) -> str:
        return f"{self.url}/token"

    @property
    def revoke_uri(self) -> str:
        return f"{self.url}/revoke"

    def issue_access_token(self, lifetime_sec: float = 3600) -> str:
        token = "ya29.standin-" + secrets.token_urlsafe(12)
        self.tokens.access_tokens[token] = time.time() + lifetime_sec
        return token

    def issue_refresh_token(self, scope: str) -> str:
        token = "1//standin-refresh-" + secrets.token_urlsafe(12)
        self.tokens.refresh_tokens[token] = scope
        return token

    def is_valid_access_token(self, token: str) -> bool:
        expiry = self.tokens.access_tokens.get(token)
        return expiry is not None and expiry > time.time() and token not in self.tokens.revoked

    def route(self, request: Recorded) -> Reply:
        if request.method == "GET" and request.path == "/o/oauth2/auth":
            return self._consent(request.query)
        form = {key: values[-1] for key, values in parse_qs(request.body.decode()).items()}
        if request.method == "POST" and request.path == "/token":
            return self._token(form, request.headers)
        if request.method == "POST" and request.path == "/revoke":
            token = form.get("token") or request.query.get("token", "")
            if token in self.tokens.refresh_tokens or token in self.tokens.access_tokens:
                self.tokens.revoked.add(token)
                return Reply.json({})
            return Reply.json({"error": "invalid_token", "error_description": "Token expired or revoked"}, 400)
        return Reply.json({"error": "not_found"}, 404)

    def _consent(self, query: dict[str, str]) -> Reply:
        if query.get("client_id") != self.client_id:
            return Reply.json({"error": "invalid_client"}, 401)
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            return Reply.json({"error": "invalid_request", "error_description": "PKCE S256 challenge required"}, 400)
        code = "4/standin-code-" + secrets.token_urlsafe(8)
        self.grants[code] = Grant(
            redirect_uri=query["redirect_uri"],
            scope=self.granted_scope or query.get("scope", ""),
            challenge=query["code_challenge"],
            method=query["code_challenge_method"],
        )
        location = f"{query['redirect_uri']}?{urlencode({'state': query.get('state', ''), 'code': code, 'scope': query.get('scope', '')})}"
        return Reply(302, b"", {"Location": location})

    def _client_ok(self, form: dict[str, str], headers: dict[str, str]) -> bool:
        client_id, client_secret = form.get("client_id"), form.get("client_secret")
        auth = headers.get("authorization", "")
        if auth.startswith("Basic "):
            client_id, _, client_secret = base64.b64decode(auth[6:]).decode().partition(":")
        return client_id == self.client_id and client_secret == self.client_secret

    def _token(self, form: dict[str, str], headers: dict[str, str]) -> Reply:
        if not self._client_ok(form, headers):
            return Reply.json({"error": "invalid_client", "error_description": "Unauthorized"}, 401)
        grant_type = form.get("grant_type")
        if grant_type == "authorization_code":
            grant = self.grants.pop(form.get("code", ""), None)
            if grant is None:
                return Reply.json({"error": "invalid_grant", "error_description": "Bad Request"}, 400)
            if grant.redirect_uri != form.get("redirect_uri"):
                return Reply.json({"error": "redirect_uri_mismatch"}, 400)
            if s256(form.get("code_verifier", "")) != grant.challenge:
                return Reply.json({"error": "invalid_grant", "error_description": "Invalid code verifier."}, 400)
            return Reply.json({
                "access_token": self.issue_access_token(), "expires_in": 3599, "token_type": "Bearer",
                "scope": grant.scope, "refresh_token": self.issue_refresh_token(grant.scope),
            })  # fmt: skip
        if grant_type == "refresh_token":
            token = form.get("refresh_token", "")
            if token not in self.tokens.refresh_tokens or token in self.tokens.revoked:
                return Reply.json(
                    {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}, 400
                )
            return Reply.json({
                "access_token": self.issue_access_token(), "expires_in": 3599, "token_type": "Bearer",
                "scope": self.tokens.refresh_tokens[token],
            })  # fmt: skip
        return Reply.json({"error": "unsupported_grant_type"}, 400)
