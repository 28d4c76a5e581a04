"""The patient's own pages under their link (`/p/<token>/reports/`): questionnaires one question
per screen (works without script, resumable: every answer is saved as it is given), the daily
check-in, their own progress chart and a CSV of their answers.

The token is the authority, as on the rest of the patient link
(scheduling/views/patient_link.py): a token that is not a live patient link, or a course that
is not theirs, is the same plain 404.
A PHQ-9 item 9 answer above 0 is saved, the urgent alert raised and committed
(charting/self_report.py), and only then is the next screen rendered, with the site's crisis
resources at the top: the patient sees them at once, on the response to that very answer.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from charting import scoring
from charting.daily_checkin import daily_checkin_save
from charting.models import Alert, DailyCheckIn, SelfReport
from charting.patient_link import (
    PatientLink,
    crisis_out,
    current_course,
    patient_course,
    patient_course_overview,
    patient_csv_text,
    patient_link_resolve,
)
from charting.selectors.patient_reports import course_trajectory, site_patient_settings
from charting.self_report import self_report_answer, self_report_submit
from charting.trajectory import mood_svg, series_svg
from clinic.errors import DomainError, NotFound
from scheduling.models import Course
from scheduling.views.patient_link import PRIVATE_HEADERS, patient_page_policy

OPEN_STATES = ("due", "in_progress")


def _not_found() -> HttpResponse:
    response = HttpResponse(b"Not found.\n", status=404, content_type="text/plain; charset=utf-8")
    for name, value in PRIVATE_HEADERS.items():
        response[name] = value
    return response


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-store"
    patient_page_policy(response)
    for name, value in PRIVATE_HEADERS.items():
        response[name] = value
    # "same-origin", not "no-referrer": under no-referrer a browser sends `Origin: null` with
    # these forms' POSTs and Django's CSRF check refuses them. same-origin still never sends
    # the token-bearing URL to another site.
    response["Referrer-Policy"] = "same-origin"
    return response


def _page(
    request: HttpRequest,
    template: str,
    course: Course | None,
    token: str,
    status: int = 200,
    **context: Any,
) -> HttpResponse:
    crisis = crisis_out(site_patient_settings(site=course.site)) if course is not None else {}
    context = {"token": token, "course": course, "crisis": crisis, **context}
    return _private(render(request, template, context, status=status))


def _link(token: str) -> PatientLink | None:
    return patient_link_resolve(token)


def _course(link: PatientLink, course_id: int) -> Course | None:
    try:
        return patient_course(patient=link.patient, course_id=course_id)
    except NotFound:
        return None


def _questionnaire(course: Course, scale: str, session_number: int) -> dict[str, Any] | None:
    overview = patient_course_overview(course=course)
    for q in overview["questionnaires"]:
        if q["scale"] == scale and q["session_number"] == session_number:
            return q
    return None


def _short(definition: scoring.ScaleDef) -> str:
    return definition.title.split(" (")[0]


@require_http_methods(["GET", "HEAD"])
def reports_home(request: HttpRequest, token: str) -> HttpResponse:
    link = _link(token)
    if link is None:
        return _not_found()
    course = current_course(patient=link.patient)
    if course is None:
        return _page(request, "patient/reports/home.html", None, token)
    overview = patient_course_overview(course=course)
    due = [q for q in overview["questionnaires"] if q["state"] in OPEN_STATES]
    upcoming = [q for q in overview["questionnaires"] if q["state"] == "upcoming"]
    trajectory = course_trajectory(course=course)
    charts = [
        {
            "title": f"{_short(scoring.get_scale(s.scale))}: your answers",
            "words": "Lower is better. A lower score means fewer symptoms.",
            "svg": series_svg(
                s,
                first=trajectory.first,
                last=trajectory.last,
                lines=False,
                note="Lower is better.",
            ),
        }
        for s in trajectory.series
        if s.rater == "self"
    ]
    mood = (
        mood_svg(trajectory.mood, first=trajectory.first, last=trajectory.last)
        if trajectory.mood
        else ""
    )
    safety_open = Alert.objects.filter(
        course=course,
        kind=Alert.Kind.SAFETY,
        self_report__isnull=False,
        acknowledged_at__isnull=True,
    ).exists()
    return _page(
        request,
        "patient/reports/home.html",
        course,
        token,
        due=due,
        next_due=upcoming[0] if upcoming else None,
        checkin_enabled=overview["checkin_enabled"],
        today_checkin=overview["today_checkin"],
        charts=charts,
        mood_svg=mood,
        safety_open=safety_open,
    )


@require_http_methods(["GET", "HEAD"])
def questionnaire_start(
    request: HttpRequest, token: str, course_id: int, scale: str, session_number: int
) -> HttpResponse:
    """Resume: the first question not answered yet, or the answers to check."""
    link = _link(token)
    course = _course(link, course_id) if link else None
    q = _questionnaire(course, scale, session_number) if course else None
    if q is None:
        return _not_found()
    for index, item in enumerate(q["items"], start=1):
        if item["key"] not in q["answers"]:
            return HttpResponseRedirect(
                reverse("patient-question", args=[token, course_id, scale, session_number, index])
            )
    return HttpResponseRedirect(
        reverse("patient-questionnaire-review", args=[token, course_id, scale, session_number])
    )


@require_http_methods(["GET", "HEAD", "POST"])
def question(
    request: HttpRequest,
    token: str,
    course_id: int,
    scale: str,
    session_number: int,
    number: int,
) -> HttpResponse:
    link = _link(token)
    course = _course(link, course_id) if link else None
    q = _questionnaire(course, scale, session_number) if course else None
    if course is None or q is None or not 1 <= number <= len(q["items"]):
        return _not_found()
    definition = scoring.get_scale(scale)
    item = definition.items[number - 1]
    error = ""
    status = 200
    if request.method == "POST":
        raw = request.POST.get("value", "")
        try:
            result = self_report_answer(
                course=course,
                scale=scale,
                session_number=session_number,
                item=item.key,
                value=int(raw) if raw.isdigit() else raw,
            )
        except DomainError as exc:
            error, status = exc.message, exc.status
        else:
            if item.key == definition.safety_item and result.report.answers.get(item.key, 0) > 0:
                # Rendered, not redirected: the crisis resources are on the response to this
                # answer, after the alert was committed.
                return _review(request, token, course, definition, session_number, crisis_now=True)
            if number < len(definition.items):
                return HttpResponseRedirect(
                    reverse(
                        "patient-question",
                        args=[token, course_id, scale, session_number, number + 1],
                    )
                )
            return HttpResponseRedirect(
                reverse(
                    "patient-questionnaire-review", args=[token, course_id, scale, session_number]
                )
            )
    return _page(
        request,
        "patient/reports/question.html",
        course,
        token,
        status=status,
        scale=definition,
        short_title=_short(definition),
        item=item,
        number=number,
        count=len(definition.items),
        session_number=session_number,
        choices=list(enumerate(definition.answer_labels)),
        current=q["answers"].get(item.key),
        error=error,
    )


def _review(
    request: HttpRequest,
    token: str,
    course: Course,
    definition: scoring.ScaleDef,
    session_number: int,
    *,
    crisis_now: bool = False,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    report = SelfReport.objects.filter(
        course=course, scale=definition.name, session_number=session_number
    ).first()
    answers = report.answers if report else {}
    rows = [
        {
            "number": index,
            "text": item.text,
            "label": definition.answer_labels[answers[item.key]] if item.key in answers else "",
        }
        for index, item in enumerate(definition.items, start=1)
    ]
    submitted = report is not None and report.status == SelfReport.Status.SUBMITTED
    administration = report.administration if report is not None else None
    total = administration.total if submitted and administration is not None else None
    return _page(
        request,
        "patient/reports/review.html",
        course,
        token,
        status=status,
        scale=definition,
        session_number=session_number,
        rows=rows,
        submitted=submitted,
        total=total,
        safety=crisis_now or bool(report and report.safety_positive),
        error=error,
    )


@require_http_methods(["GET", "HEAD", "POST"])
def questionnaire_review(
    request: HttpRequest, token: str, course_id: int, scale: str, session_number: int
) -> HttpResponse:
    link = _link(token)
    course = _course(link, course_id) if link else None
    if course is None:
        return _not_found()
    report = SelfReport.objects.filter(
        course=course, scale=scale, session_number=session_number
    ).first()
    if _questionnaire(course, scale, session_number) is None and report is None:
        return _not_found()
    definition = scoring.get_scale(scale)
    if request.method == "POST":
        try:
            self_report_submit(course=course, scale=scale, session_number=session_number)
        except DomainError as exc:
            return _review(
                request,
                token,
                course,
                definition,
                session_number,
                error=exc.message,
                status=exc.status,
            )
    return _review(request, token, course, definition, session_number)


@require_http_methods(["GET", "HEAD", "POST"])
def checkin(request: HttpRequest, token: str, course_id: int) -> HttpResponse:
    link = _link(token)
    course = _course(link, course_id) if link else None
    if course is None:
        return _not_found()
    overview = patient_course_overview(course=course)
    if not overview["checkin_enabled"]:
        return _not_found()
    today = overview["today_checkin"] or {}
    values: dict[str, Any] = {
        "mood": today.get("mood"),
        "sleep_hours": today.get("sleep_hours"),
        "note": today.get("note", ""),
    }
    effects_today = dict(today.get("side_effects") or {})
    error, status, saved, severe = "", 200, False, False
    if request.method == "POST":
        effects_in = {
            e.key: request.POST.get(f"fx-{e.key}", "none")
            for e in course.protocol.parsed.checkin_side_effects
        }
        mood_raw = request.POST.get("mood", "")
        values = {
            "mood": int(mood_raw) if mood_raw.isdigit() else None,
            "sleep_hours": request.POST.get("sleep_hours", ""),
            "note": request.POST.get("note", ""),
        }
        effects_today = {k: v for k, v in effects_in.items() if v != "none"}
        try:
            _, raised = daily_checkin_save(
                course=course,
                mood=values["mood"] if values["mood"] is not None else mood_raw,
                sleep_hours=values["sleep_hours"] or "x",
                side_effects=effects_in,
                note=values["note"],
            )
        except DomainError as exc:
            error, status = exc.message, exc.status
        else:
            saved = True
            severe = bool(raised) or DailyCheckIn.Severity.SEVERE in effects_today.values()
    effects = [
        {"key": e.key, "label": e.label, "value": effects_today.get(e.key, "none")}
        for e in course.protocol.parsed.checkin_side_effects
    ]
    severities = [("none", "None"), *[(c.value, c.label) for c in DailyCheckIn.Severity]]
    return _page(
        request,
        "patient/reports/checkin.html",
        course,
        token,
        status=status,
        values=values,
        effects=effects,
        severities=severities,
        moods=range(11),
        error=error,
        saved=saved,
        severe=severe,
    )


@require_http_methods(["GET", "HEAD"])
def export(request: HttpRequest, token: str, course_id: int) -> HttpResponse:
    link = _link(token)
    course = _course(link, course_id) if link else None
    if course is None:
        return _not_found()
    response = HttpResponse(patient_csv_text(course=course), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="my-answers-{course.pk}.csv"'
    response["Cache-Control"] = "private, no-store"
    for name, value in PRIVATE_HEADERS.items():
        response[name] = value
    return response
