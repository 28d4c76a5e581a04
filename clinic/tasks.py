"""Background tasks of clinic (django-q2); schedules: scheduling/management/commands/
setup_schedules.py."""

from __future__ import annotations

from clinic.idempotency import idempotency_keys_purge


def purge_idempotency_keys() -> int:
    """Hourly: delete API idempotency keys and page-form keys older than 24 hours."""
    return idempotency_keys_purge()
