"""Esketamine REMS monitoring forms: the queue, one form, marking it submitted."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from charting.api.builders import monitoring_out
from charting.api.schemas import ERRORS, MonitoringFilter, MonitoringFormOut, SubmitIn
from charting.monitoring_forms import monitoring_form_submit
from charting.rems_due import DUE_WITHIN_DAYS
from charting.selectors.chart import monitoring_form_for_reader, monitoring_form_get
from charting.selectors.queues import monitoring_form_list, monitoring_forms_due_for_reader
from clinic import clock
from clinic.permissions import acting_user

router = Router()


@router.get(
    "/monitoring-forms",
    response={200: list[MonitoringFormOut], **ERRORS},
    operation_id="charting_api_list_monitoring_forms",
)
def list_monitoring_forms(
    request: HttpRequest, filters: Query[MonitoringFilter]
) -> list[dict[str, Any]]:
    """REMS monitoring forms: open ones (default) with due_soon / overdue, oldest due first."""
    rows = monitoring_form_list(user=acting_user(request), status=filters.status)
    now = clock.now()
    return [monitoring_out(i, now, filters.soon_days) for i in rows]


@router.get(
    "/monitoring-forms/due",
    response={200: list[MonitoringFormOut], **ERRORS},
    operation_id="monitoring_forms_due",
)
def due_monitoring_forms(request: HttpRequest) -> list[dict[str, Any]]:
    """Open forms due within 2 days or overdue at the caller's sites: the list the daily job
    emails to each site's clinicians."""
    now = clock.now()
    items = monitoring_forms_due_for_reader(user=acting_user(request), now=now)
    return [monitoring_out(i, now, DUE_WITHIN_DAYS) for i in items]


@router.get(
    "/monitoring-forms/{item_id}",
    response={200: MonitoringFormOut, **ERRORS},
    operation_id="charting_api_get_monitoring_form",
)
def get_monitoring_form(request: HttpRequest, item_id: int) -> dict[str, Any]:
    item = monitoring_form_for_reader(user=acting_user(request), item_id=item_id)
    return monitoring_out(item, clock.now(), DUE_WITHIN_DAYS)


@router.post(
    "/monitoring-forms/{item_id}/submit",
    response={200: MonitoringFormOut, **ERRORS},
    operation_id="charting_api_submit_monitoring_form",
)
def submit_monitoring_form(request: HttpRequest, item_id: int, payload: SubmitIn) -> dict[str, Any]:
    """Mark the form submitted to the REMS: who (the caller), when, how and a reference."""
    user = acting_user(request)
    item = monitoring_form_submit(
        item=monitoring_form_for_reader(user=user, item_id=item_id),
        how=payload.how,
        reference=payload.reference,
        submitted_at=payload.submitted_at,
        by=user,
    )
    return monitoring_out(monitoring_form_get(item_id=item.pk), clock.now(), DUE_WITHIN_DAYS)
