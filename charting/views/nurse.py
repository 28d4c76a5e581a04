"""Nurse pages, tablet first: today's sessions with what each needs next, and the screening
checklists (course and session). The services decide; a refusal is shown as their message.

What each session needs next works on what charting/selectors/queues.py `nurse_day` loaded (no
queries): the screening and observation state in the words a nurse acts on ("Session screen
due", "Next checkpoint in 12 min", "Discharge available at 11:40"). The rules themselves stay in
the services and gates; this only reads their records.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from charting.discharge import discharge_earliest, observation_sign_problem
from charting.error_codes import ERR_ANCHOR_NOT_RECORDED, ERR_TOO_EARLY_TO_SIGN
from charting.form_templates import template_current
from charting.models import FormTemplate, ObservationRecord, ScreeningResponse
from charting.screening import course_screening_submit, session_screening_submit
from charting.selectors import queues
from charting.views.forms import answers_form, answers_from
from clinic import clock
from clinic.clock import ceil_minute
from clinic.display_text import overdue_text
from clinic.errors import DomainError
from clinic.pages import BOOKING, CLINICAL, can, page_errors, pick_site, require, user_sites
from clinic.permissions import acting_user
from clinic.submissions import KEY_FIELD, submit_once
from scheduling.models import Course, Session
from scheduling.selectors import course_for_reader, session_for_reader
from scheduling.session_flags import session_flags

S = Session.Status
Kind = Literal["todo", "wait", "info", "done", "late"]


@dataclass(frozen=True)
class Step:
    text: str
    kind: Kind
    link: str = ""  # "course_screening" | "session_screening" | "observation"


@dataclass
class NurseRow:
    session: Session
    start: dt.datetime
    end: dt.datetime
    steps: list[Step] = field(default_factory=list)


def _screen(screening: ScreeningResponse | None, what: str, link: str) -> Step | None:
    if screening is None:
        return Step(f"{what} due", "todo", link)
    if screening.status == "hard_stop":
        return Step(f"{what}: hard stop, waiting for a clinician", "wait", link)
    if screening.status == "needs_review":
        return Step(f"{what}: waiting for clinician review", "wait", link)
    return None


def _observing(record: ObservationRecord, now: dt.datetime, zone: dt.tzinfo) -> list[Step]:
    spec = record.template.parsed
    if record.status == ObservationRecord.Status.SIGNED:
        signed = record.signed_at.astimezone(zone) if record.signed_at else None
        return [Step(f"Signed out at {signed:%H:%M}; complete the session", "done", "observation")]
    steps: list[Step] = []
    if spec.anchor == "dose" and not record.anchor_recorded:
        steps.append(Step("Record the dose time", "todo", "observation"))
    recorded = {e.checkpoint_id for e in record.entries.all()}
    for cp in sorted(record.checkpoints.all(), key=lambda c: c.position):
        if cp.pk in recorded or not cp.required:
            continue
        if cp.due_at >= now:
            wait = overdue_text((cp.due_at - now).total_seconds())
            steps.append(Step(f"Next checkpoint: {cp.label} {wait}", "todo", "observation"))
        else:
            late = overdue_text((cp.due_at - now).total_seconds())
            steps.append(Step(f"{cp.label}: {late}", "late", "observation"))
        break
    # The sign-off service's own predicate: this list never says "can be signed" while the
    # service would refuse (no post-dose values yet, a severe alert open, ...).
    problem = observation_sign_problem(record, now=now)
    if problem is None:
        steps.append(Step("Discharge can be signed", "todo", "observation"))
    elif problem.code == ERR_TOO_EARLY_TO_SIGN:
        # Rounded up, as refusals name times: 10:40 for 10:40:30 would still be refused.
        earliest = ceil_minute(discharge_earliest(record)).astimezone(zone)
        steps.append(Step(f"Discharge available at {earliest:%H:%M}", "info", "observation"))
    elif problem.code != ERR_ANCHOR_NOT_RECORDED:  # already the first step above
        steps.append(Step(f"Discharge not yet: {problem.message}", "wait", "observation"))
    return steps


def session_steps(
    session: Session,
    *,
    course_screening: ScreeningResponse | None,
    session_screening: ScreeningResponse | None,
    record: ObservationRecord | None,
    now: dt.datetime,
    zone: dt.tzinfo,
) -> list[Step]:
    """The next things to do for one session, most urgent first."""
    if session.status in Session.INACTIVE:
        return [Step(session.get_status_display(), "info")]
    if session.status == S.COMPLETED:
        return [Step("Completed", "done")]
    forms = session.course.protocol.parsed.forms
    if session.status in (S.SCHEDULED, S.CHECKED_IN):
        steps = []
        if forms.course_screening:
            step = _screen(course_screening, "Course screen", "course_screening")
            if step:
                steps.append(step)
        if forms.session_screening:
            step = _screen(session_screening, "Session screen", "session_screening")
            if step:
                steps.append(step)
        if not steps:
            ready = "Check in" if session.status == S.SCHEDULED else "Ready to start"
            steps.append(Step(ready, "todo"))
        return steps
    if record is None:
        return [Step(session.get_status_display(), "info")]
    return _observing(record, now, zone)


def nurse_rows(day: queues.NurseDay, *, now: dt.datetime) -> list[NurseRow]:
    zone = day.site.zone
    rows = []
    for s in day.sessions:
        rows.append(
            NurseRow(
                session=s,
                start=s.start.astimezone(zone),
                end=s.end.astimezone(zone),
                steps=session_steps(
                    s,
                    course_screening=day.course_screenings.get(s.course_id),
                    session_screening=day.session_screenings.get(s.pk),
                    record=day.records.get(s.pk),
                    now=now,
                    zone=zone,
                ),
            )
        )
    return rows


@login_required
@page_errors
def nurse_day(request: HttpRequest) -> HttpResponse:
    """`/nurse/?site=<id>&date=YYYY-MM-DD`: the day's sessions in time order."""
    require(request.user, *CLINICAL, action="see the nursing list")
    sites = user_sites(acting_user(request))
    site = pick_site(request, sites)
    now = clock.now()
    raw = request.GET.get("date")
    try:
        day = dt.date.fromisoformat(raw) if raw else now.astimezone(site.zone).date()
    except ValueError as exc:
        raise BadRequest("date: use the form 2026-12-01") from exc
    loaded = queues.nurse_day(user=acting_user(request), site=site, day=day)
    return render(
        request,
        "charting/nurse_day.html",
        {
            "site": site,
            "sites": sites,
            "day": day,
            "today": now.astimezone(site.zone).date(),
            "now": now,
            "rows": nurse_rows(loaded, now=now),
            "flags": session_flags(site=site, first=day, last=day),
            "can_book": can(request.user, *BOOKING),
        },
    )


