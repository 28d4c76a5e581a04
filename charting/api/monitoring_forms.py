"""Esketamine REMS monitoring forms: the queue, one form, marking it submitted."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query

from charting import services
from charting.api.builders import _monitoring_out
from charting.api.common import _ERRORS, ChartingRouter, _get, _reader
from charting.api.schemas import MonitoringFilter, MonitoringFormOut, SubmitIn
from charting.models import MonitoringFormItem
from clinic.permissions import filter_sites

router = ChartingRouter()


@router.get("/monitoring-forms", response={200: list[MonitoringFormOut], **_ERRORS})
def list_monitoring_forms(request: HttpRequest, filters: Query[MonitoringFilter]):
    """REMS monitoring forms: open ones (default) with due_soon / overdue, oldest due first."""
    _reader(request)
    qs = filter_sites(
        MonitoringFormItem.objects.select_related("patient", "session", "site", "submitted_by"),
        request.user,
    )
    if filters.status != "all":
        qs = qs.filter(status=filters.status)
    now = timezone.now()
    return [_monitoring_out(i, now, filters.soon_days) for i in qs.order_by("due_date", "id")]


@router.get(
    "/monitoring-forms/due",
    response={200: list[MonitoringFormOut], **_ERRORS},
    operation_id="monitoring_forms_due",
)
def due_monitoring_forms(request: HttpRequest):
    """Open forms due within 2 days or overdue at the caller's sites: the list the daily job
    emails to each site's clinicians."""
    from charting.rems_due import DUE_WITHIN_DAYS, monitoring_forms_due_now
    from clinic.permissions import user_site_ids

    _reader(request)
    allowed = user_site_ids(request.user)
    now = timezone.now()
    items = monitoring_forms_due_now(site_ids=None if allowed is None else list(allowed), now=now)
    return [_monitoring_out(i, now, DUE_WITHIN_DAYS) for i in items]


def _monitoring(request: HttpRequest, pk: int) -> MonitoringFormItem:
    qs = MonitoringFormItem.objects.select_related("patient", "session", "site")
    return _get(request, qs, pk, "monitoring_form_not_found", "monitoring form")


@router.get("/monitoring-forms/{item_id}", response={200: MonitoringFormOut, **_ERRORS})
def get_monitoring_form(request: HttpRequest, item_id: int):
    return _monitoring_out(_monitoring(request, item_id), timezone.now(), 2)


@router.post("/monitoring-forms/{item_id}/submit", response={200: MonitoringFormOut, **_ERRORS})
def submit_monitoring_form(request: HttpRequest, item_id: int, payload: SubmitIn):
    """Mark the form submitted to the REMS: who (the caller), when, how and a reference."""
    item = services.monitoring_form_submit(
        item=_monitoring(request, item_id),
        how=payload.how,
        reference=payload.reference,
        submitted_at=payload.submitted_at,
        by=request.user,
    )
    return _monitoring_out(
        MonitoringFormItem.objects.select_related("patient", "session", "site").get(pk=item.pk),
        timezone.now(),
        2,
    )
