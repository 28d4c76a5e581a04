"""Clinician pages: the alerts queue (acknowledge with a note), screening hard-stop overrides
and reviews, treatment parameters, and outcome scales with the course's outcome chart."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from charting import parameters as params_mod
from charting import scoring
from charting.alerts import alert_acknowledge
from charting.models import ScreeningResponse, TreatmentParameters
from charting.outcome_chart import outcome_chart
from charting.outcomes import scale_baseline_mark, scale_record
from charting.patient_link import crisis_out
from charting.screening import screening_override, screening_review
from charting.selectors.chart import alert_for_reader, screening_for_reader
from charting.selectors.patient_reports import (
    course_outcomes,
    course_scale_get,
    open_safety_alerts,
    site_patient_settings,
)
from charting.selectors.queues import alert_queue, early_review_list
from charting.treatment import parameters_record
from charting.views.forms import (
    BaselineForm,
    NoteForm,
    ReasonForm,
    as_aware,
    local_input,
    parameters_form,
    parameters_values,
    scale_form,
)
from charting.views.review import between_sessions
from clinic import clock
from clinic.errors import DomainError
from clinic.models import ROLE_CLINICIAN
from clinic.pages import CLINICAL, page_errors, require, safe_next
from clinic.permissions import acting_user, user_roles
from clinic.submissions import KEY_FIELD, submit_once
from scheduling.selectors import course_for_reader, session_for_reader


def _once(request: HttpRequest, change: Callable[[], Any], done: str) -> bool:
    """Run a change once per form key; a refusal becomes an error message."""
    try:
        ran, _ = submit_once(
            key=request.POST.get(KEY_FIELD), user=acting_user(request), change=change
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return False
    messages.success(request, done if ran else "Already recorded: the form was sent twice.")
    return True


@login_required
@require_GET
@page_errors
def alerts(request: HttpRequest) -> HttpResponse:
    require(request.user, ROLE_CLINICIAN, action="see the alerts queue")
    now = clock.now()
    queue = alert_queue(user=acting_user(request), now=now)
    reviews = early_review_list(user=acting_user(request), open_only=True)
    return render(request, "charting/alerts.html", {"queue": queue, "now": now, "reviews": reviews})


@login_required
@require_POST
@page_errors
def alert_ack(request: HttpRequest, alert_id: int) -> HttpResponse:
    require(request.user, ROLE_CLINICIAN, action="acknowledge alerts")
    alert = alert_for_reader(user=acting_user(request), alert_id=alert_id)
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    now = clock.now()
    _once(
        request,
        lambda: alert_acknowledge(alert=alert, note=note, by=acting_user(request), now=now),
        f"Alert acknowledged: {alert.message}",
    )
    return HttpResponseRedirect(safe_next(request, reverse("alerts")))


def _screening(request: HttpRequest, screening_id: int) -> ScreeningResponse:
    require(request.user, ROLE_CLINICIAN, action="clear screenings")
    return screening_for_reader(user=acting_user(request), screening_id=screening_id)


@login_required
@require_POST
@page_errors
def screening_override_view(request: HttpRequest, screening_id: int) -> HttpResponse:
    screening = _screening(request, screening_id)
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else request.POST.get("reason", "")
    now = clock.now()
    _once(
        request,
        lambda: screening_override(
            screening=screening, reason=reason, by=acting_user(request), now=now
        ),
        "Hard stop overridden; the reason is on the record.",
    )
    return HttpResponseRedirect(safe_next(request, reverse("alerts")))


@login_required
@require_POST
@page_errors
def screening_review_view(request: HttpRequest, screening_id: int) -> HttpResponse:
    screening = _screening(request, screening_id)
    form = NoteForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    now = clock.now()
    _once(
        request,
        lambda: screening_review(screening=screening, note=note, by=acting_user(request), now=now),
        "Screening reviewed.",
    )
    return HttpResponseRedirect(safe_next(request, reverse("alerts")))


@login_required
@require_http_methods(["GET", "POST"])
@page_errors
def parameters(request: HttpRequest, session_id: int) -> HttpResponse:
    require(request.user, *CLINICAL, action="record treatment parameters")
    session = session_for_reader(user=acting_user(request), session_id=session_id)
    modality = session.course.modality or session.course.protocol.modality
    model = params_mod.MODELS[modality]
    zone = session.site.zone
    existing = TreatmentParameters.objects.filter(session=session).first()
    initial: dict[str, Any] = dict(existing.values) if existing else {}
    for name, value in list(initial.items()):
        if isinstance(value, str) and name.endswith("_at"):
            initial[name] = local_input(dt.datetime.fromisoformat(value), zone)
    form = parameters_form(model, data=request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            values = parameters_values(model, form, zone)
            now = clock.now()
            if _once(
                request,
                lambda: parameters_record(
                    session=session, values=values, by=acting_user(request), now=now
                ),
                "Treatment parameters recorded.",
            ):
                return HttpResponseRedirect(request.path)
            status = 409
        else:
            status = 422
    return render(
        request,
        "charting/parameters.html",
        {
            "session": session,
            "site": session.site,
            "patient": session.patient,
            "modality": modality,
            "form": form,
            "existing": existing,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
@page_errors
def outcomes(request: HttpRequest, course_id: int) -> HttpResponse:
    """Record a rating scale and see the course's outcome chart, one per scale used."""
    require(request.user, *CLINICAL, action="see outcome scales")
    course = course_for_reader(user=acting_user(request), course_id=course_id)
    zone = course.site.zone
    name = request.GET.get("scale") or request.POST.get("scale") or "phq9"
    try:
        scale = scoring.get_scale(name)
    except scoring.ScoreError as exc:
        raise Http404(str(exc)) from exc
    now = clock.now()
    form = scale_form(
        scale,
        data=request.POST if request.method == "POST" else None,
    )
    form.initial = {"administered_at": local_input(now, zone)}
    status = 200
    if request.method == "POST":
        if form.is_valid():
            items = {i.key: form.cleaned_data[i.key] for i in scale.items}
            at = as_aware(form.cleaned_data["administered_at"], zone)
            if _once(
                request,
                lambda: scale_record(
                    course=course,
                    scale=scale.name,
                    items=items,
                    administered_at=at,
                    by=acting_user(request),
                    now=now,
                ),
                f"{scale.title}: recorded.",
            ):
                return HttpResponseRedirect(f"{request.path}?scale={scale.name}")
            status = 409
        else:
            status = 422
    charts = []
    for result, rows, series in course_outcomes(course=course):
        definition = scoring.get_scale(result.scale)
        charts.append(
            {
                "outcome": result,
                "scale": definition,
                "rows": rows,
                "chart": outcome_chart(series),
                "baseline_row": rows[result.baseline_at]
                if result.baseline_at is not None
                else None,
            }
        )
    # The same prompt at once as the patient's own answer gets (charting/safety_alerts.py).
    safety = open_safety_alerts(course=course)
    return render(
        request,
        "charting/outcomes.html",
        {
            "course": course,
            "site": course.site,
            "patient": course.patient,
            "scale": scale,
            "scales": sorted(scoring.SCALES.values(), key=lambda s: s.name),
            "form": form,
            "charts": charts,
            "between": between_sessions(course=course),
            "can_decide": ROLE_CLINICIAN in user_roles(acting_user(request)),
            "safety_alerts": safety,
            "crisis": crisis_out(site_patient_settings(site=course.site)) if safety else None,
        },
        status=status,
    )


@login_required
@require_POST
@page_errors
def outcome_baseline(request: HttpRequest, course_id: int) -> HttpResponse:
    """A clinician marks one administration as the course's baseline on its scale, with a
    reason (charting/outcomes.py `scale_baseline_mark`)."""
    require(request.user, ROLE_CLINICIAN, action="mark a baseline")
    user = acting_user(request)
    course = course_for_reader(user=user, course_id=course_id)
    form = BaselineForm(request.POST)
    url = reverse("course-outcomes", args=[course.pk])
    if not form.is_valid():
        messages.error(request, "Choose a score and say why it is the baseline.")
        return HttpResponseRedirect(url)
    row = course_scale_get(course=course, scale_id=form.cleaned_data["administration"])
    _once(
        request,
        lambda: scale_baseline_mark(
            administration=row, reason=form.cleaned_data["reason"], by=user
        ),
        f"{row.scale.upper()} of {row.administered_at.astimezone(course.site.zone):%d %b %Y} "
        "marked as the baseline.",
    )
    return HttpResponseRedirect(f"{url}?scale={row.scale}")
