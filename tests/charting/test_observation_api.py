"""Each built-in observation form end to end through the API: start the session (which opens the
record), record checkpoints, raise alerts, refuse early or incomplete sign-off, sign, amend."""

from __future__ import annotations

import datetime as dt

import time_machine

from charting.models import Alert, MonitoringFormItem, ObservationEntry, ObservationRecord
from tests.charting.helpers import check_in_and_start, safe_answers
from tests.support.clock import local


def _at(when: dt.datetime):
    return time_machine.travel(when, tick=False)


def _iso(when: dt.datetime) -> str:
    return when.isoformat()


def test_esketamine_post_dose_end_to_end(api_as, nurse, clinician, site, esk):
    _, session = esk
    api = api_as(nurse)
    day = "2026-03-09"
    with _at(local(site, day, "08:50")):
        r = api.post(
            f"charting/sessions/{session.pk}/screening",
            {"answers": safe_answers("esketamine-pre-dose")},
        )
        assert r.status_code == 201
    with _at(local(site, day, "09:05")):
        check_in_and_start(api, session.pk)
        r = api.get(f"charting/sessions/{session.pk}/observation")
        assert r.status_code == 200
        rec = r.json()
        assert rec["template"] == "esketamine-post-dose"
        assert rec["anchor_recorded"] is False
        rid = rec["id"]

        # Before dosing: 150/92 is above the label's 140/90 guide: accepted, flagged.
        r = api.post(
            f"charting/observations/{rid}/entries",
            {
                "checkpoint": "pre_dose",
                "taken_at": _iso(local(site, day, "09:04")),
                "values": {"bp": "150/92", "spo2": 98, "vitals_acceptable": True},
            },
        )
        assert r.status_code == 201, r.json()
        pre = r.json()["checkpoints"][0]
        assert pre["complete"] is True
        assert "systolic 150 mmHg is above 140" in pre["entries"][0]["alert"]

    with _at(local(site, day, "09:25")):
        # The nurse records the dose administration; the first device time becomes the anchor.
        r = api.put(
            f"charting/sessions/{session.pk}/parameters",
            {
                "values": {
                    "dose_mg": 56,
                    "devices": 2,
                    "device_lot": "LOT-4471",
                    "first_device_at": _iso(local(site, day, "09:15")),
                    "last_device_at": _iso(local(site, day, "09:20")),
                }
            },
        )
        assert r.status_code == 200, r.json()
        rec = api.get(f"charting/observations/{rid}").json()
        assert rec["anchor_recorded"] is True
        due = {c["key"]: c["due_at"] for c in rec["checkpoints"]}
        assert dt.datetime.fromisoformat(due["post_40"]) == local(site, day, "09:55")
        assert dt.datetime.fromisoformat(due["discharge"]) == local(site, day, "11:15")
        assert dt.datetime.fromisoformat(rec["earliest_discharge"]) == local(site, day, "11:15")

    with _at(local(site, day, "09:57")):
        r = api.post(
            f"charting/observations/{rid}/entries",
            {
                "checkpoint": "post_40",
                "taken_at": _iso(local(site, day, "09:56")),
                "values": {
                    "bp": {"systolic": 185, "diastolic": 104},
                    "spo2": 96,
                    "sedation": "mild",
                    "dissociation": "moderate",
                    "respiratory_depression": False,
                },
            },
        )
        assert r.status_code == 201
        assert api.post(f"sessions/{session.pk}/observe").status_code == 200
        chart = api.get(f"charting/sessions/{session.pk}").json()
        messages = [a["message"] for a in chart["open_alerts"]]
        assert any("systolic 185 mmHg is above 180" in m for m in messages)
        assert any("systolic 150 mmHg is above 140" in m for m in messages)
        assert chart["complete"]["code"] == "observation_not_signed"

    with _at(local(site, day, "10:30")):
        r = api.post(f"charting/observations/{rid}/sign")
        assert (r.status_code, r.json()["code"]) == (409, "too_early_to_sign")
        assert "2026-03-09 11:15 EDT" in r.json()["message"]
        assert "120 minutes after the dose" in r.json()["message"]

    with _at(local(site, day, "11:16")):
        r = api.post(f"charting/observations/{rid}/sign")
        assert (r.status_code, r.json()["code"]) == (409, "checkpoints_missing")
        assert "discharge (End of monitoring (discharge)): bp, spo2" in r.json()["message"]
        assert r.json()["details"]["missing"] == {
            "discharge": [
                "bp",
                "spo2",
                "sedation_resolved",
                "dissociation_resolved",
                "respiratory_depression",
                "vitals_acceptable",
                "ready_to_leave_minutes",
                "ride_confirmed",
            ]
        }
        r = api.post(
            f"charting/observations/{rid}/entries",
            {
                "checkpoint": "discharge",
                "taken_at": _iso(local(site, day, "11:15")),
                "values": {
                    "bp": "138/86",
                    "spo2": 98,
                    "sedation_resolved": True,
                    "dissociation_resolved": True,
                    "respiratory_depression": False,
                    "vitals_acceptable": True,
                    "ready_to_leave_minutes": 90,
                    "ride_confirmed": True,
                },
            },
        )
        assert r.status_code == 201
        # 185 systolic at 40 minutes is in the template's severe range: the discharge waits
        # for a clinician to acknowledge it with a note (issue 15).
        r = api.post(f"charting/observations/{rid}/sign")
        assert (r.status_code, r.json()["code"]) == (409, "severe_alert_open")
        severe = Alert.objects.get(session=session, severity="severe")
        r = api_as(clinician).post(
            f"charting/alerts/{severe.pk}/acknowledge", {"note": "Rechecked 150/90, settling"}
        )
        assert r.status_code == 200, r.json()
        r = api.post(f"charting/observations/{rid}/sign")
        assert r.status_code == 200, r.json()
        assert r.json()["status"] == "signed"
        assert r.json()["signed_by"] == "nina"

        # Signed means locked.
        r = api.post(
            f"charting/observations/{rid}/entries",
            {
                "checkpoint": "discharge",
                "taken_at": _iso(local(site, day, "11:16")),
                "values": {"spo2": 97},
            },
        )
        assert (r.status_code, r.json()["code"]) == (409, "record_signed")

    with _at(local(site, day, "11:30")):
        # The 40-minute BP was misread: amend it with a reason; the original stays visible.
        r = api.post(
            f"charting/observations/{rid}/amendments",
            {
                "checkpoint": "post_40",
                "field": "bp",
                "value": "158/96",
                "reason": "Transcription error: cuff display read 158/96",
            },
        )
        assert r.status_code == 201, r.json()
        rec = r.json()
        bp_entries = [e for e in rec["checkpoints"][1]["entries"] if e["field"] == "bp"]
        assert [
            (e["value"]["systolic"], e["superseded"], e["is_amendment"]) for e in bp_entries
        ] == [
            (185, True, False),
            (158, False, True),
        ]
        assert rec["amendments"][0]["original_value"] == {"systolic": 185, "diastolic": 104}
        assert rec["amendments"][0]["reason"].startswith("Transcription error")
        assert rec["status"] == "signed"

        r = api.post(f"sessions/{session.pk}/complete")
        assert r.status_code == 200, r.json()

    item = MonitoringFormItem.objects.get(session=session)
    prefill = {p["key"]: p["value"] for p in item.prefill}
    assert prefill["bp_40_min"] == {"systolic": 158, "diastolic": 96}
    assert prefill["minutes_first_device_to_end"] == 121


