"""Observation records: read, set the dose/procedure time, record values, sign, amend."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from charting.api.builders import observation_out
from charting.api.schemas import ERRORS, AmendIn, AnchorIn, EntriesIn, ObservationOut, SignIn
from charting.observations import (
    observation_amend,
    observation_record_values,
    observation_set_anchor,
    observation_sign,
)
from charting.selectors.chart import (
    chart_session,
    observation_detail,
    observation_record_for_reader,
    session_observation_get,
)
from clinic.permissions import acting_user

router = Router()


@router.get(
    "/sessions/{session_id}/observation",
    response={200: ObservationOut, **ERRORS},
    operation_id="charting_api_get_session_observation",
)
def get_session_observation(request: HttpRequest, session_id: int) -> dict[str, Any]:
    session = chart_session(user=acting_user(request), session_id=session_id)
    record = session_observation_get(session=session)
    return observation_out(observation_detail(record=record))


@router.get(
    "/observations/{record_id}",
    response={200: ObservationOut, **ERRORS},
    operation_id="charting_api_get_observation",
)
def get_observation(request: HttpRequest, record_id: int) -> dict[str, Any]:
    record = observation_record_for_reader(user=acting_user(request), record_id=record_id)
    return observation_out(observation_detail(record=record))


@router.post(
    "/observations/{record_id}/anchor",
    response={200: ObservationOut, **ERRORS},
    operation_id="charting_api_set_anchor",
)
def set_anchor(request: HttpRequest, record_id: int, payload: AnchorIn) -> dict[str, Any]:
    """Record the actual dose/procedure time; checkpoint due times are recomputed from it."""
    user = acting_user(request)
    record = observation_set_anchor(
        record=observation_record_for_reader(user=user, record_id=record_id),
        at=payload.at,
        by=user,
    )
    return observation_out(observation_detail(record=record))


@router.post(
    "/observations/{record_id}/entries",
    response={201: ObservationOut, **ERRORS},
    operation_id="charting_api_record_entries",
)
def record_entries(request: HttpRequest, record_id: int, payload: EntriesIn) -> Status:
    """Record values taken at a checkpoint (some or all of its fields)."""
    user = acting_user(request)
    record = observation_record_for_reader(user=user, record_id=record_id)
    observation_record_values(
        record=record,
        checkpoint=payload.checkpoint,
        values=payload.values,
        taken_at=payload.taken_at,
        by=user,
    )
    return Status(201, observation_out(observation_detail(record=record)))


@router.post(
    "/observations/{record_id}/sign",
    response={200: ObservationOut, **ERRORS},
    operation_id="charting_api_sign_observation",
)
def sign_observation(
    request: HttpRequest, record_id: int, payload: SignIn | None = None
) -> dict[str, Any]:
    """Sign the discharge: refused (409) too early, with a required value missing, with
    discharge values older than the minimum or than the last required checkpoint, and while a
    severe alert of the session is unacknowledged (`severe_alert_open`) - unless a clinician
    co-signs with `cosign_reason`."""
    user = acting_user(request)
    record = observation_sign(
        record=observation_record_for_reader(user=user, record_id=record_id),
        by=user,
        cosign_reason=payload.cosign_reason if payload is not None else "",
    )
    return observation_out(observation_detail(record=record))


@router.post(
    "/observations/{record_id}/amendments",
    response={201: ObservationOut, **ERRORS},
    operation_id="charting_api_amend_observation",
)
def amend_observation(request: HttpRequest, record_id: int, payload: AmendIn) -> Status:
    """Correct a value on a signed record, with a reason; the original stays visible."""
    user = acting_user(request)
    record = observation_record_for_reader(user=user, record_id=record_id)
    observation_amend(
        record=record,
        checkpoint=payload.checkpoint,
        field=payload.field,
        value=payload.value,
        reason=payload.reason,
        by=user,
    )
    return Status(201, observation_out(observation_detail(record=record)))
