"""Nurse pages, tablet first: today's sessions with what each needs next, and the screening
checklists (course and session). The services decide; a refusal is shown as their message."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from charting import selectors
from charting.form_templates import template_current
from charting.forms import answers_form, answers_from
from charting.models import FormTemplate, ScreeningResponse
from charting.nurse_day import nurse_rows
from charting.screening import course_screening_submit, session_screening_submit
from clinic import clock
from clinic.errors import DomainError
from clinic.pages import BOOKING, CLINICAL, can, page_errors, pick_site, require, user_sites
from clinic.permissions import acting_user
from clinic.submissions import KEY_FIELD, submit_once
from scheduling.models import Course, Session
from scheduling.session_flags import session_flags


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
    loaded = selectors.nurse_day(user=acting_user(request), site=site, day=day)
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
    session = selectors.session_for_chart(user=acting_user(request), session_id=session_id)
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
    course = selectors.course_for_chart(user=acting_user(request), course_id=course_id)
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