def test_ect_recovery_end_to_end(api_as, nurse, clinician, site, ect):
    course, session = ect
    api, doc = api_as(nurse), api_as(clinician)
    day = "2026-03-09"
    with _at(local(site, day, "08:45")):
        api.post(
            f"charting/courses/{course.pk}/screening",
            {"answers": safe_answers("ect-course-consent")},
        )
        api.post(
            f"charting/sessions/{session.pk}/screening",
            {"answers": safe_answers("ect-pre-treatment")},
        )
        check_in_and_start(api, session.pk)
        rid = ObservationRecord.objects.get(session=session).pk

    with _at(local(site, day, "09:12")):
        values = {
            "electrode_placement": "rul",
            "stimulus_at": _iso(local(site, day, "09:10")),
            "pulse_width_ms": 0.3,
            "frequency_hz": 20,
            "current_ma": 800,
            "duration_s": 4,
            "charge_mc": 76.8,
            "eeg_seizure_s": 22,
            "motor_seizure_s": 12,
            "anaesthetic": "methohexital",
            "anaesthetic_dose_mg": 70,
            "muscle_relaxant": "succinylcholine",
            "muscle_relaxant_dose_mg": 50,
        }
        r = api.put(f"charting/sessions/{session.pk}/parameters", {"values": values})
        assert (r.status_code, r.json()["code"]) == (403, "role_forbidden")
        r = doc.put(f"charting/sessions/{session.pk}/parameters", {"values": values})
        assert r.status_code == 200, r.json()
        assert any("EEG seizure 22 s is under 25 s" in f for f in r.json()["flags"])
        rec = api.get(f"charting/observations/{rid}").json()
        assert dt.datetime.fromisoformat(rec["checkpoints"][2]["due_at"]) == local(
            site, day, "09:40"
        )
        r = api.post(
            f"charting/observations/{rid}/entries",
            {
                "checkpoint": "arrival",
                "taken_at": _iso(local(site, day, "09:12")),
                "values": {"bp": "150/90", "heart_rate": 96, "spo2": 90},
            },
        )
        assert r.status_code == 201
        assert "SpO2 90 % is below 92" in r.json()["checkpoints"][0]["entries"][2]["alert"]

    with _at(local(site, day, "09:30")):
        api.post(
            f"charting/observations/{rid}/entries",
            {
                "checkpoint": "min_15",
                "taken_at": _iso(local(site, day, "09:26")),
                "values": {
                    "bp": "132/80",
                    "heart_rate": 80,
                    "spo2": 97,
                    "reoriented": True,
                    "minutes_to_reorientation": 14,
                },
            },
        )
        api.post(
            f"charting/observations/{rid}/entries",
            {
                "checkpoint": "discharge",
                "taken_at": _iso(local(site, day, "09:30")),
                "values": {
                    "bp": "128/78",
                    "spo2": 98,
                    "aldrete": 8,
                    "headache": True,
                    "nausea": False,
                    "confusion": False,
                    "escort_present": True,
                },
            },
        )
        r = api.post(f"charting/observations/{rid}/sign")
        assert (r.status_code, r.json()["code"]) == (409, "too_early_to_sign")
        assert "09:40" in r.json()["message"]

    with _at(local(site, day, "09:41")):
        # The 09:30 discharge values predate the 30-minute minimum: they must be taken again.
        r = api.post(f"charting/observations/{rid}/sign")
        assert (r.status_code, r.json()["code"]) == (409, "discharge_values_too_early")
        assert "09:40" in r.json()["message"]
        assert r.json()["details"]["early"]["discharge"][:2] == ["bp", "spo2"]
        r = api.post(
            f"charting/observations/{rid}/entries",
            {
                "checkpoint": "discharge",
                "taken_at": _iso(local(site, day, "09:41")),
                "values": {
                    "bp": "126/78",
                    "spo2": 98,
                    "aldrete": 8,
                    "headache": True,
                    "nausea": False,
                    "confusion": False,
                    "escort_present": True,
                },
            },
        )
        assert r.status_code == 201, r.json()
        r = api.post(f"charting/observations/{rid}/sign")
        assert r.status_code == 200, r.json()
        r = api.post(
            f"charting/observations/{rid}/amendments",
            {
                "checkpoint": "discharge",
                "field": "aldrete",
                "value": 9,
                "reason": "Scored before colour returned; rescored 9",
            },
        )
        assert r.status_code == 201
        api.post(f"sessions/{session.pk}/observe")
        assert api.post(f"sessions/{session.pk}/complete").status_code == 200

    kinds = sorted(Alert.objects.filter(session=session).values_list("kind", flat=True))
    assert kinds.count("parameter") == 2  # EEG < 25 s and motor < 15 s
    assert "out_of_range" in kinds  # SpO2 90 and the Aldrete 8
    # ECT is not esketamine: nothing queued.
    assert not MonitoringFormItem.objects.exists()


