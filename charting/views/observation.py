"""The nurse's observation form: the dose/procedure time, each checkpoint with its due time
and values, the discharge sign-off (enabled only when observation_sign_problem says it may be
signed, with its reason shown while not), and amendments once signed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from charting.answers import AnswersInvalid, clean_answers, flags_for
from charting.discharge import discharge_earliest, observation_sign_problem
from charting.error_codes import ERR_SEVERE_ALERT_OPEN
from charting.models import ObservationRecord
from charting.observations import (
    observation_amend,
    observation_record_values,
    observation_set_anchor,
    observation_sign,
)
from charting.recording import checkpoint_minutes_off
from charting.selectors.chart import checkpoint_next_due, observation_chart
from charting.spec import FieldType, off_window_text
from charting.values import shown_value
from charting.views.forms import (
    AnchorForm,
    ReasonForm,
    TakenAtForm,
    answers_form,
    answers_from,
    as_aware,
    local_input,
)
from clinic import clock
from clinic.errors import DomainError
from clinic.models import ROLE_CLINICIAN
from clinic.pages import CLINICAL, can, page_errors, require
from clinic.permissions import acting_user
from clinic.submissions import KEY_FIELD, submit_once
from scheduling.models import Session
from scheduling.selectors import session_for_reader


def _record(request: HttpRequest, session_id: int) -> tuple[Session, ObservationRecord | None]:
    require(request.user, *CLINICAL, action="record observations")
    session = session_for_reader(user=acting_user(request), session_id=session_id)
    record = (
        ObservationRecord.objects.select_related("template", "site", "signed_by", "cosigned_by")
        .filter(session=session)
        .first()
    )
    return session, record


def _page(
    request: HttpRequest,
    session: Session,
    record: ObservationRecord | None,
    *,
    posted: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    site = session.site
    zone = site.zone
    now = clock.now()
    context: dict[str, Any] = {"session": session, "site": site, "patient": session.patient}
    if record is None:
        return render(request, "charting/observation.html", context, status=status)
    spec = record.template.parsed
    chart = observation_chart(record)
    posted = posted or {}
    blocks = []
    signed = record.status == ObservationRecord.Status.SIGNED
    for cp in chart.checkpoints:
        cp_spec = spec.checkpoint(cp.key)
        if cp_spec is None:  # pragma: no cover - checkpoints come from this template
            continue
        entries = chart.entries.get(cp.pk, [])
        current = [e for e in entries if e.superseded_by_id is None]
        rows = []
        for f in cp_spec.fields:
            mine = [e for e in current if e.field_key == f.key]
            latest = mine[-1] if mine else None
            amended = chart.amendments.get(latest.pk) if latest else None
            original = next((e for e in entries if amended and e.pk == amended.original_id), None)
            amend_form = amend_reason = None
            prefix = f"amend-{cp.key}-{f.key}"
            if signed and latest is not None:
                amend_form = posted.get(prefix) or answers_form([f], require=True, prefix=prefix)
                amend_reason = posted.get(f"{prefix}-reason") or ReasonForm(prefix=prefix)
            rows.append(
                {
                    "field": f,
                    "entry": latest,
                    "value": shown_value(f, latest.value) if latest else "",
                    "timing": off_window_text(checkpoint_minutes_off(record, cp, latest.taken_at))
                    if latest
                    else "",
                    "amendment": amended,
                    "original": shown_value(f, original.value) if original else "",
                    "amend_form": amend_form,
                    "amend_reason": amend_reason,
                }
            )
        form = posted.get(cp.key) or answers_form(cp_spec.fields, require=False, prefix=cp.key)
        taken = posted.get(f"{cp.key}-taken") or TakenAtForm(
            prefix=f"{cp.key}-taken", initial={"taken_at": local_input(now, zone)}
        )
        # Open when this checkpoint's own form or one of its amendments came back with a refusal.
        bound = cp.key in posted or any(f"amend-{cp.key}-{f.key}" in posted for f in cp_spec.fields)
        blocks.append(
            {
                "cp": cp,
                "spec": cp_spec,
                "rows": rows,
                "form": form,
                "taken": taken,
                "flags": posted.get(f"{cp.key}-flags"),
                "recorded": bool(current),
                "due": cp.due_at.astimezone(zone),
                "bound": bound,
                "error": posted.get("error", "") if cp.key in posted else "",
                "taken_at": max(e.taken_at for e in current).astimezone(zone) if current else None,
                "summary": _summary(rows),
            }
        )
    blocks = _ordered(blocks, checkpoint_next_due(chart))
    problem = observation_sign_problem(record, now=now) if not signed else None
    context.update(
        {
            "record": record,
            "spec": spec,
            "blocks": blocks,
            "signed": signed,
            "sign_problem": problem.message if problem else "",
            # A clinician may sign over an open severe alert, with a reason (observation_sign).
            "can_cosign": problem is not None
            and problem.code == ERR_SEVERE_ALERT_OPEN
            and can(request.user, ROLE_CLINICIAN),
            "earliest": discharge_earliest(record).astimezone(zone),
            "anchor_form": posted.get("anchor")
            or AnchorForm(
                initial={
                    "at": local_input(record.anchor_at if record.anchor_recorded else now, zone)
                }
            ),
            "now": now,
            # A refusal of one checkpoint's values is shown in that checkpoint, where the page
            # is scrolled to (the form's #cp-<key>-check); others at the top.
            "error": "" if any(b["error"] for b in blocks) else posted.get("error", ""),
        }
    )
    return render(request, "charting/observation.html", context, status=status)


KEY_VALUE_TYPES = (FieldType.BLOOD_PRESSURE, FieldType.NUMBER)


def _summary(rows: list[dict[str, Any]]) -> str:
    """A recorded checkpoint's one line: its measured values (blood pressure, numbers)."""
    shown = [
        f"{r['field'].label} {r['value']}"
        for r in rows
        if r["entry"] and r["field"].type in KEY_VALUE_TYPES
    ]
    return " · ".join(shown[:3])


