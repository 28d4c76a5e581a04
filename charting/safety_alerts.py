"""The PHQ-9 item 9 safety alert (CLINICAL.md §6): one path, whoever entered the answer.

An answer above 0 to item 9 ("thoughts that you would be better off dead or of hurting
yourself") needs a same-day safety assessment. The patient answering on their own device
(charting/self_report.py) and a nurse or clinician entering the scale in clinic
(charting/outcomes.py `scale_record`) both come here, a scored scale through the one recording
function (charting/outcomes.py `scale_administration_record`): the same urgent alert with the
same message, raised in the caller's transaction, and the same email to the site's clinicians,
queued for when that transaction commits (never for one that rolls back). The pages then show
the prompt at once: the patient's page its crisis resources, the staff outcomes page its safety
prompt while the alert is open (charting/selectors/patient_reports.py
`open_safety_alerts`).
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User

from charting.alert_notifications import urgent_alert_enqueue
from charting.models import Alert, ScaleAdministration, SelfReport
from charting.scoring import PHQ9
from clinic.history import save_with_history
from scheduling.models import Course

ITEM9 = "item 9 (thoughts of being better off dead or of self-harm)"
ASSESSMENT = "Same-day safety assessment needed."


def safety_alert_raise(
    *,
    course: Course,
    session_id: int | None,
    answer: int,
    by: User | None,
    scale: ScaleAdministration | None = None,
    self_report: SelfReport | None = None,
    also: str = "",
    change_reason: str = "",
    now: dt.datetime,
) -> Alert | None:
    """Raise the urgent safety alert and queue the clinicians' email on commit.

    `answer` is the item-9 score (1 to 3); `by` who entered it, None for the patient on their
    own device (`self_report`: raised once per report, None when it has its alert already);
    `also` is appended (what the patient was shown). Runs in the caller's transaction.
    """
    if (
        self_report is not None
        and Alert.objects.filter(self_report=self_report, kind=Alert.Kind.SAFETY).exists()
    ):
        return None
    entered = (
        "patient's own device (self-report)"
        if by is None
        else f"entered in clinic by {by.get_full_name() or by.username}"
    )
    label = PHQ9.answer_labels[answer]
    message = f"PHQ-9 {ITEM9}, {entered}: {label.lower()}. {ASSESSMENT}"
    alert = Alert(
        kind=Alert.Kind.SAFETY,
        site_id=course.site_id,
        patient_id=course.patient_id,
        course_id=course.pk,
        session_id=session_id,
        scale=scale,
        self_report=self_report,
        message=f"{message} {also}".strip()[:500],
        raised_at=now,
    )
    if change_reason:
        alert._change_reason = change_reason  # type: ignore[attr-defined]
    save_with_history(alert, by)
    urgent_alert_enqueue(alert=alert)
    return alert
