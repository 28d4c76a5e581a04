"""PDF documents: course summary, session record, completed screening checklist, blank paper
forms, the daily run sheet (live or as stored by the evening job) and the REMS monitoring form
draft. See docs/documents.md.

Who may read a document is who may read the data it shows: any scheduler, nurse or clinician
(or admin) of the object's site; another site's course, session or screening is a 404, as it
is everywhere else in the API.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.db.models.functions import Length
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.text import slugify
from ninja import Field, Path, Query, Schema

from charting.api.common import ChartingRouter, _course, _get, _reader, _session
from charting.documents.blank_forms import BlankFormRenderer
from charting.documents.course_summary import CourseSummaryRenderer
from charting.documents.rems_form import RemsFormRenderer
from charting.documents.run_sheet import RunSheetRenderer
from charting.documents.screening_checklist import ScreeningChecklistRenderer
from charting.documents.session_record import SessionRecordRenderer
from charting.models import FormTemplate, RunSheet, ScreeningResponse
from charting.selectors import (
    blank_form_data,
    course_summary_data,
    rems_form_data,
    run_sheet_data,
    screening_checklist_data,
    session_record_data,
)
from clinic.api import ErrorOut
from clinic.errors import NotFound
from clinic.models import Site
from clinic.permissions import filter_sites
from clinic.schemas import CalendarDay

router = ChartingRouter()

_ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
PDF_RESPONSE = {
    "responses": {
        "200": {
            "description": "The PDF document",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}
TemplateSlug = Annotated[str, Path(pattern=r"^[-a-zA-Z0-9_]+$", max_length=64)]


class DayQuery(Schema):
    date: CalendarDay | None = None


class BlankQuery(Schema):
    version: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    site_id: Annotated[int, Field(ge=1, le=2**53)] | None = None


class RunSheetOut(Schema):
    id: int
    site_id: int
    day: dt.date
    session_count: int
    generated_at: dt.datetime
    size_bytes: int
    download: str


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Patient documents must not sit in a shared proxy or the browser's disk cache.
    response["Cache-Control"] = "private, no-store"
    return response


def _name(*parts: object) -> str:
    return "-".join(slugify(str(p)) for p in parts if str(p)) + ".pdf"


def _site(request: HttpRequest, site_id: int) -> Site:
    _reader(request)
    site = filter_sites(Site.objects.all(), request.user, field="id").filter(pk=site_id).first()
    if site is None:
        raise NotFound(f"No site {site_id}.", code="site_not_found")
    return site


@router.get(
    "/courses/{course_id}/summary.pdf",
    response=_ERRORS,
    openapi_extra=PDF_RESPONSE,
    operation_id="documents_course_summary",
)
def course_summary_pdf(request: HttpRequest, course_id: int) -> HttpResponse:
    """Course summary: patient, protocol, schedule, parameters, alerts, outcome scales."""
    course = _course(request, course_id)
    data = course_summary_data(course_id=course.pk, now=timezone.now())
    pdf = CourseSummaryRenderer(data).render()
    return pdf_response(pdf, _name("course", course.pk, "summary", data.patient.mrn))


@router.get(
    "/sessions/{session_id}/record.pdf",
    response=_ERRORS,
    openapi_extra=PDF_RESPONSE,
    operation_id="documents_session_record",
)
def session_record_pdf(request: HttpRequest, session_id: int) -> HttpResponse:
    """Session record: screening, parameters, checkpoints, alerts, signature, amendments."""
    session = _session(request, session_id)
    data = session_record_data(session_id=session.pk, now=timezone.now())
    pdf = SessionRecordRenderer(data).render()
    return pdf_response(
        pdf, _name("session", session.pk, "record", session.patient.mrn, f"{session.start:%Y%m%d}")
    )


@router.get(
    "/screenings/{screening_id}/checklist.pdf",
    response=_ERRORS,
    openapi_extra=PDF_RESPONSE,
    operation_id="documents_screening_checklist",
)
def screening_checklist_pdf(request: HttpRequest, screening_id: int) -> HttpResponse:
    """A completed screening checklist with its flags, review and override."""
    response = _get(
        request,
        ScreeningResponse.objects.select_related("patient"),
        screening_id,
        "screening_not_found",
        "screening",
    )
    data = screening_checklist_data(screening_id=response.pk, now=timezone.now())
    pdf = ScreeningChecklistRenderer(data).render()
    return pdf_response(pdf, _name("screening", response.pk, response.patient.mrn))


@router.get(
    "/templates/{slug}/blank.pdf",
    response=_ERRORS,
    openapi_extra=PDF_RESPONSE,
    operation_id="documents_blank_form",
)
def blank_form_pdf(
    request: HttpRequest, slug: TemplateSlug, query: Query[BlankQuery]
) -> HttpResponse:
    """A blank paper form of a template (newest version, or `?version=`) for downtime; the
    header names `?site_id=` (default: the caller's first site)."""
    _reader(request)
    templates = FormTemplate.objects.filter(slug=slug)
    if query.version is not None:
        templates = templates.filter(version=query.version)
    template = templates.order_by("-version").first()
    if template is None:
        raise NotFound(f"No form template {slug!r}.", code="template_not_found")
    sites = filter_sites(Site.objects.order_by("name", "id"), request.user, field="id")
    site = sites.filter(pk=query.site_id).first() if query.site_id else sites.first()
    if site is None:
        raise NotFound("No such site.", code="site_not_found")
    data = blank_form_data(template=template, site=site, now=timezone.now())
    pdf = BlankFormRenderer(data).render()
    return pdf_response(pdf, _name(template.slug, f"v{template.version}", "blank"))


@router.get(
    "/sites/{site_id}/run-sheet.pdf",
    response=_ERRORS,
    openapi_extra=PDF_RESPONSE,
    operation_id="documents_run_sheet",
)
def run_sheet_pdf(request: HttpRequest, site_id: int, query: Query[DayQuery]) -> HttpResponse:
    """The run sheet of `?date=` (default today, local to the site), rendered now."""
    site = _site(request, site_id)
    now = timezone.now()
    day = query.date or now.astimezone(site.zone).date()
    pdf = RunSheetRenderer(run_sheet_data(site=site, day=day, now=now)).render()
    return pdf_response(pdf, _name(site.slug, "run-sheet", day.isoformat()))


@router.get(
    "/sites/{site_id}/run-sheets",
    response={200: list[RunSheetOut], **_ERRORS},
    operation_id="documents_run_sheets_stored",
)
def stored_run_sheets(request: HttpRequest, site_id: int) -> list[dict[str, Any]]:
    """Run sheets the evening job stored, newest day first (the last 30)."""
    site = _site(request, site_id)
    rows = (
        RunSheet.objects.filter(site=site)
        .defer("pdf")
        .annotate(size=Length("pdf"))
        .order_by("-day")[:30]
    )
    return [
        {
            "id": r.pk,
            "site_id": site.pk,
            "day": r.day,
            "session_count": r.session_count,
            "generated_at": r.generated_at,
            "size_bytes": r.size,
            "download": f"/api/v1/charting/sites/{site.pk}/stored-run-sheet.pdf?date={r.day}",
        }
        for r in rows
    ]


@router.get(
    "/sites/{site_id}/stored-run-sheet.pdf",
    response=_ERRORS,
    openapi_extra=PDF_RESPONSE,
    operation_id="documents_run_sheet_stored",
)
def stored_run_sheet_pdf(
    request: HttpRequest, site_id: int, query: Query[DayQuery]
) -> HttpResponse:
    """The run sheet stored for `?date=` (default tomorrow, local to the site)."""
    site = _site(request, site_id)
    day = query.date or timezone.now().astimezone(site.zone).date() + dt.timedelta(days=1)
    sheet = RunSheet.objects.filter(site=site, day=day).first()
    if sheet is None:
        raise NotFound(f"No run sheet stored for {day}.", code="run_sheet_not_found")
    return pdf_response(bytes(sheet.pdf), _name(site.slug, "run-sheet", day.isoformat()))


@router.get(
    "/sessions/{session_id}/rems-form.pdf",
    response=_ERRORS,
    openapi_extra=PDF_RESPONSE,
    operation_id="documents_rems_form",
)
def rems_form_pdf(request: HttpRequest, session_id: int) -> HttpResponse:
    """The REMS Patient Monitoring Form draft of an esketamine session, prefilled."""
    session = _session(request, session_id)
    slug = session.course.protocol.parsed.forms.observation
    template = FormTemplate.objects.filter(slug=slug).order_by("-version").first() if slug else None
    if template is None or not template.parsed.report:
        raise NotFound(
            "This session's protocol has no REMS monitoring form.",
            code="monitoring_form_not_applicable",
        )
    data = rems_form_data(session=session, template=template, now=timezone.now())
    pdf = RemsFormRenderer(data).render()
    return pdf_response(
        pdf, _name("rems-monitoring", session.patient.mrn, f"{session.start:%Y%m%d}")
    )