def _ordered(blocks: list[dict[str, Any]], next_due: Any) -> list[dict[str, Any]]:
    """The next due checkpoint first (open), then the others still to record, in form order,
    then the recorded ones (folded on the page)."""
    first = [b for b in blocks if next_due is not None and b["cp"].pk == next_due.pk]
    for b in first:
        b["next"] = True
    todo = [b for b in blocks if not b["recorded"] and b not in first]
    return first + todo + [b for b in blocks if b["recorded"] and b not in first]


@login_required
@require_GET
@page_errors
def observation_page(request: HttpRequest, session_id: int) -> HttpResponse:
    session, record = _record(request, session_id)
    return _page(request, session, record)


def _run(
    request: HttpRequest,
    session: Session,
    record: ObservationRecord,
    change: Callable[[], Any],
    done: str,
    posted: dict[str, Any],
) -> HttpResponse:
    try:
        ran, _ = submit_once(
            key=request.POST.get(KEY_FIELD), user=acting_user(request), change=change
        )
    except DomainError as exc:
        posted["error"] = exc.message
        return _page(request, session, record, posted=posted, status=exc.status)
    messages.success(request, done if ran else "Already recorded: the form was sent twice.")
    return HttpResponseRedirect(reverse("observation", args=[session.pk]))


@login_required
@require_POST
@page_errors
def observation_values(request: HttpRequest, session_id: int, checkpoint: str) -> HttpResponse:
    """Record a checkpoint's values. Out-of-range values are highlighted as typed and must be
    confirmed on save (the template's own flags, as the service raises them)."""
    session, record = _record(request, session_id)
    if record is None:
        return _page(request, session, record, status=409)
    spec = record.template.parsed
    cp_spec = spec.checkpoint(checkpoint)
    if cp_spec is None:
        return _page(request, session, record, posted={"error": "No such checkpoint."}, status=404)
    zone = session.site.zone
    form = answers_form(cp_spec.fields, require=False, data=request.POST, prefix=checkpoint)
    taken = TakenAtForm(request.POST, prefix=f"{checkpoint}-taken")
    posted: dict[str, Any] = {checkpoint: form, f"{checkpoint}-taken": taken}
    if not (form.is_valid() and taken.is_valid()):
        return _page(request, session, record, posted=posted, status=422)
    values = answers_from(form, cp_spec.fields)
    try:
        clean = clean_answers(cp_spec.fields, values, require_all=False)
    except AnswersInvalid:
        clean = {}  # the service refuses it below, with its message
    flags = [
        flag.message
        for f in cp_spec.fields
        if f.key in clean
        for flag in flags_for(f, clean[f.key])
    ]
    if flags and not taken.cleaned_data["confirm"]:
        posted[f"{checkpoint}-flags"] = flags
        taken.fields["confirm"].widget.attrs["autofocus"] = True
        return _page(request, session, record, posted=posted, status=422)
    taken_at = as_aware(taken.cleaned_data["taken_at"], zone)
    now = clock.now()
    note = f" Out of range, clinician alerted: {'; '.join(flags)}." if flags else ""
    return _run(
        request,
        session,
        record,
        lambda: observation_record_values(
            record=record,
            checkpoint=checkpoint,
            values=values,
            taken_at=taken_at,
            by=acting_user(request),
            now=now,
        ),
        f"{cp_spec.label}: values recorded.{note}",
        posted,
    )


