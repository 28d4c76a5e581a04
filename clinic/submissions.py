"""Double-submit safety for page forms: run a change once per idempotency key."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from typing import TypeVar

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction

from clinic import clock
from clinic.error_codes import ERR_FORM_KEY_MISSING
from clinic.errors import InvalidInput
from clinic.models import FormSubmission

T = TypeVar("T")
KEY_FIELD = "form_key"
_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def new_key() -> str:
    return secrets.token_urlsafe(24)


def submit_once(*, key: str | None, user: User, change: Callable[[], T]) -> tuple[bool, T | None]:
    """Run `change` unless a submission with this key already ran: (True, result) the first
    time, (False, None) for a repeat. The key is stored in the same transaction as the change,
    so if `change` raises, nothing is kept and the same key may be sent again.

    Two taps arriving together: the second insert waits on the unique index until the first
    transaction ends, then fails (repeat) or succeeds (the first was refused)."""
    if not key or not _KEY.match(key):
        raise InvalidInput(
            "The form is missing its submission key; reload the page and try again.",
            code=ERR_FORM_KEY_MISSING,
        )
    with transaction.atomic():
        try:
            with transaction.atomic():
                FormSubmission.objects.create(key=key, user=user, created_at=clock.now())
        except IntegrityError:
            return False, None
        return True, change()
