"""Treatment parameters: shape per modality, who may record them, when they lock."""

from __future__ import annotations

import pytest
import time_machine

from charting.models import TreatmentParameters
from tests.support.clock import local

ESK = {
    "dose_mg": 84,
    "devices": 3,
    "device_lot": "LOT-9",
    "first_device_at": "2026-03-09T09:15:00-04:00",
}
TMS = {
    "motor_threshold_pct": 48,
    "intensity_pct_mt": 120,
    "pulses_delivered": 3000,
    "coil_type": "figure8",
    "coil_position": "Beam F3",
}


def _started(session, site):
    session.status = "in_progress"
    session.started_at = local(site, "2026-03-09", "09:00")
    session.save()
    return session


@pytest.fixture(autouse=True)
def _now(site):
    with time_machine.travel(local(site, "2026-03-09", "09:30"), tick=False):
        yield


def test_nurse_may_record_esketamine_dose_administration(api_as, nurse, site, esk):
    session = _started(esk[1], site)
    r = api_as(nurse).put(f"charting/sessions/{session.pk}/parameters", {"values": ESK})
    assert r.status_code == 200, r.json()
    assert r.json()["values"]["dose_mg"] == 84
    assert r.json()["recorded_by"] == "nina"


def test_only_clinicians_record_tms_parameters(api_as, nurse, clinician, scheduler, site, tms):
    session = _started(tms[1], site)
    url = f"charting/sessions/{session.pk}/parameters"
    for user in (nurse, scheduler):
        r = api_as(user).put(url, {"values": TMS})
        assert (r.status_code, r.json()["code"]) == (403, "role_forbidden")
    assert not TreatmentParameters.objects.exists()
    r = api_as(clinician).put(url, {"values": TMS})
    assert r.status_code == 200
    assert api_as(scheduler).get(url).json()["values"]["pulses_delivered"] == 3000


def test_scheduler_cannot_record_esketamine_parameters(api_as, scheduler, site, esk):
    session = _started(esk[1], site)
    r = api_as(scheduler).put(f"charting/sessions/{session.pk}/parameters", {"values": ESK})
    assert (r.status_code, r.json()["code"]) == (403, "role_forbidden")


@pytest.mark.parametrize(
    ("values", "text"),
    [
        ({**ESK, "dose_mg": 42}, "dose_mg: must be one of 28, 56 or 84"),
        ({**ESK, "devices": 2}, "devices: 84 mg is 3 device(s) of 28 mg"),
        ({**ESK, "colour": "blue"}, "colour: is not a known field"),
        ({**ESK, "first_device_at": "2026-03-09T09:15:00"}, "first_device_at"),
        ({k: v for k, v in ESK.items() if k != "device_lot"}, "device_lot: is required"),
    ],
)
def test_bad_parameters_are_refused_naming_the_field(api_as, nurse, site, esk, values, text):
    session = _started(esk[1], site)
    r = api_as(nurse).put(f"charting/sessions/{session.pk}/parameters", {"values": values})
    assert r.status_code == 422
    assert r.json()["code"] == "invalid_parameters"
    assert text in r.json()["message"]
    assert not TreatmentParameters.objects.exists()


def test_parameters_need_a_started_session_and_lock_on_completion(api_as, nurse, site, esk):
    session = esk[1]
    url = f"charting/sessions/{session.pk}/parameters"
    r = api_as(nurse).put(url, {"values": ESK})
    assert (r.status_code, r.json()["code"]) == (409, "session_not_started")
    session.status = "completed"
    session.save()
    r = api_as(nurse).put(url, {"values": ESK})
    assert (r.status_code, r.json()["code"]) == (409, "parameters_locked")


