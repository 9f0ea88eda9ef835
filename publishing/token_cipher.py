"""Encryption at rest for OAuth tokens (Fernet). Keys come from FIELD_ENCRYPTION_KEY, else SECRET_KEY.

FIELD_ENCRYPTION_KEY may hold several comma-separated Fernet keys: the first encrypts, all
decrypt, so a key can be rotated without reconnecting every channel.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class TokenUnreadable(Exception):
    """A stored token cannot be decrypted: the key changed. The creator must reconnect."""


def _cipher() -> MultiFernet:
    raw = settings.FIELD_ENCRYPTION_KEY.strip()
    if raw:
        try:
            return MultiFernet([Fernet(key.strip().encode()) for key in raw.split(",") if key.strip()])
        except ValueError as error:
            raise ImproperlyConfigured(
                "FIELD_ENCRYPTION_KEY must be Fernet keys (32 url-safe base64 bytes), e.g. from "
                "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`"
            ) from error
    # Derived from SECRET_KEY with a purpose label, so the raw SECRET_KEY is never the cipher key.
    digest = hashlib.sha256(b"bhakti.publishing.tokens:" + settings.SECRET_KEY.encode()).digest()
    return MultiFernet([Fernet(base64.urlsafe_b64encode(digest))])


def encrypt_token(plain: str) -> str:
    if not plain:
        return ""
    return _cipher().encrypt(plain.encode()).decode()


def decrypt_token(stored: str) -> str:
    if not stored:
        return ""
    try:
        return _cipher().decrypt(stored.encode()).decode()
    except InvalidToken as error:
        raise TokenUnreadable("The stored YouTube token cannot be decrypted (the encryption key changed)") from error
