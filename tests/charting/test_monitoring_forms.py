"""The esketamine REMS monitoring-form queue: created on completion of an outpatient session,
due 7 calendar days after it, prefilled from the chart; submitted by staff; due soon/overdue."""

from __future__ import annotations

import datetime as dt

import time_machine

from charting import gates
from charting.models import MonitoringFormItem
from charting.observations import observation_amend
from tests.charting.documents_support import run_esketamine_session
from tests.support.clock import local
from tests.support.factories import make_course, make_session


def test_completed_session_queues_a_prefilled_form_due_in_7_days(nurse, site, patient, esk):
    _, session = esk
    nurse.first_name, nurse.last_name, nurse.email = "Nina", "Ng", "nina@example.org"
    nurse.save()
    run_esketamine_session(session, nurse, local(site, "2026-03-09", "09:00"))
    item = MonitoringFormItem.objects.get(session=session)
    assert item.due_date == dt.date(2026, 3, 16)
    assert item.status == "open"
    prefill = {p["key"]: p["value"] for p in item.prefill}
    assert prefill["patient_name"] == "Pat Example"
    assert prefill["patient_date_of_birth"] == "1980-05-17"
    assert prefill["rems_enrolled"] is True
    assert prefill["first_treatment"] is True
    assert prefill["treatment_date"] == "2026-03-09"
    assert prefill["dose_mg"] == 56
    assert prefill["lot_number"] == "LOT-77"
    assert prefill["minutes_first_device_to_end"] == 125
    assert prefill["ready_to_leave_minutes"] == 95
    assert prefill["bp_pre_dose"] == {"systolic": 132, "diastolic": 84}
    assert prefill["bp_40_min"] == {"systolic": 150, "diastolic": 95}
    assert prefill["bp_end"] == {"systolic": 128, "diastolic": 80}
    assert prefill["sedation"] == "moderate"
    assert prefill["dissociation"] == "mild"
    assert prefill["respiratory_depression_40_min"] is False
    assert prefill["benzodiazepines"] is True
    assert prefill["maois"] is False
    assert prefill["opioids"] is False
    assert prefill["vitals_acceptable_before"] is True
    assert prefill["vitals_acceptable_end"] is True
    assert prefill["monitoring_hcp_name"] == "Nina Ng"
    assert prefill["monitoring_hcp_email"] == "nina@example.org"
    assert prefill["setting_name"] == "Riverside"


def test_due_date_counts_from_the_local_session_day(nurse, site, patient, scheduler):
    # 19:30 in New York on Thursday 5 March (EST) is already 6 March in UTC; the form is due
    # 7 days after the *local* day, on 12 March (after the spring-forward, in EDT).
    course = make_course(patient=patient, modality="esketamine", booked_by=scheduler)
    session = make_session(course=course, start=local(site, "2026-03-05", "19:30"))
    run_esketamine_session(session, nurse, local(site, "2026-03-05", "19:30"))
    assert MonitoringFormItem.objects.get(session=session).due_date == dt.date(2026, 3, 12)


def test_inpatient_sessions_need_no_form(nurse, site, esk):
    _, session = esk
    run_esketamine_session(session, nurse, local(site, "2026-03-09", "09:00"), inpatient=True)
    assert not MonitoringFormItem.objects.exists()


def test_queue_lists_due_soon_and_overdue_and_submission_records_who_when_how(
    api_as, nurse, scheduler, site, patient, esk
):
    _, first = esk
    run_esketamine_session(first, nurse, local(site, "2026-03-09", "09:00"))
    second = make_session(course=first.course, start=local(site, "2026-03-12", "09:00"))
    run_esketamine_session(second, nurse, local(site, "2026-03-12", "09:00"))

    # On 17 March (local): the 9 March form (due 16th) is overdue; the 12 March one (due 19th)
    # is due soon (2 days left).
    with time_machine.travel(local(site, "2026-03-17", "10:00"), tick=False):
        rows = api_as(scheduler).get("charting/monitoring-forms").json()
        states = {r["session_id"]: (r["due_state"], r["days_left"]) for r in rows}
        assert states == {first.pk: ("overdue", -1), second.pk: ("due_soon", 2)}
        assert (
            api_as(scheduler).get("charting/monitoring-forms", soon_days=1).json()[1]["due_state"]
            == "due"
        )

        item_id = rows[0]["id"]
        r = api_as(scheduler).post(f"charting/monitoring-forms/{item_id}/submit", {"how": "online"})
        assert (r.status_code, r.json()["code"]) == (403, "role_forbidden")
        r = api_as(nurse).post(f"charting/monitoring-forms/{item_id}/submit", {"how": "pigeon"})
        assert r.status_code == 422
        r = api_as(nurse).post(
            f"charting/monitoring-forms/{item_id}/submit",
            {"how": "online", "reference": "PMF-123"},
        )
        assert r.status_code == 200, r.json()
        body = r.json()
        assert (body["status"], body["submitted_by"], body["submitted_how"]) == (
            "submitted",
            "nina",
            "online",
        )
        assert body["submitted_at"].startswith("2026-03-17T14:00")
        assert body["reference"] == "PMF-123"
        r = api_as(nurse).post(f"charting/monitoring-forms/{item_id}/submit", {"how": "fax"})
        assert (r.status_code, r.json()["code"]) == (409, "already_submitted")

        open_rows = api_as(scheduler).get("charting/monitoring-forms").json()
        assert [r["session_id"] for r in open_rows] == [second.pk]
        all_rows = api_as(scheduler).get("charting/monitoring-forms", status="all").json()
        assert len(all_rows) == 2


def test_evening_is_not_yet_overdue_in_the_site_zone(api_as, nurse, scheduler, site, esk):
    _, session = esk
    run_esketamine_session(session, nurse, local(site, "2026-03-09", "09:00"))
    # 21:00 on 16 March in New York is 01:00 on the 17th in UTC: still due today, not overdue.
    with time_machine.travel(local(site, "2026-03-16", "21:00"), tick=False):
        row = api_as(scheduler).get("charting/monitoring-forms").json()[0]
    assert (row["due_state"], row["days_left"]) == ("due_soon", 0)


def test_other_sites_do_not_see_the_queue(api_as, outsider, nurse, site, esk):
    _, session = esk
    run_esketamine_session(session, nurse, local(site, "2026-03-09", "09:00"))
    item = MonitoringFormItem.objects.get()
    assert api_as(outsider).get("charting/monitoring-forms").json() == []
    r = api_as(outsider).get(f"charting/monitoring-forms/{item.pk}")
    assert (r.status_code, r.json()["code"]) == (404, "monitoring_form_not_found")


def test_tms_sessions_queue_nothing(nurse, site, tms):
    _, session = tms
    session.status = "completed"
    session.save()
    gates.ChartingGates().after_complete(session, by=nurse, now=local(site, "2026-03-09", "10:00"))
    assert not MonitoringFormItem.objects.exists()


def test_an_amendment_refreshes_an_unsubmitted_form(nurse, site, esk):
    _, session = esk
    end = run_esketamine_session(session, nurse, local(site, "2026-03-09", "09:00"))
    observation_amend(
        record=session.observation,
        checkpoint="post_40",
        field="sedation",
        value="mild",
        reason="Re-rated after reviewing the chart",
        by=nurse,
        now=end + dt.timedelta(minutes=30),
    )
    item = MonitoringFormItem.objects.get(session=session)
    assert {p["key"]: p["value"] for p in item.prefill}["sedation"] == "mild"
    assert item.history.first().history_user_id == nurse.pk
