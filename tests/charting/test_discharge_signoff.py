"""Discharge sign-off (issue 15, point 1): the one predicate refuses while a severe alert of the
session is unacknowledged (a clinician acknowledges with a note, or co-signs with a reason) and
while the discharge values predate the last required checkpoint; a checkpoint taken outside
its window is stored, marked late, and raises one review alert."""

from __future__ import annotations

import pytest
import time_machine

from charting.alerts import alert_acknowledge
from charting.discharge import observation_sign_problem
from charting.gates import ChartingGates
from charting.models import Alert, ObservationRecord
from charting.observations import observation_record_values, observation_sign
from charting.screening import session_screening_submit
from charting.treatment import parameters_record
from clinic.errors import Conflict, Forbidden, InvalidInput
from tests.charting.helpers import DISCHARGE_VALUES, POST_40_VALUES, safe_answers
from tests.support.clock import local

DAY = "2026-03-09"


def dosed(session, nurse, site) -> ObservationRecord:
    """Screened at 08:55, started 09:05, pre-dose vitals 09:08, first device 09:15."""
    session_screening_submit(
        session=session,
        answers=safe_answers("esketamine-pre-dose"),
        by=nurse,
        now=local(site, DAY, "08:55"),
    )
    session.status = "in_progress"
    session.started_at = local(site, DAY, "09:05")
    session.save()
    ChartingGates().after_start(session, by=nurse, now=local(site, DAY, "09:05"))
    record = session.observation
    observation_record_values(
        record=record,
        checkpoint="pre_dose",
        values={"bp": "132/84", "spo2": 98, "vitals_acceptable": True},
        taken_at=local(site, DAY, "09:08"),
        by=nurse,
        now=local(site, DAY, "09:08"),
    )
    parameters_record(
        session=session,
        values={
            "dose_mg": 56,
            "devices": 2,
            "device_lot": "LOT-1",
            "first_device_at": local(site, DAY, "09:15").isoformat(),
        },
        by=nurse,
        now=local(site, DAY, "09:16"),
    )
    record.refresh_from_db()
    return record


def record(rec, nurse, checkpoint, values, when):
    return observation_record_values(
        record=rec, checkpoint=checkpoint, values=values, taken_at=when, by=nurse, now=when
    )


def test_the_seen_case_is_refused_until_a_clinician_acknowledges_with_a_note(
    site, nurse, clinician, esk
):
    """The run of issue 15: the 40-minute checkpoint at 14:55 (5 h 40 min after the dose)
    with 186/112, the discharge values in the same minute."""
    _, session = esk
    rec = dosed(session, nurse, site)
    record(rec, nurse, "post_40", {**POST_40_VALUES, "bp": "186/112"}, local(site, DAY, "14:55"))
    record(rec, nurse, "discharge", DISCHARGE_VALUES, local(site, DAY, "14:55"))

    problem = observation_sign_problem(rec, now=local(site, DAY, "14:56"))
    assert problem is not None and problem.code == "severe_alert_open"
    assert "186/112 mmHg" in problem.message
    with pytest.raises(Conflict) as refused:
        observation_sign(record=rec, by=nurse, now=local(site, DAY, "14:56"))
    assert refused.value.code == "severe_alert_open"

    severe = Alert.objects.get(session=session, severity="severe")
    with pytest.raises(InvalidInput) as no_note:
        alert_acknowledge(alert=severe, note="  ", by=clinician, now=local(site, DAY, "15:00"))
    assert no_note.value.code == "note_required"
    alert_acknowledge(
        alert=severe,
        note="Rechecked 150/92 at 15:00; stable",
        by=clinician,
        now=local(site, DAY, "15:00"),
    )

    signed = observation_sign(record=rec, by=nurse, now=local(site, DAY, "15:01"))
    assert signed.status == "signed"
    assert signed.cosigned_by is None


def test_a_clinician_cosigns_over_a_severe_alert_with_a_reason(site, nurse, clinician, esk):
    _, session = esk
    rec = dosed(session, nurse, site)
    record(rec, nurse, "post_40", {**POST_40_VALUES, "bp": "186/112"}, local(site, DAY, "09:56"))
    record(rec, nurse, "discharge", DISCHARGE_VALUES, local(site, DAY, "11:16"))

    with pytest.raises(Forbidden):
        observation_sign(
            record=rec, by=nurse, cosign_reason="Patient fine", now=local(site, DAY, "11:17")
        )
    with pytest.raises(InvalidInput) as short:
        observation_sign(
            record=rec, by=clinician, cosign_reason="ok", now=local(site, DAY, "11:17")
        )
    assert short.value.code == "reason_required"

    signed = observation_sign(
        record=rec,
        by=clinician,
        cosign_reason="Seen at 11:10: 138/86, asymptomatic; safe to leave with driver",
        now=local(site, DAY, "11:17"),
    )
    assert (signed.status, signed.cosigned_by, signed.signed_by) == ("signed", clinician, clinician)
    assert signed.cosign_reason.startswith("Seen at 11:10")
    # The co-sign is recorded on the record; the alert still waits for its acknowledgement.
    assert Alert.objects.get(session=session, severity="severe").acknowledged_at is None


