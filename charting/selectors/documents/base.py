"""What every charting document's read shares (charting/selectors/documents/): people, values
and choices as printed text, the patient block, treatment parameters in a readable order, a
session's resources, and leaving out the alerts that quote a patient's answer.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.models import User
from django.db.models import Prefetch, QuerySet

from charting.documents.course_summary import PatientInfo
from charting.models import Alert
from charting.selectors.patient_reports import ANSWER_ALERTS
from charting.spec import FormField
from scheduling.models import ResourceHold, Session

PARAMETER_LABELS = {
    "motor_threshold_pct": ("Motor threshold", "% output"),
    "motor_threshold_measured_today": ("MT measured today", ""),
    "intensity_pct_mt": ("Intensity", "% MT"),
    "pulses_delivered": ("Pulses", ""),
    "coil_type": ("Coil", ""),
    "coil_position": ("Coil position", ""),
    "frequency_hz": ("Frequency", "Hz"),
    "electrode_placement": ("Placement", ""),
    "stimulus_at": ("Stimulus at", ""),
    "pulse_width_ms": ("Pulse width", "ms"),
    "current_ma": ("Current", "mA"),
    "duration_s": ("Duration", "s"),
    "charge_mc": ("Stimulus dose", "mC"),
    "seizure_threshold_multiple": ("Dose", "x ST"),
    "eeg_seizure_s": ("EEG seizure", "s"),
    "motor_seizure_s": ("Motor seizure", "s"),
    "seizure_terminated": ("Seizure terminated", ""),
    "termination_drug": ("Termination drug", ""),
    "anaesthetic": ("Anaesthetic", ""),
    "anaesthetic_dose_mg": ("Anaesthetic dose", "mg"),
    "muscle_relaxant": ("Muscle relaxant", ""),
    "muscle_relaxant_dose_mg": ("Relaxant dose", "mg"),
    "restimulated": ("Restimulated", ""),
    "dose_mg": ("Dose", "mg"),
    "devices": ("Devices", ""),
    "device_lot": ("Lot", ""),
    "first_device_at": ("First device", ""),
    "last_device_at": ("Last device", ""),
    "notes": ("Notes", ""),
}


def person(user: User | None) -> str:
    """A user as printed: the full name, else the username ("" for nobody)."""
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def value_text(value: Any, zone: ZoneInfo | None = None) -> str:
    """An answer or parameter value as printed text."""
    if value is True:
        return "Yes"
    if value is False:
        return "No"
    if value is None or value == "":
        return "-"
    if isinstance(value, dict) and {"systolic", "diastolic"} <= value.keys():
        return f"{value['systolic']}/{value['diastolic']}"
    if isinstance(value, str) and zone is not None and len(value) >= 19 and value[10] == "T":
        try:
            when = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        if when.tzinfo is not None:
            return f"{when.astimezone(zone):%d %b %Y %H:%M}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def choice_text(f: FormField, value: Any, zone: ZoneInfo) -> str:
    """An answer to `f` as printed: a choice's label, else `value_text`."""
    if f.choices and isinstance(value, str):
        return next((c.label for c in f.choices if c.value == value), value)
    return value_text(value, zone)


def parameter_lines(values: dict[str, Any], zone: ZoneInfo) -> list[tuple[str, str]]:
    """Treatment parameters as (label, value with unit) in a stable, readable order."""
    out = []
    known = [k for k in PARAMETER_LABELS if k in values]
    for key in [*known, *sorted(set(values) - set(PARAMETER_LABELS))]:
        value = values[key]
        if value in (None, "") or (key == "motor_threshold_measured_today" and not value):
            continue
        label, unit = PARAMETER_LABELS.get(key, (key.replace("_", " ").capitalize(), ""))
        text = value_text(value, zone)
        out.append((label, f"{text} {unit}".strip()))
    return out


def holds_prefetch() -> Prefetch:
    """A session's holds with their resources, in time order (for `session_resources`)."""
    return Prefetch(
        "holds",
        queryset=ResourceHold.objects.select_related("resource").order_by("start", "id"),
    )


def session_resources(session: Session) -> list[str]:
    """The names of the resources the session holds, once each, in hold order."""
    names: list[str] = []
    for hold in session.holds.all():
        if hold.resource.name not in names:
            names.append(hold.resource.name)
    return names


def patient_info(course_or_session: Any) -> PatientInfo:
    """The patient block of a document about a course, session or screening."""
    p = course_or_session.patient
    return PatientInfo(p.full_name, p.mrn, p.date_of_birth, p.sex)


def alerts_shown(queryset: QuerySet[Alert], answers_shown: bool) -> QuerySet[Alert]:
    """`queryset` without the alerts that quote a patient's answer unless `answers_shown` (the
    reader's `patient_answers_visible`)."""
    return queryset if answers_shown else queryset.exclude(ANSWER_ALERTS)


def scales_label(name: str) -> str:
    """phq9 -> PHQ-9, gad7 -> GAD-7, madrs -> MADRS, qids_sr16 -> QIDS-SR16."""
    labels = {"phq9": "PHQ-9", "gad7": "GAD-7"}
    return labels.get(name, name.upper().replace("_", "-"))
