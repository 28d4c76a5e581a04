"""Fixtures for the staff pages: a pinned clock (settings.CLINIC_NOW), the built-in form
templates, and an esketamine and a TMS session today at Riverside."""

from __future__ import annotations

import datetime as dt

import pytest

from charting.form_templates import template_load_library
from clinic.models import Resource
from scheduling.models import ResourceHold
from tests.support.clock import local
from tests.support.factories import make_course, make_session

DAY = "2026-03-09"  # a Monday


@pytest.fixture
def now(site, settings) -> dt.datetime:
    """The pages' clock: Monday 9 March 2026, 08:30 in New York."""
    pinned = local(site, DAY, "08:30")
    settings.CLINIC_NOW = pinned
    return pinned


@pytest.fixture
def templates(db):
    return template_load_library()


def hold(session, name: str, part: str = "procedure") -> None:
    resource = Resource.objects.get(site=session.site, name=name)
    end = session.end if part == "procedure" else session.observation_end
    start = session.start if part == "procedure" else session.end
    ResourceHold.objects.create(session=session, resource=resource, part=part, start=start, end=end)


@pytest.fixture
def esk_session(templates, patient, scheduler, site, now):
    course = make_course(patient=patient, modality="esketamine", booked_by=scheduler)
    session = make_session(course=course, start=local(site, DAY, "09:00"))
    hold(session, "Spravato 1")
    hold(session, "Spravato 1", "observation")
    return session


@pytest.fixture
def tms_session(templates, scheduler, site, now):
    from tests.support.factories import make_patient

    other = make_patient(site, given="Tom", family="Coil", mrn="MRN-TMS")
    course = make_course(patient=other, modality="tms", booked_by=scheduler)
    session = make_session(course=course, start=local(site, DAY, "10:00"))
    hold(session, "TMS 1")
    return session
