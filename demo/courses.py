"""The living part of the demo clinic: courses at every stage, relative to the day it is run.

`manage.py seed_demo` (development only) calls `demo_courses_seed` after the clinic, staff and
patients exist, so a newcomer's day board is never empty:

- Morgan Patel: a TMS course (10 Hz standard) started about three weeks ago; every past
  session screened, charted, signed and completed; today's and the rest still to come. (Jordan
  Lee's TMS course, for measurement-based care between sessions, is
  demo/self_report.py's.)
- Alex Morgan: esketamine, dosed this morning (08:30 session, first device at 08:35), with the
  post-dose observation form open and a raised blood pressure alert waiting for review.
- Casey Nguyen: an ECT series (acute course) starting on the next clinic day, consented.
- Riley Okafor: a TMS course (iTBS) whose first session, this morning at 08:00, was a no-show
  (TMS adds a make-up session at the end).

Everything goes through the services the API uses, with the clock injected, so the demo is data
the rules accept. The demo day is today when the clinic is open, else the last open day before
it. Re-running is safe: a patient who already has their demo course is left alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from charting.models import ObservationRecord
from charting.observations import observation_record_values, observation_sign
from charting.screening import course_screening_submit, session_screening_submit
from charting.treatment import parameters_record
from clinic.models import Patient, Site
from protocols.models import Protocol
from scheduling.enrolment import course_enrol
from scheduling.models import Course, Session
from scheduling.session_cancellation import session_no_show
from scheduling.session_lifecycle import session_check_in, session_complete, session_start

TMS_SAFETY = dict.fromkeys(
    [
        "cochlear_implant",
        "implanted_pulse_generator",
        "medication_pump",
        "metal_in_head",
        "pacemaker_or_icd",
        "seizure_history",
        "family_seizure_history",
        "head_injury_stroke_icp",
        "possible_pregnancy",
        "threshold_raising_medication",
    ],
    False,
)
TMS_SESSION_CHECK = {
    **dict.fromkeys(
        [
            "new_metal_or_implant",
            "medication_changed",
            "missed_medication",
            "sleep_deprived",
            "alcohol_or_drugs",
            "seizure_or_fainting",
            "possible_pregnancy",
        ],
        False,
    ),
    "hearing_protection": True,
}
TMS_AFTER = {
    "headache": False,
    "scalp_pain": 1,
    "hearing_change": False,
    "seizure": False,
    "syncope": False,
    "stopped_early": False,
}
ECT_CONSENT = {
    "informed_consent_signed": True,
    "pre_anaesthesia_evaluation": True,
    "ecg_and_labs": True,
    "medication_plan": True,
    "no_driving_advised": True,
}
ESKETAMINE_PRE_DOSE = {
    "rems_enrolled": True,
    "ride_home": True,
    "no_food_2h": True,
    "no_liquids_30min": True,
    "nasal_spray_within_1h": False,
    "first_treatment": False,
    "benzodiazepines": False,
    "sedative_hypnotics": False,
    "psychostimulants": False,
    "maois": False,
    "opioids": False,
}


def demo_day(site: Site, today: dt.date, step: int = -1) -> dt.date:
    """Today if the site is open, else the nearest open day before it (step=-1) or after it
    (step=1)."""
    calendar = site.calendar(today - dt.timedelta(days=30), years=1)
    day = today
    while calendar.closed_reason(day) is not None:
        day += dt.timedelta(days=step)
    return day


def _at(site: Site, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=site.zone).astimezone(dt.UTC)


def _has_course(patient: Patient, slug: str) -> bool:
    return Course.objects.filter(patient=patient, protocol__slug=slug).exists()


def _sessions(course: Course) -> list[Session]:
    return list(course.sessions.filter(active=True).order_by("number"))


def _tms_mid_way(site: Site, patient: Patient, day: dt.date, staff: dict[str, User]) -> None:
    start_day = day - dt.timedelta(days=21)
    course = course_enrol(
        patient=patient,
        protocol="tms-10hz-standard",
        site=site,
        start_date=start_day,
        preferred_time=dt.time(10, 0),
        by=staff["scheduler"],
        now=_at(site, start_day, 7),
    ).course
    nurse = staff["nurse"]
    course_screening_submit(
        course=course, answers=TMS_SAFETY, by=nurse, now=_at(site, start_day, 7, 30)
    )
    for session in _sessions(course):
        if session.start.astimezone(site.zone).date() >= day:
            break
        begin = session.start
        session_check_in(session_id=session.pk, by=nurse, now=begin - dt.timedelta(minutes=10))
        session_screening_submit(
            session=session,
            answers=TMS_SESSION_CHECK,
            by=nurse,
            now=begin - dt.timedelta(minutes=5),
        )
        session_start(session_id=session.pk, by=nurse, now=begin)
        end = session.end
        record = ObservationRecord.objects.get(session_id=session.pk)
        observation_record_values(
            record=record,
            checkpoint="post_session",
            values=TMS_AFTER,
            taken_at=end,
            by=nurse,
            now=end,
        )
        observation_sign(record=record, by=nurse, now=end + dt.timedelta(minutes=2))
        session_complete(session_id=session.pk, by=nurse, now=end + dt.timedelta(minutes=3))


def _esketamine_this_morning(
    site: Site, patient: Patient, day: dt.date, staff: dict[str, User]
) -> None:
    nurse = staff["nurse"]
    course = course_enrol(
        patient=patient,
        protocol="esketamine-trd",
        site=site,
        start_date=day,
        preferred_time=dt.time(8, 30),
        by=staff["scheduler"],
        now=_at(site, day, 7),
        exact=True,
    ).course
    session = _sessions(course)[0]
    begin = session.start
    session_check_in(session_id=session.pk, by=nurse, now=begin - dt.timedelta(minutes=15))
    session_screening_submit(
        session=session,
        answers=ESKETAMINE_PRE_DOSE,
        by=nurse,
        now=begin - dt.timedelta(minutes=10),
    )
    session_start(session_id=session.pk, by=nurse, now=begin)
    record = ObservationRecord.objects.get(session_id=session.pk)
    # 146/92 is above the pre-dose threshold (140/90): an alert for the clinician to review.
    observation_record_values(
        record=record,
        checkpoint="pre_dose",
        values={"bp": "146/92", "spo2": 98, "vitals_acceptable": True},
        taken_at=begin,
        by=nurse,
        now=begin + dt.timedelta(minutes=2),
    )
    first_device = begin + dt.timedelta(minutes=5)
    parameters_record(
        session=Session.objects.get(pk=session.pk),
        values={
            "dose_mg": 56,
            "devices": 2,
            "device_lot": "DEMO-LOT-1",
            "first_device_at": first_device.isoformat(),
            "last_device_at": (first_device + dt.timedelta(minutes=5)).isoformat(),
        },
        by=nurse,
        now=first_device + dt.timedelta(minutes=6),
    )


def _ect_series(site: Site, patient: Patient, day: dt.date, staff: dict[str, User]) -> None:
    start_day = demo_day(site, day + dt.timedelta(days=1), step=1)
    course = course_enrol(
        patient=patient,
        protocol="ect-acute",
        site=site,
        start_date=start_day,
        preferred_time=dt.time(8, 0),
        by=staff["scheduler"],
        now=_at(site, day, 7),
    ).course
    course_screening_submit(
        course=course, answers=ECT_CONSENT, by=staff["nurse"], now=_at(site, day, 7, 30)
    )


def _no_show(site: Site, patient: Patient, day: dt.date, staff: dict[str, User]) -> None:
    course = course_enrol(
        patient=patient,
        protocol="tms-itbs",
        site=site,
        start_date=day,
        preferred_time=dt.time(8, 0),
        by=staff["scheduler"],
        now=_at(site, day, 7),
        exact=True,
    ).course
    first = _sessions(course)[0]
    session_no_show(
        session_id=first.pk,
        by=staff["scheduler"],
        reason="Did not attend; phoned, no answer (demo)",
        now=first.end + dt.timedelta(minutes=15),
    )


# (patient MRN, protocol slug, builder), in the order they are seeded.
PIECES: tuple[tuple[str, str, Callable[[Site, Patient, dt.date, dict[str, User]], None]], ...] = (
    ("RIP-0006", "tms-10hz-standard", _tms_mid_way),
    ("RIP-0001", "esketamine-trd", _esketamine_this_morning),
    ("RIP-0003", "ect-acute", _ect_series),
    ("RIP-0004", "tms-itbs", _no_show),
)


def demo_courses_seed(*, site: Site, today: dt.date, staff: dict[str, User]) -> dict[str, Any]:
    """Create the demo courses that are missing; return what was created and skipped.

    `staff` maps a role ("scheduler", "nurse", ...) to the demo user who acts in it.
    """
    day = demo_day(site, today)
    created, skipped = [], []
    missing = sorted(
        {slug for _, slug, _ in PIECES}
        - set(Protocol.objects.filter(status=Protocol.Status.ACTIVE).values_list("slug", flat=True))
    )
    if missing:
        return {"day": day, "created": [], "skipped": [], "missing_protocols": missing}
    for mrn, slug, build in PIECES:
        patient = Patient.objects.get(site=site, mrn=mrn)
        if _has_course(patient, slug):
            skipped.append(mrn)
            continue
        with transaction.atomic():
            build(site, patient, day, staff)
        created.append(mrn)
    return {"day": day, "created": created, "skipped": skipped, "missing_protocols": []}
