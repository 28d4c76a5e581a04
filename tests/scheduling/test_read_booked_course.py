"""The read endpoints over a course booked by the real booking service (not hand-made rows)."""

import datetime as dt

import time_machine

from scheduling.enrolment import course_enrol
from tests.support.factories import make_protocol

NOW = dt.datetime(2026, 2, 27, 15, 0, tzinfo=dt.UTC)  # the Friday before the course starts


def test_a_booked_course_shows_on_the_detail_board_and_availability(
    site, scheduler, nurse, patient, api_as
):
    course = course_enrol(
        patient=patient,
        protocol=make_protocol(),
        site=site,
        start_date=dt.date(2026, 3, 2),
        preferred_time=dt.time(9, 0),
        by=scheduler,
        now=NOW,
    ).course
    client = api_as(nurse)

    detail = client.get(f"courses/{course.pk}").json()
    first = detail["sessions"][0]
    chair = first["holds"][0]["resource_name"]
    board = client.get("board", site_id=site.pk, date="2026-03-02").json()
    with time_machine.travel(NOW, tick=False):
        free = client.get(
            "availability",
            site_id=site.pk,
            kind="tms_chair",
            start="2026-03-02",
            end="2026-03-02",
            minutes=40,
            step=60,
        ).json()

    assert detail["sessions_total"] == 30
    assert [s["number"] for s in detail["sessions"]] == list(range(1, 31))
    assert first["start_local"] == "2026-03-02T09:00:00-05:00"
    assert [h["kind"] for h in first["holds"]] == ["tms_chair"]
    assert [s["id"] for s in board["sessions"]] == [first["id"]]
    assert board["sessions"][0]["patient_name"] == patient.full_name
    slots = {r["resource_name"]: [s["start_local"] for s in r["slots"]] for r in free["resources"]}
    assert "2026-03-02T09:00:00-05:00" not in slots[chair]
    assert "2026-03-02T10:00:00-05:00" in slots[chair]
    other_chair = next(name for name in slots if name != chair)
    assert "2026-03-02T09:00:00-05:00" in slots[other_chair]
