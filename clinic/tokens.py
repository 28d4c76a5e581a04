"""Random bearer tokens stored only as keyed hashes (API tokens, calendar feed tokens).

HMAC-SHA256 with a server-side key: a copy of the database alone cannot be used to forge or
recover a token, and lookups stay a single indexed equality query.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings


def new_token(prefix: str) -> str:
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def hash_token(token: str) -> str:
    key = settings.TOKEN_HASH_KEY.encode()
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()
