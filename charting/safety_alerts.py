"""The PHQ-9 item 9 safety alert (CLINICAL.md §6): one path, whoever entered the answer.

An answer above 0 to item 9 ("thoughts that you would be better off dead or of hurting
yourself") needs a same-day safety assessment. The patient answering on their own device
(charting/self_report.py) and a nurse or clinician entering the scale in clinic
(charting/outcomes.py `scale_record`) both come here: the same urgent alert, raised in the
caller's transaction, and the same email to the site's clinicians, queued for when that
transaction commits (never for one that rolls back). The pages then show the prompt at once:
the patient's page its crisis resources, the staff outcomes page its safety prompt while the
alert is open (charting/selectors.py `open_safety_alerts`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from charting.alert_notifications import urgent_alert_enqueue
from charting.models import Alert, ScaleAdministration, SelfReport
from clinic.history import save_with_history
from scheduling.models import Course

ITEM9 = "item 9 (thoughts of being better off dead or of self-harm)"
ASSESSMENT = "Same-day safety assessment needed."


def safety_alert_raise(
    *,
    course: Course,
    session_id: int | None,
    answer: str,
    entered: str,
    scale: ScaleAdministration | None = None,
    self_report: SelfReport | None = None,
    also: str = "",
    by: Any = None,
    change_reason: str = "",
    now: dt.datetime,
) -> Alert:
    """Raise the urgent safety alert and queue the clinicians' email on commit.

    `answer` is the item's answer label ("More than half the days"); `entered` says who
    entered it ("patient's own device, self-report" or "entered in clinic by Nina Nurse");
    `also` is appended (what the patient was shown). Runs in the caller's transaction.
    """
    message = f"PHQ-9 {ITEM9}, {entered}: {answer.lower()}. {ASSESSMENT}"
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