def test_tms_post_session_end_to_end(api_as, nurse, clinician, site, tms):
    course, session = tms
    api = api_as(nurse)
    day = "2026-03-09"
    with _at(local(site, day, "08:55")):
        api.post(
            f"charting/courses/{course.pk}/screening",
            {"answers": safe_answers("tms-safety-screen")},
        )
        api.post(
            f"charting/sessions/{session.pk}/screening",
            {"answers": safe_answers("tms-session-check")},
        )
        check_in_and_start(api, session.pk)
    with _at(local(site, day, "09:45")):
        r = api_as(clinician).put(
            f"charting/sessions/{session.pk}/parameters",
            {
                "values": {
                    "motor_threshold_pct": 52,
                    "motor_threshold_measured_today": True,
                    "intensity_pct_mt": 120,
                    "pulses_delivered": 3000,
                    "coil_position": "5.5 cm anterior to motor hotspot (L-DLPFC)",
                }
            },
        )
        assert r.status_code == 200
        rid = api.get(f"charting/sessions/{session.pk}").json()["observation_id"]
        r = api.post(f"sessions/{session.pk}/complete")
        assert (r.status_code, r.json()["code"]) == (409, "observation_not_signed")
        r = api.post(
            f"charting/observations/{rid}/entries",
            {
                "checkpoint": "post_session",
                "taken_at": _iso(local(site, day, "09:44")),
                "values": {
                    "headache": True,
                    "scalp_pain": 8,
                    "hearing_change": False,
                    "seizure": False,
                    "syncope": False,
                    "stopped_early": False,
                },
            },
        )
        assert r.status_code == 201
        assert Alert.objects.get(session=session).message.endswith("is above 7")
        assert api.post(f"charting/observations/{rid}/sign").status_code == 200
        r = api.post(
            f"charting/observations/{rid}/amendments",
            {"checkpoint": "post_session", "field": "scalp_pain", "value": 6, "reason": "r"},
        )
        assert (r.status_code, r.json()["code"]) == (422, "reason_required")
        r = api.post(
            f"charting/observations/{rid}/amendments",
            {
                "checkpoint": "post_session",
                "field": "scalp_pain",
                "value": 6,
                "reason": "Patient corrected the score",
            },
        )
        assert r.status_code == 201
        assert api.post(f"sessions/{session.pk}/complete").status_code == 200
    entries = ObservationEntry.objects.filter(record_id=rid, field_key="scalp_pain")
    assert sorted(entries.values_list("value", flat=True)) == [6, 8]