def test_a_plain_alert_does_not_hold_the_discharge(site, nurse, esk):
    """An alert is not a severe alert: 165/95 at discharge is above the alert line (160/100)
    and below the severe one (180/110)."""
    _, session = esk
    rec = dosed(session, nurse, site)
    record(rec, nurse, "post_40", POST_40_VALUES, local(site, DAY, "09:56"))
    record(rec, nurse, "discharge", {**DISCHARGE_VALUES, "bp": "165/95"}, local(site, DAY, "11:16"))
    alert = Alert.objects.get(session=session, kind="out_of_range")
    assert alert.severity == "alert"
    assert observation_sign_problem(rec, now=local(site, DAY, "11:17")) is None


def test_discharge_values_taken_before_the_last_checkpoint_are_refused(site, nurse, esk):
    _, session = esk
    rec = dosed(session, nurse, site)
    record(rec, nurse, "discharge", DISCHARGE_VALUES, local(site, DAY, "11:16"))
    # The 40-minute values are caught up afterwards, taken at 11:20.
    record(rec, nurse, "post_40", POST_40_VALUES, local(site, DAY, "11:20"))

    problem = observation_sign_problem(rec, now=local(site, DAY, "11:21"))
    assert problem is not None and problem.code == "discharge_before_checkpoint"
    assert "About 40 minutes after dosing" in problem.message
    assert "2026-03-09 11:20 EDT" in problem.message

    record(rec, nurse, "discharge", DISCHARGE_VALUES, local(site, DAY, "11:22"))
    assert observation_sign_problem(rec, now=local(site, DAY, "11:23")) is None


def test_a_late_checkpoint_is_stored_and_raises_one_review_alert(site, nurse, esk):
    _, session = esk
    rec = dosed(session, nurse, site)
    # Due 09:55, window 15 minutes either side: at 14:55 it is 285 minutes late.
    entries = record(rec, nurse, "post_40", POST_40_VALUES, local(site, DAY, "14:55"))
    assert len(entries) == 5
    record(rec, nurse, "post_40", {"spo2": 96}, local(site, DAY, "15:00"))
    timing = Alert.objects.filter(session=session, kind="timing")
    assert timing.count() == 1
    alert = timing.get()
    assert alert.severity == "review"
    assert "late by 285 min" in alert.message
    # A review alert is for the record: it does not hold the discharge.
    record(rec, nurse, "discharge", DISCHARGE_VALUES, local(site, DAY, "15:05"))
    assert observation_sign_problem(rec, now=local(site, DAY, "15:06")) is None


def test_on_time_readings_raise_no_timing_alert(site, nurse, esk):
    _, session = esk
    rec = dosed(session, nurse, site)
    record(rec, nurse, "post_40", POST_40_VALUES, local(site, DAY, "10:08"))
    # A later discharge is fine.
    record(rec, nurse, "discharge", DISCHARGE_VALUES, local(site, DAY, "13:30"))
    assert not Alert.objects.filter(session=session, kind="timing").exists()


def test_an_early_checkpoint_is_marked_early(site, nurse, esk):
    _, session = esk
    rec = dosed(session, nurse, site)
    record(rec, nurse, "post_40", POST_40_VALUES, local(site, DAY, "09:30"))  # window opens 09:40
    alert = Alert.objects.get(session=session, kind="timing")
    assert "early by 10 min" in alert.message