def test_corrections_before_completion_keep_history(api_as, nurse, site, esk):
    session = _started(esk[1], site)
    url = f"charting/sessions/{session.pk}/parameters"
    api_as(nurse).put(url, {"values": ESK})
    api_as(nurse).put(url, {"values": {**ESK, "device_lot": "LOT-10"}})
    row = TreatmentParameters.objects.get(session=session)
    lots = [h.values["device_lot"] for h in row.history.order_by("history_id")]
    assert lots == ["LOT-9", "LOT-10"]
    assert {h.history_user_id for h in row.history.all()} == {nurse.pk}


def test_other_site_cannot_see_or_record_parameters(api_as, outsider, site, esk):
    session = _started(esk[1], site)
    r = api_as(outsider).put(f"charting/sessions/{session.pk}/parameters", {"values": ESK})
    assert (r.status_code, r.json()["code"]) == (404, "session_not_found")


@pytest.mark.parametrize(
    ("first_device_at", "code"),
    [
        # 3.5 hours ago would make the 2-hour discharge signable at once.
        ("2026-03-08T20:00:00-04:00", "time_out_of_session"),
        ("2026-03-09T10:30:00-04:00", "time_in_future"),
    ],
)
def test_dose_time_in_parameters_is_checked_like_a_direct_anchor(
    api_as, nurse, site, esk, first_device_at, code
):
    from charting.models import ObservationRecord
    from charting.observations import observation_open

    session = _started(esk[1], site)
    record = observation_open(session=session, by=nurse, now=session.started_at)
    assert record is not None  # the protocol has an observation form
    r = api_as(nurse).put(
        f"charting/sessions/{session.pk}/parameters",
        {"values": {**ESK, "first_device_at": first_device_at}},
    )
    assert (r.status_code, r.json()["code"]) == (422, code)
    assert not TreatmentParameters.objects.exists()
    record = ObservationRecord.objects.get(pk=record.pk)
    assert (record.anchor_recorded, record.anchor_at) == (False, session.started_at)


def test_dose_time_before_check_in_is_refused(api_as, nurse, site, esk):
    from charting.models import ObservationRecord
    from charting.observations import observation_open

    session = _started(esk[1], site)
    session.checked_in_at = local(site, "2026-03-09", "08:50")
    session.save()
    record = observation_open(session=session, by=nurse, now=session.started_at)
    assert record is not None  # the protocol has an observation form

    r = api_as(nurse).post(
        f"charting/observations/{record.pk}/anchor", {"at": "2026-03-09T08:30:00-04:00"}
    )

    assert (r.status_code, r.json()["code"]) == (422, "time_before_check_in")
    assert "08:50" in r.json()["message"]
    assert ObservationRecord.objects.get(pk=record.pk).anchor_recorded is False
    # At or after check-in is accepted.
    r = api_as(nurse).post(
        f"charting/observations/{record.pk}/anchor", {"at": "2026-03-09T08:55:00-04:00"}
    )
    assert r.status_code == 200, r.json()


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({**ESK, "dose_mg": "84"}, "dose_mg"),
        ({**ESK, "devices": "3"}, "devices"),
        ({**ESK, "dose_mg": 28, "devices": True}, "devices"),
        ({**ESK, "devices": 3.0}, "devices"),
        ({**ESK, "first_device_at": 1773062100}, "first_device_at"),
    ],
)
def test_parameter_values_are_strict(api_as, nurse, site, esk, values, field):
    # Values of another type were converted: "84" was 84, true was 1 device, and a number was
    # read as a Unix timestamp.
    session = _started(esk[1], site)
    r = api_as(nurse).put(f"charting/sessions/{session.pk}/parameters", {"values": values})
    assert (r.status_code, r.json()["code"]) == (422, "invalid_parameters"), r.json()
    assert field in r.json()["message"]
    assert not TreatmentParameters.objects.exists()


def test_parameter_times_are_answered_in_utc(api_as, nurse, site, esk):
    session = _started(esk[1], site)
    r = api_as(nurse).put(f"charting/sessions/{session.pk}/parameters", {"values": ESK})
    assert r.status_code == 200
    assert r.json()["values"]["first_device_at"] == "2026-03-09T13:15:00Z"
