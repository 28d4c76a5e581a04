"""A realistic course to print: sessions on weekdays (some completed with parameters, one
cancelled, one missed, one moved), resource holds, PHQ-9 administrations and alerts. Shared by
the document tests and bench/documents_bench.py."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from django.contrib.auth.models import User

from charting import scoring
from charting.models import Alert, ScaleAdministration, TreatmentParameters
from clinic.models import Patient, Resource
from scheduling.models import Course, ResourceHold, Session
from tests.support.factories import make_course, make_session

# PHQ-9 totals from severe to remission: response at the 7th, remission at the 11th.
PHQ9_TOTALS = [21, 20, 18, 17, 15, 12, 10, 8, 7, 6, 4, 3]


def _items_for(total: int) -> dict[str, int]:
    items = {f"item{i}": 0 for i in range(1, 10)}
    left = total
    for i in range(1, 9):  # never item 9: no safety alert from the fixture
        items[f"item{i}"] = min(3, left)
        left -= items[f"item{i}"]
    return items


def weekday_starts(first: dt.datetime, count: int) -> list[dt.datetime]:
    out: list[dt.datetime] = []
    day = first
    while len(out) < count:
        if day.weekday() < 5:
            out.append(day)
        day += dt.timedelta(days=1)
    return out


def make_rich_course(
    *,
    patient: Patient,
    booked_by: User,
    clinician: User,
    nurse: User,
    first: dt.datetime,
    sessions: int = 36,
    scales: int = 12,
    completed: int | None = None,
) -> Course:
    course = make_course(patient=patient, modality="tms", booked_by=booked_by)
    course.prescriber = clinician
    course.save(update_fields=["prescriber"])
    chair = Resource.objects.filter(site=course.site, kind="tms_chair").order_by("id").first()
    done = sessions - 6 if completed is None else completed
    rows: list[Session] = []
    for i, start in enumerate(weekday_starts(first, sessions), start=1):
        status = "completed" if i <= done else "scheduled"
        if i == 3:
            status = "cancelled"
        if i == 5:
            status = "no_show"
        s = make_session(course=course, start=start, number=i, status=status)
        if status in ("cancelled", "no_show"):
            s.status_reason = "patient unwell" if status == "cancelled" else "did not attend"
            s.save(update_fields=["status_reason"])
        rows.append(s)
        if chair is not None:
            ResourceHold.objects.create(
                session=s,
                resource=chair,
                part="procedure",
                start=s.start,
                end=s.end,
                active=status not in ("cancelled", "no_show"),
            )
        if status == "completed":
            TreatmentParameters.objects.create(
                session=s,
                site=course.site,
                modality="tms",
                values={
                    "motor_threshold_pct": 52,
                    "motor_threshold_measured_today": i == 1,
                    "intensity_pct_mt": 120,
                    "pulses_delivered": 3000,
                    "coil_type": "figure8",
                    "coil_position": "L-DLPFC, 5.5 cm anterior",
                },
                recorded_by=nurse,
                recorded_at=s.end,
            )
    # A move: the last session moved an hour later (its history keeps the first start).
    last = rows[-1]
    last.start += dt.timedelta(hours=1)
    last.end += dt.timedelta(hours=1)
    last.observation_end += dt.timedelta(hours=1)
    last.sequence += 1
    last.save()
    step = max(1, sessions // max(scales, 1))
    for k in range(scales):
        s = rows[min(k * step, len(rows) - 1)]
        total = PHQ9_TOTALS[k % len(PHQ9_TOTALS)]
        result = scoring.score("phq9", _items_for(total))
        ScaleAdministration.objects.create(
            course=course,
            session=s,
            site=course.site,
            patient=patient,
            scale="phq9",
            items=result.items,
            total=result.total,
            band=result.band,
            administered_at=s.start - dt.timedelta(minutes=10),
            recorded_by=nurse,
            recorded_at=s.start,
        )
    if len(rows) > 1:
        Alert.objects.create(
            kind="parameter",
            site=course.site,
            patient=patient,
            course=course,
            session=rows[1],
            message="Motor threshold re-measured: 58% (was 52%)",
            raised_at=rows[1].end,
            acknowledged_by=clinician,
            acknowledged_at=rows[1].end + dt.timedelta(hours=2),
            note="New medication; keep 120% of the new MT.",
        )
        Alert.objects.create(
            kind="out_of_range",
            site=course.site,
            patient=patient,
            course=course,
            session=rows[0],
            message="Headache 7/10 after the session",
            raised_at=rows[0].end,
        )
    return course


def pdf_text(content: bytes) -> tuple[str, int]:
    """All text of a PDF (pypdf) and its page count."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() or "" for page in reader.pages), len(reader.pages)


