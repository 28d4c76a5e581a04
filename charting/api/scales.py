"""Outcome scales: definitions, recording an administration, a course's outcomes."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Status

from charting import scoring, services
from charting.api.builders import _scale_out
from charting.api.common import _ERRORS, ChartingRouter, _course, _reader
from charting.api.schemas import OutcomeOut, ScaleDefOut, ScaleIn, ScaleOut
from clinic.errors import NotFound
from scheduling.models import Session

router = ChartingRouter()


@router.get("/scales", response={200: list[ScaleDefOut], **_ERRORS})
def list_scales(request: HttpRequest):
    _reader(request)
    return [
        {
            "name": s.name,
            "title": s.title,
            "rater": s.rater,
            "instructions": s.instructions,
            "answer_labels": list(s.answer_labels),
            "items": [{"key": i.key, "text": i.text, "max": i.max} for i in s.items],
            "bands": [{"low": b.low, "high": b.high, "label": b.label} for b in s.bands],
            "remission_max": s.remission_max,
        }
        for s in scoring.SCALES.values()
    ]


@router.post("/courses/{course_id}/scales", response={201: ScaleOut, **_ERRORS})
def record_scale(request: HttpRequest, course_id: int, payload: ScaleIn):
    course = _course(request, course_id)
    session = None
    if payload.session_id is not None:
        session = Session.objects.filter(pk=payload.session_id, course=course).first()
        if session is None:
            raise NotFound(
                f"No session {payload.session_id} in this course.", code="session_not_found"
            )
    row = services.scale_record(
        course=course,
        scale=payload.scale,
        items=payload.items,
        administered_at=payload.administered_at,
        session=session,
        by=request.user,
    )
    return Status(201, _scale_out(row))


@router.get("/courses/{course_id}/outcomes", response={200: list[OutcomeOut], **_ERRORS})
def course_outcomes(request: HttpRequest, course_id: int):
    """Per scale: baseline (first administration), trajectory, response and remission."""
    course = _course(request, course_id)
    return [
        {
            "scale": o.scale,
            "baseline": o.baseline,
            "latest": o.latest,
            "latest_band": o.latest_band,
            "trajectory": list(o.trajectory),
            "change_pct": o.change_pct,
            "response": o.response,
            "remission": o.remission,
            "administrations": [_scale_out(r) for r in rows],
        }
        for o, rows in services.course_outcomes(course)
    ]