@login_required
@require_POST
@page_errors
def observation_anchor(request: HttpRequest, session_id: int) -> HttpResponse:
    session, record = _record(request, session_id)
    if record is None:
        return _page(request, session, record, status=409)
    form = AnchorForm(request.POST)
    posted: dict[str, Any] = {"anchor": form}
    if not form.is_valid():
        return _page(request, session, record, posted=posted, status=422)
    at = as_aware(form.cleaned_data["at"], session.site.zone)
    now = clock.now()
    return _run(
        request,
        session,
        record,
        lambda: observation_set_anchor(record=record, at=at, by=acting_user(request), now=now),
        f"Dose/procedure time recorded: {at:%H:%M}.",
        posted,
    )


@login_required
@require_POST
@page_errors
def observation_sign_view(request: HttpRequest, session_id: int) -> HttpResponse:
    session, record = _record(request, session_id)
    if record is None:
        return _page(request, session, record, status=409)
    now = clock.now()
    reason = request.POST.get("cosign_reason", "")[:1000]
    return _run(
        request,
        session,
        record,
        lambda: observation_sign(
            record=record, by=acting_user(request), cosign_reason=reason, now=now
        ),
        "Discharge co-signed." if reason.strip() else "Discharge signed.",
        {},
    )


@login_required
@require_POST
@page_errors
def observation_amend_view(
    request: HttpRequest, session_id: int, checkpoint: str, field: str
) -> HttpResponse:
    session, record = _record(request, session_id)
    if record is None:
        return _page(request, session, record, status=409)
    spec = record.template.parsed
    cp_spec = spec.checkpoint(checkpoint)
    f = next((x for x in cp_spec.fields if x.key == field), None) if cp_spec else None
    if cp_spec is None or f is None:
        return _page(request, session, record, posted={"error": "No such field."}, status=404)
    prefix = f"amend-{checkpoint}-{field}"
    form = answers_form([f], require=True, data=request.POST, prefix=prefix)
    reason = ReasonForm(request.POST, prefix=prefix)
    posted: dict[str, Any] = {prefix: form, f"{prefix}-reason": reason}
    if not (form.is_valid() and reason.is_valid()):
        return _page(request, session, record, posted=posted, status=422)
    value = answers_from(form, [f]).get(field)
    now = clock.now()
    return _run(
        request,
        session,
        record,
        lambda: observation_amend(
            record=record,
            checkpoint=checkpoint,
            field=field,
            value=value,
            reason=reason.cleaned_data["reason"],
            by=acting_user(request),
            now=now,
        ),
        f"{f.label} amended.",
        posted,
    )