def page_ink(content: bytes, page: int = 0, scale: float = 1.0) -> tuple[float, Any]:
    """Render one page with pdfium; return the share of non-white pixels and the image."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(content)
    image = document[page].render(scale=scale).to_pil().convert("L")
    histogram = image.histogram()
    dark = sum(histogram[:200])
    document.close()
    return dark / (image.width * image.height), image


def run_esketamine_session(
    session: Session, nurse: User, start: dt.datetime, *, inpatient: bool = False
) -> dt.datetime:
    """Screen, start, dose, observe, sign and complete an esketamine session via the services;
    returns the discharge time."""
    from charting.gates import ChartingGates
    from charting.screening import session_screening_submit
    from tests.charting.helpers import safe_answers

    session_screening_submit(
        session=session,
        answers={**safe_answers("esketamine-pre-dose"), "inpatient": inpatient},
        by=nurse,
        now=start - dt.timedelta(minutes=10),
    )
    session.status = "in_progress"
    session.started_at = start
    session.save()
    ChartingGates().after_start(session, by=nurse, now=start)
    end = chart_esketamine_observation(session, nurse, start)
    session.status = "completed"
    session.completed_at = end
    session.save()
    ChartingGates().after_complete(session, by=nurse, now=end)
    return end


def chart_esketamine_observation(session: Session, nurse: User, start: dt.datetime) -> dt.datetime:
    """On a started esketamine session: pre-dose vitals, the dose at start + 10 min, the
    40-minute and discharge values, and the sign-off; returns the discharge time."""
    from charting.observations import observation_record_values, observation_sign
    from charting.treatment import parameters_record

    record = session.observation
    dose = start + dt.timedelta(minutes=10)
    observation_record_values(
        record=record,
        checkpoint="pre_dose",
        values={"bp": "132/84", "spo2": 98, "vitals_acceptable": True},
        taken_at=start + dt.timedelta(minutes=5),
        by=nurse,
        now=start + dt.timedelta(minutes=5),
    )
    parameters_record(
        session=session,
        values={
            "dose_mg": 56,
            "devices": 2,
            "device_lot": "LOT-77",
            "first_device_at": dose.isoformat(),
        },
        by=nurse,
        now=dose,
    )
    at40 = dose + dt.timedelta(minutes=40)
    observation_record_values(
        record=record,
        checkpoint="post_40",
        values={
            "bp": "150/95",
            "spo2": 97,
            "sedation": "moderate",
            "dissociation": "mild",
            "respiratory_depression": False,
        },
        taken_at=at40,
        by=nurse,
        now=at40,
    )
    end = dose + dt.timedelta(minutes=125)
    observation_record_values(
        record=record,
        checkpoint="discharge",
        values={
            "bp": "128/80",
            "spo2": 98,
            "sedation_resolved": True,
            "dissociation_resolved": True,
            "respiratory_depression": False,
            "vitals_acceptable": True,
            "ready_to_leave_minutes": 95,
            "ride_confirmed": True,
        },
        taken_at=end,
        by=nurse,
        now=end,
    )
    observation_sign(record=record, by=nurse, now=end)
    return end
