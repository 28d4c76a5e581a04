"""What the daily run sheet PDF shows (charting/documents/run_sheet.py): the site's sessions of
one local day, each with what it still needs, in a fixed number of queries; and the run sheets
the evening job stored (charting/run_sheets.py).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.db.models.functions import Length

from charting.documents.run_sheet import RunSheetData, RunSheetLine
from charting.error_codes import ERR_RUN_SHEET_NOT_FOUND
from charting.models import FormTemplate, RunSheet, ScreeningResponse
from charting.selectors.documents.base import holds_prefetch, scales_label, session_resources
from clinic.errors import NotFound
from clinic.models import Site
from scheduling.availability import local_day_bounds
from scheduling.models import Session

# Screening answers that say the patient has a ride home (esketamine) or an escort (ECT).
RIDE_HOME_FIELDS = ("ride_home", "escort_arranged")


def run_sheet_data(*, site: Site, day: dt.date, now: dt.datetime) -> RunSheetData:
    """Queries: sessions with patient and protocol, holds, session screenings, course
    screenings, templates (5), whatever the number of sessions."""
    zone = site.zone
    start, end = local_day_bounds(day, zone)
    sessions = list(
        Session.objects.filter(site_id=site.pk, start__gte=start, start__lt=end)
        .select_related("patient", "course__protocol")
        .prefetch_related(holds_prefetch())
        .order_by("start", "id")
    )
    session_ids = [s.pk for s in sessions]
    course_ids = {s.course_id for s in sessions}
    done_session = {
        r.session_id: r
        for r in ScreeningResponse.objects.filter(session_id__in=session_ids, level="session")
    }
    done_course = set(
        ScreeningResponse.objects.filter(course_id__in=course_ids, level="course").values_list(
            "course_id", flat=True
        )
    )
    slugs: set[str] = set()
    for s in sessions:
        forms = s.course.protocol.parsed.forms
        slugs.update(x for x in (forms.session_screening, forms.observation) if x)
    templates: dict[str, FormTemplate] = {}
    for t in FormTemplate.objects.filter(slug__in=slugs).order_by("slug", "version"):
        templates[t.slug] = t  # the newest version wins
    lines = []
    for s in sessions:
        needs = _session_needs(
            s,
            zone=zone,
            course_screened=s.course_id in done_course,
            screening=done_session.get(s.pk),
            templates=templates,
        )
        resources = session_resources(s)
        lines.append(
            RunSheetLine(
                resource=resources[0] if resources else "No resource",
                start=s.start.astimezone(zone),
                end=s.end.astimezone(zone),
                observation_end=s.observation_end.astimezone(zone),
                patient=s.patient.full_name,
                mrn=s.patient.mrn,
                treatment=s.course.protocol.name,
                session_number=s.number,
                status=s.get_status_display(),
                needs=needs,
            )
        )
    return RunSheetData(
        site_name=site.name,
        zone_name=site.timezone,
        generated_at=now.astimezone(zone),
        day=day,
        lines=lines,
    )


def _session_needs(
    s: Session,
    *,
    zone: ZoneInfo,
    course_screened: bool,
    screening: ScreeningResponse | None,
    templates: dict[str, FormTemplate],
) -> list[str]:
    """What one session still needs, as the run sheet's "needs" column says it."""
    forms = s.course.protocol.parsed.forms
    needs: list[str] = []
    if forms.course_screening and not course_screened:
        needs.append("course screening due")
    if forms.session_screening:
        needs.append("screening done" if screening else "screening due")
    session_template = templates.get(forms.session_screening or "")
    if session_template is not None:
        needs += _ride_home_needs(session_template, screening)
    observation = templates.get(forms.observation or "")
    if observation is not None:
        times = [
            f"{(s.start + dt.timedelta(minutes=cp.offset_minutes)).astimezone(zone):%H:%M}"
            for cp in observation.parsed.checkpoints
        ]
        if times:
            needs.append("checks ~" + ", ".join(times))
    if s.scales_due:
        needs.append("scales: " + ", ".join(scales_label(x) for x in s.scales_due))
    if s.status_reason:
        needs.append(s.status_reason)
    return needs


def _ride_home_needs(template: FormTemplate, screening: ScreeningResponse | None) -> list[str]:
    keys = {f.key for f in template.parsed.fields}
    needs = []
    for key in RIDE_HOME_FIELDS:
        if key in keys:
            answer = screening.answers.get(key) if screening else None
            needs.append(
                "ride home arranged"
                if answer is True
                else ("NO RIDE HOME" if answer is False else "ride home: confirm")
            )
    return needs


# --- stored run sheets (the evening job) --------------------------------------------------

STORED_RUN_SHEETS_LISTED = 30


def stored_run_sheet_list(*, site: Site) -> list[tuple[RunSheet, int]]:
    """The site's stored run sheets with their size in bytes (the PDF itself not loaded),
    newest day first, the last STORED_RUN_SHEETS_LISTED."""
    rows = (
        RunSheet.objects.filter(site=site)
        .defer("pdf")
        .annotate(size=Length("pdf"))
        .order_by("-day")[:STORED_RUN_SHEETS_LISTED]
    )
    return [(r, r.size) for r in rows]


def stored_run_sheet_get(*, site: Site, day: dt.date) -> RunSheet:
    """The run sheet stored for the site and day; 404 `run_sheet_not_found`."""
    sheet = RunSheet.objects.filter(site=site, day=day).first()
    if sheet is None:
        raise NotFound(f"No run sheet stored for {day}.", code=ERR_RUN_SHEET_NOT_FOUND)
    return sheet
