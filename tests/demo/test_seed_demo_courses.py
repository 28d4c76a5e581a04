"""The demo shows the product: seed_demo creates courses at every stage relative to today, so
a newcomer's day board has something on it, and re-running it is safe."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.core.management import call_command

from charting.models import Alert, ObservationRecord
from scheduling.models import Course, ResourceHold, Session

NY = ZoneInfo("America/New_York")
# Wednesday 11 March 2026, 10:30 in New York: the demo day is today.
WEDNESDAY = dt.datetime(2026, 3, 11, 10, 30, tzinfo=NY)
# Saturday 14 March 2026: closed, so the demo day is Friday the 13th.
SATURDAY = dt.datetime(2026, 3, 14, 11, 0, tzinfo=NY)


@pytest.fixture
def library(db):
    call_command("load_protocols", stdout=StringIO())
    call_command("load_form_templates", stdout=StringIO())


def seed() -> str:
    out = StringIO()
    call_command("seed_demo", force=True, stdout=out, stderr=StringIO())
    return out.getvalue()


def course(mrn: str) -> Course:
    return Course.objects.select_related("protocol").get(patient__mrn=mrn)


def local_day(when: dt.datetime) -> dt.date:
    return when.astimezone(NY).date()


def test_the_demo_has_courses_at_every_stage_relative_to_today(library, time_machine):
    time_machine.move_to(WEDNESDAY, tick=False)
    output = seed()
    today = WEDNESDAY.date()
    assert "Demo courses for Wednesday 11 March 2026: 4 created" in output

    tms = course("RIP-0006")
    assert tms.protocol.slug == "tms-10hz-standard"
    past = tms.sessions.filter(start__lt=WEDNESDAY.replace(hour=0, minute=0))
    assert past.count() >= 10
    assert set(past.values_list("status", flat=True)) == {Session.Status.COMPLETED}
    assert tms.sessions.filter(status=Session.Status.SCHEDULED, start__gte=WEDNESDAY).exists()
    # The site models TMS devices, so every TMS session holds one as well as a chair.
    for session in tms.sessions.all()[:5]:
        kinds = set(
            ResourceHold.objects.filter(session=session).values_list("resource__kind", flat=True)
        )
        assert kinds == {"tms_chair", "tms_device"}

    esk = course("RIP-0001")
    dosed = esk.sessions.get(status=Session.Status.IN_PROGRESS)
    assert local_day(dosed.start) == today
    record = ObservationRecord.objects.get(session=dosed)
    assert record.status == ObservationRecord.Status.OPEN
    assert record.anchor_recorded
    waiting = Alert.objects.filter(session=dosed, acknowledged_at__isnull=True)
    assert waiting.exists()

    ect = course("RIP-0003")
    assert ect.protocol.slug == "ect-acute"
    first = ect.sessions.order_by("start").first()
    assert first is not None
    assert local_day(first.start) > today
    assert ect.screenings.filter(level="course").exists()

    itbs = course("RIP-0004")
    no_show = itbs.sessions.get(status=Session.Status.NO_SHOW)
    assert local_day(no_show.start) == today


def test_on_a_closed_day_the_demo_day_is_the_last_open_one(library, time_machine):
    time_machine.move_to(SATURDAY, tick=False)
    assert "Demo courses for Friday 13 March 2026" in seed()
    dosed = course("RIP-0001").sessions.get(status=Session.Status.IN_PROGRESS)
    assert local_day(dosed.start) == dt.date(2026, 3, 13)


def test_running_the_demo_again_changes_nothing(library, time_machine):
    time_machine.move_to(WEDNESDAY, tick=False)
    seed()
    models = [m for m in apps.get_models() if m._meta.app_label in ("scheduling", "charting")]
    before = {m.__name__: m._default_manager.count() for m in models}
    time_machine.move_to(WEDNESDAY + dt.timedelta(days=1), tick=False)
    assert "0 created, 4 already there" in seed()
    assert {m.__name__: m._default_manager.count() for m in models} == before


def test_without_the_protocol_library_the_demo_says_what_to_run(db):
    assert "run load_protocols and load_form_templates first" in seed()
