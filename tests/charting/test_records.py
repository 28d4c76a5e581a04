"""Gates called by scheduling, history on clinical records, no deletion through the API,
templates endpoints and the load_form_templates command."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command

from charting import gates
from charting.form_templates import template_current
from charting.models import FormTemplate, ObservationEntry, ScreeningResponse
from charting.observations import (
    observation_amend,
    observation_open,
    observation_record_values,
    observation_set_anchor,
    observation_sign,
)
from charting.screening import course_screening_submit, screening_override, session_screening_submit
from clinic.errors import Conflict
from tests.charting.helpers import safe_answers
from tests.support.clock import local
from tests.support.factories import make_course, make_session


def test_gates_name_what_is_missing(nurse, site, tms):
    course, session = tms
    with pytest.raises(Conflict) as info:
        gates.check_in_allowed(session)
    assert info.value.code == "course_screening_required"
    course_screening_submit(course=course, answers=safe_answers("tms-safety-screen"), by=nurse)
    gates.check_in_allowed(session)
    with pytest.raises(Conflict) as info:
        gates.start_allowed(session)
    assert info.value.code == "session_screening_required"
    session_screening_submit(session=session, answers=safe_answers("tms-session-check"), by=nurse)
    gates.start_allowed(session)
    with pytest.raises(Conflict) as info:
        gates.complete_allowed(session)
    assert info.value.code == "observation_not_signed"


def test_every_later_session_also_needs_the_course_screen(nurse, site, tms):
    course, _ = tms
    later = make_session(course=course, start=local(site, "2026-03-10", "09:00"))
    with pytest.raises(Conflict) as info:
        gates.check_in_allowed(later)
    assert info.value.code == "course_screening_required"


def test_minimum_observation_is_elapsed_time_across_the_dst_change(nurse, patient, scheduler):
    # 1 November 2026: New York falls back at 02:00 EDT -> 01:00 EST. A dose at 00:50 EDT
    # (04:50 UTC) may be discharged 120 real minutes later: 06:50 UTC = 01:50 EST, although the
    # wall clock shows only 60 minutes more.
    site = patient.site
    course = make_course(patient=patient, modality="esketamine", booked_by=scheduler)
    dose = dt.datetime(2026, 11, 1, 4, 50, tzinfo=dt.UTC)
    session = make_session(course=course, start=dose - dt.timedelta(minutes=20))
    session.status = "in_progress"
    session.save()
    record = observation_open(session=session, by=nurse, now=dose)
    assert record is not None  # the protocol has an observation form
    observation_set_anchor(record=record, at=dose, by=nurse, now=dose)
    with pytest.raises(Conflict) as info:
        observation_sign(record=record, by=nurse, now=dose + dt.timedelta(minutes=119))
    assert info.value.code == "too_early_to_sign"
    assert "before 2026-11-01 01:50 EST" in info.value.message
    assert "dose at 2026-11-01 00:50 EDT" in info.value.message
    assert local(site, "2026-11-01", "00:50") == dose
    with pytest.raises(Conflict) as info:
        observation_sign(record=record, by=nurse, now=dose + dt.timedelta(minutes=120))
    assert info.value.code == "checkpoints_missing"  # past the time gate


def test_history_records_who_changed_a_screening(nurse, clinician, esk):
    _, session = esk
    s = session_screening_submit(
        session=session,
        answers={**safe_answers("esketamine-pre-dose"), "rems_enrolled": False},
        by=nurse,
    )
    screening_override(screening=s, reason="Enrolment confirmed by phone", by=clinician)
    rows = list(ScreeningResponse.history.filter(id=s.pk).order_by("history_id"))
    assert [(r.history_type, r.history_user_id) for r in rows] == [
        ("+", nurse.pk),
        ("~", clinician.pk),
    ]
    assert rows[0].override_reason == ""
    assert rows[1].override_reason == "Enrolment confirmed by phone"


def test_amendment_keeps_the_original_entry_and_its_history(nurse, site, tms):
    _, session = tms
    session.status = "in_progress"
    session.save()
    now = local(site, "2026-03-09", "09:45")
    record = observation_open(session=session, by=nurse, now=now)
    assert record is not None  # the protocol has an observation form
    values = {
        "headache": False,
        "scalp_pain": 2,
        "hearing_change": False,
        "seizure": False,
        "syncope": False,
        "stopped_early": False,
    }
    observation_record_values(
        record=record, checkpoint="post_session", values=values, taken_at=now, by=nurse, now=now
    )
    observation_sign(record=record, by=nurse, now=now)
    observation_amend(
        record=record,
        checkpoint="post_session",
        field="headache",
        value=True,
        reason="Patient reported headache on leaving",
        by=nurse,
        now=now + dt.timedelta(minutes=5),
    )
    headache = ObservationEntry.objects.filter(record=record, field_key="headache")
    assert sorted(headache.values_list("value", "is_amendment")) == [(False, False), (True, True)]
    original = headache.get(is_amendment=False)
    assert original.superseded_by_id == headache.get(is_amendment=True).pk
    assert original.history.count() == 2  # created, then marked superseded


def test_nothing_clinical_can_be_deleted_through_the_api(api_as, admin_user, nurse, esk):
    course, session = esk
    s = session_screening_submit(
        session=session, answers=safe_answers("esketamine-pre-dose"), by=nurse
    )
    api = api_as(admin_user)
    for path in (
        f"charting/screenings/{s.pk}/override",
        f"charting/sessions/{session.pk}/screening",
        f"charting/sessions/{session.pk}/parameters",
        f"charting/courses/{course.pk}/scales",
        "charting/alerts",
        "charting/monitoring-forms",
    ):
        assert api.delete(path).status_code == 405, path
    assert ScreeningResponse.objects.filter(pk=s.pk).exists()
    paths = api.get("/api/v1/openapi.json").json()["paths"]
    charting_ops = {
        method
        for path, ops in paths.items()
        if path.startswith("/api/v1/charting")
        for method in ops
    }
    assert "delete" not in charting_ops


def test_templates_are_readable_by_staff(api_as, scheduler):
    rows = api_as(scheduler).get("charting/templates").json()
    assert {r["slug"] for r in rows} >= {"tms-safety-screen", "esketamine-post-dose"}
    r = api_as(scheduler).get("charting/templates/esketamine-post-dose")
    assert r.json()["spec"]["minimum_observation_minutes"] == 120
    r = api_as(scheduler).get("charting/templates/nope")
    assert (r.status_code, r.json()["code"]) == (404, "template_not_found")


def test_anonymous_callers_are_refused(api_as, esk):
    _, session = esk
    r = api_as(None).get(f"charting/sessions/{session.pk}")
    assert r.status_code == 401


def test_load_form_templates_is_idempotent(db):
    out = io.StringIO()
    call_command("load_form_templates", stdout=out)
    assert "esketamine-post-dose v2: unchanged" in out.getvalue()
    assert FormTemplate.objects.count() == 8


def test_changing_a_used_template_version_is_refused(tmp_path, nurse, esk):
    _, session = esk
    session_screening_submit(session=session, answers=safe_answers("esketamine-pre-dose"), by=nurse)
    data = dict(FormTemplate.objects.get(slug="esketamine-pre-dose").spec)
    data["name"] = "Esketamine pre-dose checklist (edited)"
    (tmp_path / "esketamine-pre-dose.json").write_text(json.dumps(data))
    with pytest.raises(CommandError, match="give the change a new version number"):
        call_command("load_form_templates", library=tmp_path, stdout=io.StringIO())
    data["version"] = 2
    (tmp_path / "esketamine-pre-dose.json").write_text(json.dumps(data))
    call_command("load_form_templates", library=tmp_path, stdout=io.StringIO())
    assert template_current("esketamine-pre-dose").version == 2


def test_an_invalid_template_file_is_refused_naming_the_path(tmp_path, db):
    (tmp_path / "bad.json").write_text(
        json.dumps(
            {
                "slug": "bad",
                "version": 1,
                "name": "Bad",
                "kind": "screening",
                "fields": [
                    {"key": "x", "label": "X", "type": "number", "limits": {"min": 5, "max": 1}}
                ],
            }
        )
    )
    with pytest.raises(
        CommandError, match=r"bad.json: fields\[0\].limits.max: must be at least min"
    ):
        call_command("load_form_templates", library=tmp_path, stdout=io.StringIO())


def test_nul_characters_are_refused_not_a_server_error(api_as, nurse, esk):
    _, session = esk
    answers = {**safe_answers("esketamine-pre-dose"), "notes": "bad\x00byte"}
    r = api_as(nurse).post(f"charting/sessions/{session.pk}/screening", {"answers": answers})
    assert (r.status_code, r.json()["code"]) == (422, "invalid")
    assert "NUL" in r.json()["message"]
    assert not ScreeningResponse.objects.exists()