def test_bad_observation_input(api_as, nurse, scheduler, site, esk):
    _, session = esk
    api = api_as(nurse)
    day = "2026-03-09"
    session.status = "in_progress"
    session.started_at = local(site, day, "09:00")
    session.save()
    from charting.observations import observation_open

    record = observation_open(session=session, by=nurse, now=session.started_at)
    assert record is not None  # the protocol has an observation form
    url = f"charting/observations/{record.pk}/entries"
    taken = _iso(local(site, day, "09:01"))
    with _at(local(site, day, "09:02")):
        cases = [
            (
                {"checkpoint": "post_41", "taken_at": taken, "values": {"spo2": 97}},
                422,
                "unknown_checkpoint",
            ),
            (
                {"checkpoint": "pre_dose", "taken_at": taken, "values": {"bp": "300/80"}},
                422,
                "out_of_bounds",
            ),
            (
                {"checkpoint": "pre_dose", "taken_at": taken, "values": {"spo2": "97%"}},
                422,
                "invalid_value",
            ),
            (
                {"checkpoint": "pre_dose", "taken_at": taken, "values": {"pulse": 80}},
                422,
                "unknown_field",
            ),
            (
                {
                    "checkpoint": "pre_dose",
                    "taken_at": taken,
                    "values": {"spo2": 97, "bp": "120/300"},
                },
                422,
                "out_of_bounds",
            ),
            (
                {
                    "checkpoint": "pre_dose",
                    "taken_at": "2026-03-09T09:01:00",
                    "values": {"spo2": 97},
                },
                422,
                "invalid",
            ),
            (
                {
                    "checkpoint": "pre_dose",
                    "taken_at": _iso(local(site, day, "09:30")),
                    "values": {"spo2": 97},
                },
                422,
                "time_in_future",
            ),
        ]
        for body, status, code in cases:
            r = api.post(url, body)
            assert (r.status_code, r.json()["code"]) == (status, code), body
        # Nothing partial: the valid spo2 next to an impossible bp was not kept.
        assert not ObservationEntry.objects.exists()

        r = api_as(scheduler).post(
            url, {"checkpoint": "pre_dose", "taken_at": taken, "values": {"spo2": 97}}
        )
        assert (r.status_code, r.json()["code"]) == (403, "role_forbidden")
        # The dose time must be recorded before an esketamine discharge can be signed.
        r = api.post(f"charting/observations/{record.pk}/sign")
        assert (r.status_code, r.json()["code"]) == (409, "anchor_not_recorded")
        r = api.post(
            f"charting/observations/{record.pk}/amendments",
            {"checkpoint": "pre_dose", "field": "spo2", "value": 97, "reason": "late"},
        )
        assert (r.status_code, r.json()["code"]) == (409, "record_not_signed")