def _screening_page(
    request: HttpRequest,
    *,
    course: Course,
    session: Session | None,
    slug: str | None,
    existing: ScreeningResponse | None,
) -> HttpResponse:
    site = course.site
    context: dict[str, object] = {
        "course": course,
        "session": session,
        "site": site,
        "patient": course.patient,
        "screening": existing,
    }
    if slug is None:
        context["no_form"] = True
        return render(request, "charting/screening.html", context)
    template: FormTemplate = existing.template if existing else template_current(slug)
    spec = template.parsed
    context["spec"] = spec
    if existing is not None:
        context["answers"] = [(f, existing.answers.get(f.key)) for f in spec.fields]
        return render(request, "charting/screening.html", context)
    data = request.POST if request.method == "POST" else None
    form = answers_form(spec.fields, require=True, data=data)
    context["form"] = form
    status = 200
    if data is not None and form.is_valid():
        answers = answers_from(form, spec.fields)
        now = clock.now()
        try:
            if session is not None:
                ran, done = submit_once(
                    key=request.POST.get(KEY_FIELD),
                    user=acting_user(request),
                    change=lambda: session_screening_submit(
                        session=session, answers=answers, by=acting_user(request), now=now
                    ),
                )
            else:
                ran, done = submit_once(
                    key=request.POST.get(KEY_FIELD),
                    user=acting_user(request),
                    change=lambda: course_screening_submit(
                        course=course, answers=answers, by=acting_user(request), now=now
                    ),
                )
        except DomainError as exc:
            context["error"] = exc.message
            status = exc.status
        else:
            if not ran:
                messages.info(request, "Already recorded: the checklist was sent twice.")
            elif done is not None and done.hard_stops:
                messages.error(
                    request,
                    "Hard stop recorded: treatment is blocked until a clinician overrides it "
                    "with a reason.",
                )
            elif done is not None and done.review_items:
                messages.warning(request, "Recorded. Flagged items wait for a clinician's review.")
            else:
                messages.success(request, "Checklist recorded: nothing flagged.")
            return HttpResponseRedirect(request.path)
    elif data is not None:
        status = 422
    return render(request, "charting/screening.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
@page_errors
def session_screening(request: HttpRequest, session_id: int) -> HttpResponse:
    require(request.user, *CLINICAL, action="complete screenings")
    session = session_for_reader(user=acting_user(request), session_id=session_id)
    existing = (
        ScreeningResponse.objects.select_related("template", "override_by", "reviewed_by")
        .filter(session=session, level=ScreeningResponse.Level.SESSION)
        .first()
    )
    return _screening_page(
        request,
        course=session.course,
        session=session,
        slug=session.course.protocol.parsed.forms.session_screening,
        existing=existing,
    )


@login_required
@require_http_methods(["GET", "POST"])
@page_errors
def course_screening(request: HttpRequest, course_id: int) -> HttpResponse:
    require(request.user, *CLINICAL, action="complete screenings")
    course = course_for_reader(user=acting_user(request), course_id=course_id)
    existing = (
        ScreeningResponse.objects.select_related("template", "override_by", "reviewed_by")
        .filter(course=course, level=ScreeningResponse.Level.COURSE)
        .first()
    )
    return _screening_page(
        request,
        course=course,
        session=None,
        slug=course.protocol.parsed.forms.course_screening,
        existing=existing,
    )
