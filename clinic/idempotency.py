"""`Idempotency-Key` for API writes: the same request sent again returns the first answer.

A client whose connection dropped after it sent `POST /courses` cannot know whether the course
was booked. Sent again with the same key, the request is not run again: the stored answer (its
status and JSON body, byte for byte) comes back. A key belongs to its user; it is stored in the
transaction of the change it answers, so a refused request (4xx) keeps no key and may be sent
again; the same key with a different request (another operation or body) is 422
`idempotency_key_reused`; keys are kept `KEEP_FOR` (24 h), then `idempotency_keys_purge`
(hourly, setup_schedules) deletes them, and an expired key is treated as new.

Two sends with one key at the same moment: the second INSERT of the key waits on the unique
index until the first transaction ends, then finds its row and returns its answer (or, if the
first was refused, runs the change itself).

Page forms use their own per-render keys (clinic/submissions.py, the `{% form_key %}` tag).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from django.contrib.auth.models import User
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction

from clinic.clock import resolve_now
from clinic.error_codes import ERR_IDEMPOTENCY_KEY_INVALID, ERR_IDEMPOTENCY_KEY_REUSED
from clinic.errors import InvalidInput
from clinic.models import FormSubmission, IdempotencyKey

T = TypeVar("T")
HEADER = "Idempotency-Key"
KEEP_FOR = dt.timedelta(hours=24)
# Printable ASCII without spaces, as the IETF draft's examples (UUIDs, random tokens).
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


@dataclass(frozen=True)
class Answer:
    status: int
    body: str  # JSON text


def idempotency_key_check(key: str) -> str:
    if not _KEY.match(key):
        raise InvalidInput(
            f"{HEADER}: 1 to 255 printable ASCII characters without spaces (a UUID will do).",
            code=ERR_IDEMPOTENCY_KEY_INVALID,
        )
    return key


def request_hash(*, operation: str, data: Any) -> str:
    text = json.dumps([operation, data], sort_keys=True, cls=DjangoJSONEncoder)
    return hashlib.sha256(text.encode()).hexdigest()


def _stored(*, user: User, key: str, now: dt.datetime) -> IdempotencyKey | None:
    row = IdempotencyKey.objects.select_for_update().filter(user=user, key=key).first()
    if row is not None and row.created_at <= now - KEEP_FOR:
        row.delete()  # expired, not yet purged: the key is new again
        return None
    return row


def _replay(row: IdempotencyKey, *, fingerprint: str) -> Answer:
    if row.request_hash != fingerprint:
        raise InvalidInput(
            f"{HEADER}: this key was used for another request; use a new key for each request.",
            code=ERR_IDEMPOTENCY_KEY_REUSED,
        )
    return Answer(status=row.status, body=row.response_body)


def idempotent_change(
    *,
    key: str,
    user: User,
    operation: str,
    data: Any,
    change: Callable[[], tuple[T, Answer]],
    now: dt.datetime | None = None,
) -> tuple[T | None, Answer]:
    """Run `change` once per (user, key): (result, answer) the first time, (None, the stored
    answer) for a repeat. `change` returns its result and the answer to store; `data` is the
    request as JSON-able data (a repeat must send the same)."""
    now = resolve_now(now)
    key = idempotency_key_check(key)
    fingerprint = request_hash(operation=operation, data=data)
    with transaction.atomic():
        row = _stored(user=user, key=key, now=now)
        if row is not None:
            return None, _replay(row, fingerprint=fingerprint)
        try:
            with transaction.atomic():
                row = IdempotencyKey.objects.create(
                    user=user,
                    key=key,
                    operation=operation,
                    request_hash=fingerprint,
                    status=0,
                    response_body="",
                    created_at=now,
                )
        except IntegrityError:
            # A send with the same key committed while we waited on the unique index.
            row = IdempotencyKey.objects.get(user=user, key=key)
            return None, _replay(row, fingerprint=fingerprint)
        result, answer = change()
        row.status, row.response_body = answer.status, answer.body
        row.save(update_fields=["status", "response_body"])
        return result, answer


def idempotency_keys_purge(*, now: dt.datetime | None = None) -> int:
    """Delete API idempotency keys and page-form submission keys older than KEEP_FOR; returns
    how many rows went. A form resent after a day runs again, like an expired API key."""
    cutoff = resolve_now(now) - KEEP_FOR
    api, _ = IdempotencyKey.objects.filter(created_at__lte=cutoff).delete()
    forms, _ = FormSubmission.objects.filter(created_at__lte=cutoff).delete()
    return api + forms
