"""Clinician pages for what patients report between sessions: the early-improvement review
decision and the daily check-in switch (forms on the course's outcomes page), and the
"between sessions" part of that page (charts with self-report and clinician-rated series
apart, the review point, daily mood, what is due)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from charting import scoring
from charting.early_review import early_review_decide
from charting.models import EarlyReview
from charting.patient_settings import course_checkin_set
from charting.selectors.chart import chart_course
from charting.selectors.patient_reports import (
    checkin_enabled,
    course_early_review,
    course_trajectory,
    self_report_due,
)
from charting.trajectory import mood_svg, series_svg
from clinic import clock
from clinic.errors import DomainError
from clinic.models import ROLE_CLINICIAN
from clinic.pages import CLINICAL, page_errors, require
from clinic.permissions import acting_user
from clinic.submissions import KEY_FIELD, submit_once
from scheduling.course_changes import EXTEND_MAX
from scheduling.models import Course, Session

RATER_WORDS = {"self": "Self-report (patient-rated)", "clinician": "Clinician-rated"}


def between_sessions(*, course: Course) -> dict[str, Any]:
    """Context for templates/charting/between_sessions.html."""
    trajectory = course_trajectory(course=course)
    review = course_early_review(course=course)
    charts = [
        {
            "series": s,
            "label": RATER_WORDS[s.rater],
            "title": scoring.get_scale(s.scale).title,
            "svg": series_svg(
                s, first=trajectory.first, last=trajectory.last, review=trajectory.review
            ),
            "patient_points": sum(p.source == "patient" for p in s.points),
        }
        for s in trajectory.series
    ]
    return {
        "charts": charts,
        "mood_svg": (
            mood_svg(trajectory.mood, first=trajectory.first, last=trajectory.last)
            if trajectory.mood
            else ""
        ),
        "review": review,
        "decisions": EarlyReview.Decision.choices,
        "due": self_report_due(course=course, now=clock.now()),
        "checkin_enabled": checkin_enabled(course=course),
    }


def _done(request: HttpRequest, change: Any, message: str) -> bool:
    try:
        ran, _ = submit_once(
            key=request.POST.get(KEY_FIELD), user=acting_user(request), change=change
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return False
    if ran:
        messages.success(request, message)
    return True


@login_required
@require_POST
@page_errors
def early_review_decision(request: HttpRequest, course_id: int) -> HttpResponse:
    require(request.user, ROLE_CLINICIAN, action="decide early-improvement reviews")
    course = chart_course(user=acting_user(request), course_id=course_id)
    review = course_early_review(course=course)
    if review is None:
        raise Http404("No early-improvement review for this course.")
    decision = request.POST.get("decision", "")
    recorded = _done(
        request,
        lambda: early_review_decide(
            review=review,
            decision=decision,
            note=request.POST.get("note", ""),
            by=acting_user(request),
            now=clock.now(),
        ),
        "Decision recorded.",
    )
    target = reverse("course-outcomes", args=[course.pk])
    if recorded and decision == EarlyReview.Decision.CHANGE:
        # The normal booking flow, for the same patient; this course stays as booked until
        # staff discontinue it.
        target = f"{reverse('book')}?patient={course.patient_id}"
    elif recorded and decision in (EarlyReview.Decision.EXTEND, EarlyReview.Decision.STOP):
        target = next_step_url(course, review.at_session, decision, request.POST.get("note", ""))
    return HttpResponseRedirect(target)


def next_step_url(course: Course, at_session: int, decision: str, note: str) -> str:
    """The course page's extend or discontinue form, prefilled from the review's decision:
    N more sessions (a week's worth) of the review session's phase, or discontinue with the
    note as the reason. Applied there through scheduling's services, after a preview."""
    page = reverse("course-detail", args=[course.pk])
    if decision == EarlyReview.Decision.STOP:
        reason = f"Early-improvement review: {note}".strip()[:300]
        return f"{page}?{urlencode({'action': 'discontinue', 'reason': reason})}#discontinue"
    spec = course.protocol.parsed
    name = (
        Session.objects.filter(course=course, number=at_session)
        .values_list("phase", flat=True)
        .first()
    )
    phase = next((p for p in spec.phases if p.name == name), spec.phases[-1])
    week = phase.sessions_per_week or len(phase.weekdays or ()) or 5
    count = max(1, min(week, EXTEND_MAX))
    query = urlencode({"action": "extend", "phase": phase.name, "count": count})
    return f"{page}?{query}#extend"


@login_required
@require_POST
@page_errors
def checkin_setting(request: HttpRequest, course_id: int) -> HttpResponse:
    require(request.user, *CLINICAL, action="change daily check-ins")
    course = chart_course(user=acting_user(request), course_id=course_id)
    enabled = request.POST.get("enabled") == "1"
    _done(
        request,
        lambda: course_checkin_set(course=course, enabled=enabled, by=acting_user(request)),
        f"Daily check-in {'on' if enabled else 'off'}.",
    )
    return HttpResponseRedirect(reverse("course-outcomes", args=[course.pk]))
