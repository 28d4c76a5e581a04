"""Recording a background task that had nothing to do with the object it was given."""

from __future__ import annotations

import logging

from scheduling.models import SkippedTask

logger = logging.getLogger("clinic.tasks")


def task_skip_record(*, task: str, kind: str, object_id: int | None, reason: str) -> SkippedTask:
    """Store (and log) why a task skipped its object: shown in the admin under Skipped tasks."""
    logger.info("task %s skipped %s %s: %s", task, kind, object_id, reason)
    return SkippedTask.objects.create(
        task=task, object_kind=kind, object_id=object_id, reason=reason[:300]
    )