def test_anchor_can_be_recorded_directly_and_not_in_the_future(api_as, nurse, site, esk):
    _, session = esk
    day = "2026-03-09"
    session.status = "in_progress"
    session.started_at = local(site, day, "09:00")
    session.save()
    from charting.observations import observation_open

    record = observation_open(session=session, by=nurse, now=session.started_at)
    assert record is not None  # the protocol has an observation form
    api = api_as(nurse)
    with _at(local(site, day, "09:20")):
        r = api.post(
            f"charting/observations/{record.pk}/anchor", {"at": _iso(local(site, day, "09:30"))}
        )
        assert (r.status_code, r.json()["code"]) == (422, "time_in_future")
        r = api.post(
            f"charting/observations/{record.pk}/anchor", {"at": _iso(local(site, day, "09:18"))}
        )
        assert r.status_code == 200
        due = {c["key"]: c["due_at"] for c in r.json()["checkpoints"]}
        overdue = {c["key"]: c["overdue"] for c in r.json()["checkpoints"]}
    # Nothing recorded yet: the pre-dose checkpoint (due at the dose) is overdue, the rest not.
    assert overdue == {"pre_dose": True, "post_40": False, "discharge": False}
    assert dt.datetime.fromisoformat(due["post_40"]) == local(site, day, "09:58")
    assert dt.datetime.fromisoformat(due["discharge"]) == local(site, day, "11:18")


def test_observation_record_is_opened_once_per_session(nurse, site, esk):
    from charting.observations import observation_open

    _, session = esk
    first = observation_open(session=session, by=nurse, now=local(site, "2026-03-09", "09:00"))
    assert first is not None  # the protocol has an observation form
    again = observation_open(session=session, by=nurse, now=local(site, "2026-03-09", "09:05"))
    assert again is not None  # the protocol has an observation form
    assert first.pk == again.pk
    assert first.checkpoints.count() == 3


