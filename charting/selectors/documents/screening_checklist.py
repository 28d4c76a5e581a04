"""What the completed screening checklist PDF shows (charting/documents/screening_checklist.py),
and the screening block the session record repeats: answers with their flags, who completed,
reviewed or overrode it. Callers check roles and sites first (charting/api/documents.py).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User
from django.db.models import QuerySet

from charting.documents.screening_checklist import AnswerLine, ScreeningChecklistData, ScreeningData
from charting.models import ScreeningResponse
from charting.selectors.documents.base import choice_text, patient_info, person
from charting.spec import TemplateSpec


def screening_checklist_data(*, screening_id: int, now: dt.datetime) -> ScreeningChecklistData:
    """Queries: the response with its template, people, session, course, patient and site (1)."""
    response = (
        screenings_with_people()
        .select_related("course__protocol", "patient", "site")
        .get(pk=screening_id)
    )
    zone = response.site.zone
    return ScreeningChecklistData(
        site_name=response.site.name,
        zone_name=response.site.timezone,
        generated_at=now.astimezone(zone),
        patient_label=patient_info(response).label,
        protocol=f"{response.course.protocol.name} (version {response.course.protocol.version})",
        screening=screening_data(
            response, zone, response.session.number if response.session else None
        ),
    )


def screenings_with_people() -> QuerySet[ScreeningResponse]:
    """Screenings with what `screening_data` prints (template, people, session)."""
    return ScreeningResponse.objects.select_related(
        "template", "completed_by", "reviewed_by", "override_by", "session"
    )


def screening_data(
    response: ScreeningResponse, zone: ZoneInfo, session_number: int | None
) -> ScreeningData:
    """One screening as printed, on its own document or in the session record."""

    def who(user: User | None, at: dt.datetime | None, note: str) -> str:
        if at is None:
            return ""
        return f"{person(user)}, {at.astimezone(zone):%d %b %Y %H:%M}" + (
            f": {note}" if note else ""
        )

    return ScreeningData(
        template_name=response.template.name,
        template_version=response.template.version,
        level=response.level,
        session_number=session_number,
        status=response.status,
        answers=_answer_lines(response.template.parsed, response, zone),
        completed_by=person(response.completed_by),
        completed_at=response.completed_at.astimezone(zone),
        reviewed=who(response.reviewed_by, response.reviewed_at, response.review_note),
        override=who(response.override_by, response.override_at, response.override_reason),
    )


def _answer_lines(
    spec: TemplateSpec, response: ScreeningResponse, zone: ZoneInfo
) -> list[AnswerLine]:
    hard = {i["key"] for i in response.hard_stops}
    review = {i["key"] for i in response.review_items}
    lines = []
    for f in spec.fields:
        value = response.answers.get(f.key)
        lines.append(
            AnswerLine(
                label=f.label + (f" ({f.unit})" if f.unit else ""),
                answer=choice_text(f, value, zone),
                flag="hard stop" if f.key in hard else ("review" if f.key in review else ""),
            )
        )
    return lines
