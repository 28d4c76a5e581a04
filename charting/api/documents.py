"""PDF documents: course summary, session record, completed screening checklist, blank paper
forms, the daily run sheet (live or as stored by the evening job) and the REMS monitoring form
draft. See docs/documents.md.

Who may open which document is one table, `clinic.permissions.DOCUMENTS` (docs/pages.md,
"Documents by role"): the clinical documents (course summary, session record, screening
checklist, REMS draft) for nurses and clinicians, the same readers as patients' own answers
(`clinical_reader`); the run sheets and blank forms for every staff role. Admins open all.
Another site's course, session or screening is a 404 first, as everywhere else in the API;
then a role that may not open the document gets 403 with the reason.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.text import slugify
from ninja import Query, Router

from charting.api.builders import run_sheet_out
from charting.api.schemas import DOCUMENT_ERRORS, BlankQuery, DayQuery, RunSheetOut
from charting.api.templates import TemplateSlug
from charting.documents.blank_forms import BlankFormRenderer
from charting.documents.course_summary import CourseSummaryRenderer
from charting.documents.rems_form import RemsFormRenderer
from charting.documents.run_sheet import RunSheetRenderer
from charting.documents.screening_checklist import ScreeningChecklistRenderer
from charting.documents.session_record import SessionRecordRenderer
from charting.selectors.chart import (
    chart_course,
    chart_session,
    chart_site,
    screening_for_reader,
    template_get,
)
from charting.selectors.documents.blank_forms import blank_form_data
from charting.selectors.documents.course_summary import course_summary_data
from charting.selectors.documents.rems_form import rems_form_data, rems_template_for
from charting.selectors.documents.run_sheet import (
    run_sheet_data,
    stored_run_sheet_get,
    stored_run_sheet_list,
)
from charting.selectors.documents.screening_checklist import screening_checklist_data
from charting.selectors.documents.session_record import session_record_data
from charting.selectors.patient_reports import patient_answers_visible
from clinic import clock
from clinic.permissions import acting_user, require_document

router = Router()

PDF_RESPONSE: dict[str, Any] = {
    "responses": {
        200: {
            "description": "The PDF document",
            "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Patient documents must not sit in a shared proxy or the browser's disk cache.
    response["Cache-Control"] = "private, no-store"
    return response


def pdf_name(*parts: object) -> str:
    return "-".join(slugify(str(p)) for p in parts if str(p)) + ".pdf"


@router.get(
    "/courses/{course_id}/summary.pdf",
    response=DOCUMENT_ERRORS,
    openapi_extra=PDF_RESPONSE,
    operation_id="documents_course_summary",
)
def course_summary_pdf(request: HttpRequest, course_id: int) -> HttpResponse:
    """Course summary: patient, protocol, schedule, parameters, alerts, outcome scales."""
    user = acting_user(request)
    course = chart_course(user=user, course_id=course_id)
    require_document(user, "course_summary")
    data = course_summary_data(
        course_id=course.pk, now=clock.now(), answers_shown=patient_answers_visible(user=user)
    )
    pdf = CourseSummaryRenderer(data).render()
    return pdf_response(pdf, pdf_name("course", course.pk, "summary", data.patient.mrn))


@router.get(
    "/sessions/{session_id}/record.pdf",
    response=DOCUMENT_ERRORS,
    openapi_extra=PDF_RESPONSE,
    operation_id="documents_session_record",
)
def session_record_pdf(request: HttpRequest, session_id: int) -> HttpResponse:
    """Session record: screening, parameters, checkpoints, alerts, signature, amendments."""
    user = acting_user(request)
    session = chart_session(user=user, session_id=session_id)
    require_document(user, "session_record")
    data = session_record_data(
        session_id=session.pk, now=clock.now(), answers_shown=patient_answers_visible(user=user)
    )
    pdf = SessionRecordRenderer(data).render()
    return pdf_response(
        pdf,
        pdf_name("session", session.pk, "record", session.patient.mrn, f"{session.start:%Y%m%d}"),
    )


@router.get(
    "/screenings/{screening_id}/checklist.pdf",
    response=DOCUMENT_ERRORS,
    openapi_extra=PDF_RESPONSE,
    operation_id="documents_screening_checklist",
)
def screening_checklist_pdf(request: HttpRequest, screening_id: int) -> HttpResponse:
    """A completed screening checklist with its flags, review and override."""
    user = acting_user(request)
    response = screening_for_reader(user=user, screening_id=screening_id)
    require_document(user, "screening_checklist")
    data = screening_checklist_data(screening_id=response.pk, now=clock.now())
    pdf = ScreeningChecklistRenderer(data).render()
    return pdf_response(pdf, pdf_name("screening", response.pk, response.patient.mrn))


@router.get(
    "/templates/{slug}/blank.pdf",
    response=DOCUMENT_ERRORS,
    openapi_extra=PDF_RESPONSE,
    operation_id="documents_blank_form",
)
def blank_form_pdf(
    request: HttpRequest, slug: TemplateSlug, query: Query[BlankQuery]
) -> HttpResponse:
    """A blank paper form of a template (newest version, or `?version=`) for downtime; the
    header names `?site_id=` (default: the caller's first site)."""
    user = acting_user(request)
    template = template_get(user=user, slug=slug, version=query.version)
    site = chart_site(user=user, site_id=query.site_id)
    require_document(user, "blank_form")
    data = blank_form_data(template=template, site=site, now=clock.now())
    pdf = BlankFormRenderer(data).render()
    return pdf_response(pdf, pdf_name(template.slug, f"v{template.version}", "blank"))


@router.get(
    "/sites/{site_id}/run-sheet.pdf",
    response=DOCUMENT_ERRORS,
    openapi_extra=PDF_RESPONSE,
    operation_id="documents_run_sheet",
)
def run_sheet_pdf(request: HttpRequest, site_id: int, query: Query[DayQuery]) -> HttpResponse:
    """The run sheet of `?date=` (default today, local to the site), rendered now."""
    user = acting_user(request)
    site = chart_site(user=user, site_id=site_id)
    require_document(user, "run_sheet")
    now = clock.now()
    day = query.date or now.astimezone(site.zone).date()
    pdf = RunSheetRenderer(run_sheet_data(site=site, day=day, now=now)).render()
    return pdf_response(pdf, pdf_name(site.slug, "run-sheet", day.isoformat()))


@router.get(
    "/sites/{site_id}/run-sheets",
    response={200: list[RunSheetOut], **DOCUMENT_ERRORS},
    operation_id="documents_run_sheets_stored",
)
def stored_run_sheets(request: HttpRequest, site_id: int) -> list[dict[str, Any]]:
    """Run sheets the evening job stored, newest day first (the last 30)."""
    user = acting_user(request)
    site = chart_site(user=user, site_id=site_id)
    require_document(user, "stored_run_sheets")
    return [run_sheet_out(sheet, size) for sheet, size in stored_run_sheet_list(site=site)]


@router.get(
    "/sites/{site_id}/stored-run-sheet.pdf",
    response=DOCUMENT_ERRORS,
    openapi_extra=PDF_RESPONSE,
    operation_id="documents_run_sheet_stored",
)
def stored_run_sheet_pdf(
    request: HttpRequest, site_id: int, query: Query[DayQuery]
) -> HttpResponse:
    """The run sheet stored for `?date=` (default tomorrow, local to the site)."""
    user = acting_user(request)
    site = chart_site(user=user, site_id=site_id)
    require_document(user, "stored_run_sheet")
    day = query.date or clock.now().astimezone(site.zone).date() + dt.timedelta(days=1)
    sheet = stored_run_sheet_get(site=site, day=day)
    return pdf_response(bytes(sheet.pdf), pdf_name(site.slug, "run-sheet", day.isoformat()))


@router.get(
    "/sessions/{session_id}/rems-form.pdf",
    response=DOCUMENT_ERRORS,
    openapi_extra=PDF_RESPONSE,
    operation_id="documents_rems_form",
)
def rems_form_pdf(request: HttpRequest, session_id: int) -> HttpResponse:
    """The REMS Patient Monitoring Form draft of an esketamine session, prefilled."""
    user = acting_user(request)
    session = chart_session(user=user, session_id=session_id)
    require_document(user, "rems_form")
    template = rems_template_for(session=session)
    data = rems_form_data(session=session, template=template, now=clock.now())
    pdf = RemsFormRenderer(data).render()
    return pdf_response(
        pdf, pdf_name("rems-monitoring", session.patient.mrn, f"{session.start:%Y%m%d}")
    )
