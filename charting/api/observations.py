"""Observation records: read, set the dose/procedure time, record values, sign, amend."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Status

from charting import services
from charting.api.builders import _observation_out
from charting.api.common import _ERRORS, ChartingRouter, _record, _session
from charting.api.schemas import AmendIn, AnchorIn, EntriesIn, ObservationOut
from charting.models import ObservationRecord
from clinic.errors import NotFound

router = ChartingRouter()


@router.get("/sessions/{session_id}/observation", response={200: ObservationOut, **_ERRORS})
def get_session_observation(request: HttpRequest, session_id: int):
    session = _session(request, session_id)
    record = ObservationRecord.objects.filter(session=session).first()
    if record is None:
        raise NotFound(
            "No observation record: it opens when the session starts.",
            code="observation_not_found",
        )
    return _observation_out(record)


@router.get("/observations/{record_id}", response={200: ObservationOut, **_ERRORS})
def get_observation(request: HttpRequest, record_id: int):
    return _observation_out(_record(request, record_id))


@router.post("/observations/{record_id}/anchor", response={200: ObservationOut, **_ERRORS})
def set_anchor(request: HttpRequest, record_id: int, payload: AnchorIn):
    """Record the actual dose/procedure time; checkpoint due times are recomputed from it."""
    record = services.observation_set_anchor(
        record=_record(request, record_id), at=payload.at, by=request.user
    )
    return _observation_out(record)


@router.post("/observations/{record_id}/entries", response={201: ObservationOut, **_ERRORS})
def record_entries(request: HttpRequest, record_id: int, payload: EntriesIn):
    """Record values taken at a checkpoint (some or all of its fields)."""
    record = _record(request, record_id)
    services.observation_record_values(
        record=record,
        checkpoint=payload.checkpoint,
        values=payload.values,
        taken_at=payload.taken_at,
        by=request.user,
    )
    return Status(201, _observation_out(record))


@router.post("/observations/{record_id}/sign", response={200: ObservationOut, **_ERRORS})
def sign_observation(request: HttpRequest, record_id: int):
    """Sign the discharge: refused too early or with a required checkpoint value missing."""
    record = services.observation_sign(record=_record(request, record_id), by=request.user)
    return _observation_out(record)


@router.post("/observations/{record_id}/amendments", response={201: ObservationOut, **_ERRORS})
def amend_observation(request: HttpRequest, record_id: int, payload: AmendIn):
    """Correct a value on a signed record, with a reason; the original stays visible."""
    record = _record(request, record_id)
    services.observation_amend(
        record=record,
        checkpoint=payload.checkpoint,
        field=payload.field,
        value=payload.value,
        reason=payload.reason,
        by=request.user,
    )
    return Status(201, _observation_out(record))
