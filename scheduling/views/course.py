"""A course's page: the patient, the protocol, progress, and every session of the course; for
the booking roles, the changes a clinician makes to a course: the prescriber (with its
history), extending it by N sessions of a phase, and discontinuing it from a date. Extend and
discontinue are previewed first (the same service as a dry run), then confirmed.

`?action=extend&phase=acute&count=5` or `?action=discontinue&reason=...` opens a form
prefilled (the early-improvement review links here with its decision)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from clinic import clock
from clinic.errors import DomainError
from clinic.models import ROLES as READ_ROLES
from clinic.pages import BOOKING, can, page_errors, require
from clinic.permissions import acting_user
from clinic.submissions import KEY_FIELD, submit_once
from scheduling import selectors
from scheduling.course_changes import (
    EXTEND_MAX,
    course_extend,
    course_prescriber_set,
    prescriber_history,
    site_clinicians,
)
from scheduling.courses import course_discontinue
from scheduling.models import Course, Session
from scheduling.views.board import session_row

S = Session.Status
ACTIONS = ("prescriber", "extend", "discontinue")


class PrescriberForm(forms.Form):
    prescriber: forms.ModelChoiceField[User] = forms.ModelChoiceField(
        queryset=User.objects.none(), label="Prescriber"
    )
    reason = forms.CharField(
        label="Reason for the change (optional)", max_length=100, required=False
    )

    def __init__(self, *args: Any, course: Course, **kwargs: Any):
        kwargs.setdefault("auto_id", "prescriber-%s")
        super().__init__(*args, **kwargs)
        field = self.fields["prescriber"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = site_clinicians(course.site_id)
        field.label_from_instance = lambda u: u.get_full_name() or u.get_username()  # type: ignore[method-assign,assignment]


class ExtendForm(forms.Form):
    phase = forms.ChoiceField(label="Phase")
    count = forms.IntegerField(label="Sessions to add", min_value=1, max_value=EXTEND_MAX)

    def __init__(self, *args: Any, course: Course, **kwargs: Any):
        kwargs.setdefault("auto_id", "extend-%s")
        super().__init__(*args, **kwargs)
        field = self.fields["phase"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(p.name, p.name) for p in course.protocol.parsed.phases]


class DiscontinueForm(forms.Form):
    reason = forms.CharField(label="Reason for discontinuing", max_length=300)
    effective = forms.DateField(
        label="Effective from (sessions on and after this day are cancelled)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )


def _forms(
    course: Course, data: Any = None, action: str = "", initial: Any = None
) -> dict[str, Any]:
    def pick(name: str) -> tuple[Any, Any]:
        return (data, None) if action == name else (None, initial if initial else None)

    today = clock.now().astimezone(course.site.zone).date()
    d_data, d_init = pick("discontinue")
    e_data, e_init = pick("extend")
    p_data, _ = pick("prescriber")
    return {
        "prescriber_form": PrescriberForm(
            p_data, course=course, initial={"prescriber": course.prescriber_id}
        ),
        "extend_form": ExtendForm(e_data, course=course, initial=e_init),
        "discontinue_form": DiscontinueForm(d_data, initial={"effective": today, **(d_init or {})}),
    }


def _render(request: HttpRequest, course: Course, status: int = 200, **extra: Any) -> HttpResponse:
    zone = course.site.zone
    sessions = list(course.sessions.all())
    open_course = course.status not in (Course.Status.COMPLETED, Course.Status.DISCONTINUED)
    context: dict[str, Any] = {
        "course": course,
        "site": course.site,
        "rows": [session_row(s, zone, frozenset()) for s in sessions],
        "sessions_total": sum(s.active for s in sessions),
        "sessions_done": sum(s.status == S.COMPLETED for s in sessions),
        "can_change": can(request.user, *BOOKING),
        "open_course": open_course,
        "prescriber_changes": prescriber_history(course),
        **extra,
    }
    if context["can_change"] and "prescriber_form" not in context:
        context.update(_forms(course, initial=_prefill(request, course)))
        context.setdefault("action", request.GET.get("action", ""))
    return render(request, "scheduling/course.html", context, status=status)


def _prefill(request: HttpRequest, course: Course) -> dict[str, Any]:
    action = request.GET.get("action")
    if action == "extend":
        out: dict[str, Any] = {"phase": request.GET.get("phase", "")}
        if request.GET.get("count", "").isdigit():
            out["count"] = int(request.GET["count"])
        return out
    if action == "discontinue":
        return {"reason": request.GET.get("reason", "")[:300]}
    return {}


@login_required
@require_GET
@page_errors
def course_detail(request: HttpRequest, course_id: int) -> HttpResponse:
    user = acting_user(request)
    require(user, *READ_ROLES, action="see the schedule")
    return _render(request, selectors.course_get(user=user, course_id=course_id))


def _rows(sessions: list[Session], zone: Any) -> list[dict[str, Any]]:
    return [
        {
            "number": s.number,
            "phase": s.phase,
            "start": s.start.astimezone(zone),
            "end": s.end.astimezone(zone),
        }
        for s in sessions
    ]


@login_required
@require_POST
@page_errors
def course_change(request: HttpRequest, course_id: int, action: str) -> HttpResponse:
    """POST prescriber|extend|discontinue: extend and discontinue without `confirm` are a dry
    run listing what would happen; with it, the change itself (once per form key)."""
    if action not in ACTIONS:
        raise Http404("No such change.")
    require(request.user, *BOOKING, action="change a course")
    by = acting_user(request)
    course = selectors.course_get(user=by, course_id=course_id)
    zone = course.site.zone
    bound = _forms(course, request.POST, action)
    form = bound[f"{action}_form"]
    extra: dict[str, Any] = {**bound, "action": action}
    if not form.is_valid():
        return _render(request, course, 422, **extra)
    data = form.cleaned_data
    now = clock.now()
    change: Callable[[bool], Any]
    if action == "prescriber":

        def change(dry_run: bool) -> Any:
            return course_prescriber_set(
                course_id=course.pk,
                prescriber_id=data["prescriber"].pk,
                by=by,
                reason=data["reason"],
            )

        done = "Prescriber changed."
    elif action == "extend":

        def change(dry_run: bool) -> Any:
            return course_extend(
                course_id=course.pk,
                phase=data["phase"],
                count=data["count"],
                by=by,
                dry_run=dry_run,
                now=now,
            )

        done = f"Added {data['count']} {data['phase']} session(s)."
    else:

        def change(dry_run: bool) -> Any:
            return course_discontinue(
                course_id=course.pk,
                reason=data["reason"],
                effective=data["effective"],
                by=by,
                dry_run=dry_run,
                now=now,
            )

        done = "Course discontinued."
    try:
        if action != "prescriber" and not request.POST.get("confirm"):
            preview = change(True)
            extra["preview"] = _preview(course, action, preview, zone, data)
            return _render(request, course, **extra)
        ran, _ = submit_once(key=request.POST.get(KEY_FIELD), user=by, change=lambda: change(False))
    except DomainError as exc:
        return _render(request, course, exc.status, error=exc.message, **extra)
    if ran:
        messages.success(request, done)
    else:
        messages.info(request, "Already done: the form was sent twice.")
    return HttpResponseRedirect(reverse("course-detail", args=[course.pk]))


def _preview(course: Course, action: str, result: Any, zone: Any, data: Any) -> dict[str, Any]:
    if action == "extend":
        return {"added": _rows(result.added, zone)}
    cancelled = {s.pk for s in result.cancelled}
    kept = [
        s
        for s in course.sessions.all()
        if s.active and s.status != S.COMPLETED and s.pk not in cancelled
    ]
    return {"cancelled": _rows(result.cancelled, zone), "kept": _rows(kept, zone)}