def test_timing_is_judged_from_the_recorded_dose_time(site, nurse, esk):
    """Before the dose time is recorded the due times are the session start's; a pre-dose
    reading taken after the dose turns out late once the dose time is known."""
    _, session = esk
    session_screening_submit(
        session=session,
        answers=safe_answers("esketamine-pre-dose"),
        by=nurse,
        now=local(site, DAY, "08:55"),
    )
    session.status = "in_progress"
    session.started_at = local(site, DAY, "09:05")
    session.save()
    ChartingGates().after_start(session, by=nurse, now=local(site, DAY, "09:05"))
    rec = session.observation
    record(
        rec,
        nurse,
        "pre_dose",
        {"bp": "132/84", "spo2": 98, "vitals_acceptable": True},
        local(site, DAY, "09:30"),
    )
    assert not Alert.objects.filter(session=session, kind="timing").exists()
    parameters_record(
        session=session,
        values={
            "dose_mg": 56,
            "devices": 2,
            "device_lot": "LOT-1",
            "first_device_at": local(site, DAY, "09:20").isoformat(),
        },
        by=nurse,
        now=local(site, DAY, "09:31"),
    )
    alert = Alert.objects.get(session=session, kind="timing")
    assert "Before dosing" in alert.message and "late by 10 min" in alert.message


def test_blood_pressure_is_one_alert_naming_both_values(site, nurse, esk):
    _, session = esk
    rec = dosed(session, nurse, site)
    record(rec, nurse, "post_40", {**POST_40_VALUES, "bp": "186/112"}, local(site, DAY, "09:56"))
    alerts = list(Alert.objects.filter(session=session, kind="out_of_range"))
    assert len(alerts) == 1
    assert "186/112 mmHg" in alerts[0].message
    assert "systolic 186 mmHg is above 180" in alerts[0].message
    assert "diastolic 112 mmHg is above 110" in alerts[0].message


def test_respiratory_depression_is_severe(site, nurse, esk):
    _, session = esk
    rec = dosed(session, nurse, site)
    record(
        rec,
        nurse,
        "post_40",
        {**POST_40_VALUES, "respiratory_depression": True},
        local(site, DAY, "09:56"),
    )
    assert Alert.objects.get(session=session, kind="out_of_range").severity == "severe"


def test_api_sign_refusal_and_cosign(api_as, site, nurse, clinician, esk):
    _, session = esk
    rec = dosed(session, nurse, site)
    record(rec, nurse, "post_40", {**POST_40_VALUES, "bp": "186/112"}, local(site, DAY, "09:56"))
    record(rec, nurse, "discharge", DISCHARGE_VALUES, local(site, DAY, "11:16"))
    with time_machine.travel(local(site, DAY, "11:17"), tick=False):
        r = api_as(nurse).post(f"charting/observations/{rec.pk}/sign")
        assert (r.status_code, r.json()["code"]) == (409, "severe_alert_open")
        assert r.json()["details"]["alerts"] == [
            Alert.objects.get(session=session, severity="severe").pk
        ]
        body = api_as(nurse).get(f"charting/observations/{rec.pk}").json()
        post_40 = next(c for c in body["checkpoints"] if c["key"] == "post_40")
        assert {e["off_window_minutes"] for e in post_40["entries"]} == {0}
        assert {a["severity"] for a in body["alerts"]} == {"severe"}
        r = api_as(nurse).post(
            f"charting/observations/{rec.pk}/sign", {"cosign_reason": "Nurse cannot"}
        )
        assert (r.status_code, r.json()["code"]) == (403, "role_forbidden")
        r = api_as(clinician).post(
            f"charting/observations/{rec.pk}/sign",
            {"cosign_reason": "Reviewed at the chair; BP settling, safe to leave"},
        )
        assert r.status_code == 200, r.json()
        assert r.json()["cosigned_by"] == clinician.username
        assert r.json()["cosign_reason"].startswith("Reviewed at the chair")


def test_api_acknowledging_a_severe_alert_needs_a_note(api_as, site, nurse, clinician, esk):
    _, session = esk
    rec = dosed(session, nurse, site)
    record(rec, nurse, "post_40", {**POST_40_VALUES, "bp": "186/112"}, local(site, DAY, "09:56"))
    alert = Alert.objects.get(session=session, severity="severe")
    api = api_as(clinician)
    r = api.post(f"charting/alerts/{alert.pk}/acknowledge", {"note": ""})
    assert (r.status_code, r.json()["code"]) == (422, "note_required")
    r = api.post(f"charting/alerts/{alert.pk}/acknowledge", {"note": "Seen, rechecked"})
    assert r.status_code == 200
    # A plain (not severe) alert is acknowledged without a note.
    record(rec, nurse, "discharge", {**DISCHARGE_VALUES, "bp": "165/95"}, local(site, DAY, "11:16"))
    plain = Alert.objects.get(session=session, severity="alert")
    assert api.post(f"charting/alerts/{plain.pk}/acknowledge").status_code == 200
