"""A course's page: the patient, the protocol, progress, and every session of the course."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from clinic.models import ROLES as READ_ROLES
from clinic.pages import page_errors, require
from clinic.permissions import acting_user
from scheduling import selectors
from scheduling.models import Session
from scheduling.views.board import session_row

S = Session.Status


@login_required
@require_GET
@page_errors
def course_detail(request: HttpRequest, course_id: int) -> HttpResponse:
    user = acting_user(request)
    require(user, *READ_ROLES, action="see the schedule")
    course = selectors.course_get(user=user, course_id=course_id)
    zone = course.site.zone
    sessions = list(course.sessions.all())
    return render(
        request,
        "scheduling/course.html",
        {
            "course": course,
            "site": course.site,
            "rows": [session_row(s, zone, frozenset()) for s in sessions],
            "sessions_total": sum(s.active for s in sessions),
            "sessions_done": sum(s.status == S.COMPLETED for s in sessions),
        },
    )