def test_observation_detail_queries_do_not_grow_with_amendments_and_alerts(
    api_as, nurse, clinician, site, ect
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from charting.alerts import alert_acknowledge
    from charting.observations import (
        observation_amend,
        observation_open,
        observation_record_values,
        observation_sign,
    )

    _, session = ect
    day = "2026-03-09"
    session.status = "in_progress"
    session.started_at = local(site, day, "09:00")
    session.save()
    record = observation_open(session=session, by=nurse, now=session.started_at)
    assert record is not None  # the protocol has an observation form
    at = local(site, day, "09:45")
    vitals = {"bp": "150/90", "heart_rate": 96, "spo2": 90}
    observation_record_values(
        record=record, checkpoint="arrival", values=vitals, taken_at=at, by=nurse, now=at
    )
    observation_record_values(
        record=record,
        checkpoint="min_15",
        values={**vitals, "reoriented": True, "minutes_to_reorientation": 14},
        taken_at=at,
        by=nurse,
        now=at,
    )
    observation_record_values(
        record=record,
        checkpoint="discharge",
        values={
            "bp": "128/78",
            "spo2": 98,
            "aldrete": 9,
            "headache": False,
            "nausea": False,
            "confusion": False,
            "escort_present": True,
        },
        taken_at=at,
        by=nurse,
        now=at,
    )
    observation_sign(record=record, by=nurse, now=at)

    def amend_and_acknowledge(checkpoint: str, value: int) -> None:
        observation_amend(
            record=record,
            checkpoint=checkpoint,
            field="spo2",
            value=value,
            reason="misread",
            by=nurse,
            now=at,
        )
        alert = Alert.objects.filter(acknowledged_at__isnull=True).first()
        assert alert is not None
        alert_acknowledge(alert=alert, by=clinician, now=at)

    def queries() -> tuple[int, dict]:
        api = api_as(nurse)
        with CaptureQueriesContext(connection) as ctx:
            r = api.get(f"charting/observations/{record.pk}")
        assert r.status_code == 200
        return len(ctx.captured_queries), r.json()

    amend_and_acknowledge("arrival", 91)
    few, body = queries()
    amend_and_acknowledge("min_15", 91)
    amend_and_acknowledge("arrival", 89)
    many, body = queries()
    assert len(body["amendments"]) == 3
    assert sum(a["acknowledged_by"] is not None for a in body["alerts"]) == 3
    assert many == few


def test_too_early_to_sign_names_the_minute_rounded_up(api_as, nurse, site, esk):
    # A dose at 09:18:59 allows the discharge from 11:18:59: at 11:18:56 the refusal must not
    # say "before 11:18" (a minute that has begun) but "before 11:19".
    _, session = esk
    day = "2026-03-09"
    session.status = "in_progress"
    session.started_at = local(site, day, "09:00")
    session.save()
    from charting.observations import observation_open

    record = observation_open(session=session, by=nurse, now=session.started_at)
    assert record is not None
    api = api_as(nurse)
    dose = local(site, day, "09:18") + dt.timedelta(seconds=59)
    with _at(local(site, day, "09:20")):
        r = api.post(f"charting/observations/{record.pk}/anchor", {"at": _iso(dose)})
        assert r.status_code == 200
    with _at(local(site, day, "11:18") + dt.timedelta(seconds=56)):
        r = api.post(f"charting/observations/{record.pk}/sign")
    assert (r.status_code, r.json()["code"]) == (409, "too_early_to_sign")
    assert "cannot be signed before 2026-03-09 11:19 EDT" in r.json()["message"]
    assert r.json()["details"]["earliest"] == "2026-03-09T15:18:59Z"
