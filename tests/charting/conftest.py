"""Charting fixtures: built-in templates loaded, one course and first session per modality."""

from __future__ import annotations

import datetime as dt

import pytest

from charting.form_templates import template_load_library
from tests.support.clock import local
from tests.support.factories import make_course, make_session


@pytest.fixture(autouse=True)
def templates(request):
    """Load the built-in templates for tests that use the database (pure tests need none)."""
    if "db" in request.fixturenames:
        request.getfixturevalue("db")
        return template_load_library()
    return None


@pytest.fixture
def t0(site) -> dt.datetime:
    """The first session's booked start: Monday 9 March 2026, 09:00 in New York (EDT)."""
    return local(site, "2026-03-09", "09:00")


def _course_and_session(patient, scheduler, t0, modality):
    course = make_course(patient=patient, modality=modality, booked_by=scheduler)
    return course, make_session(course=course, start=t0)


@pytest.fixture
def tms(patient, scheduler, t0):
    return _course_and_session(patient, scheduler, t0, "tms")


@pytest.fixture
def ect(patient, scheduler, t0):
    return _course_and_session(patient, scheduler, t0, "ect")


@pytest.fixture
def esk(patient, scheduler, t0):
    return _course_and_session(patient, scheduler, t0, "esketamine")
