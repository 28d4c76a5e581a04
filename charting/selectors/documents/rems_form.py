"""What the REMS monitoring form draft PDF shows (charting/documents/rems_form.py): the queued
form's prefill, else what the observation record holds now. Callers check roles and sites first
(charting/api/documents.py).
"""

from __future__ import annotations

import datetime as dt

from charting.documents.rems_form import RemsFieldLine, RemsFormData
from charting.error_codes import ERR_MONITORING_FORM_NOT_APPLICABLE
from charting.models import FormTemplate, MonitoringFormItem, ObservationRecord
from charting.monitoring_forms import monitoring_form_prefill
from charting.selectors.documents.base import patient_info, person, value_text
from clinic.errors import NotFound
from scheduling.models import Session


def rems_form_data(
    *, session: Session, template: FormTemplate | None, now: dt.datetime
) -> RemsFormData:
    """The monitoring form of an esketamine session: the queued item's prefill when there is
    one, else computed now from the record (values the record lacks stay blank)."""
    zone = session.site.zone
    item = (
        MonitoringFormItem.objects.select_related("template", "submitted_by")
        .filter(session=session)
        .first()
    )
    record = (
        ObservationRecord.objects.select_related("template", "signed_by")
        .filter(session=session)
        .first()
    )
    used: FormTemplate | None
    if item is not None:
        prefill, used = item.prefill, item.template
        status = (
            f"Submitted by {person(item.submitted_by)} on "
            f"{item.submitted_at.astimezone(zone):%d %b %Y} ({item.get_submitted_how_display()})"
            if item.submitted_at
            else "Due"
        )
        due = item.due_date
    elif record is not None and record.template.parsed.report:
        prefill, used = monitoring_form_prefill(record), record.template
        status = "Not queued yet (queued when the session is completed)"
        due = None
    else:
        used = template
        prefill = [
            {"key": r.key, "label": r.label, "value": None}
            for r in (template.parsed.report if template else [])
        ]
        status = "No observation recorded yet"
        due = None
    return RemsFormData(
        site_name=session.site.name,
        zone_name=session.site.timezone,
        generated_at=now.astimezone(zone),
        patient_label=patient_info(session).label,
        session_number=session.number,
        session_date=session.start.astimezone(zone).date(),
        template_name=used.name if used else "No monitoring form template",
        template_version=used.version if used else 0,
        due_date=due,
        status=status,
        fields=[
            RemsFieldLine(
                p["label"],
                "" if p["value"] is None else value_text(p["value"], zone),
                p.get("note", ""),
            )
            for p in prefill
        ],
    )


def rems_template_for(*, session: Session) -> FormTemplate:
    """The newest version of the observation template of the session's protocol, when it has a
    REMS report; 404 `monitoring_form_not_applicable` otherwise (not esketamine)."""
    slug = session.course.protocol.parsed.forms.observation
    template = FormTemplate.objects.filter(slug=slug).order_by("-version").first() if slug else None
    if template is None or not template.parsed.report:
        raise NotFound(
            "This session's protocol has no REMS monitoring form.",
            code=ERR_MONITORING_FORM_NOT_APPLICABLE,
        )
    return template
