"""Re-planning offers from the nightly no-show job: list them, accept (the make-up is booked),
or dismiss with a note. Mounted at /api/v1/scheduling/replan-offers.

When the structure work lands this module becomes scheduling/api/replan_offers.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from clinic.api import ErrorOut
from clinic.errors import NotFound
from clinic.permissions import filter_sites, require_role
from clinic.schemas import Id, InSchema
from scheduling.api_read import READ_ROLES
from scheduling.models import ReplanOffer
from scheduling.replan_offers import replan_offer_accept, replan_offer_dismiss
from scheduling.schemas import MovedSessionOut

router = Router(tags=["replan offers"])
_ERRORS: dict[int, Any] = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class ReplanOfferOut(Schema):
    id: int
    kind: str
    kind_label: str
    status: str
    session_id: int
    session_number: int
    session_start: dt.datetime
    course_id: int
    patient_name: str
    patient_mrn: str
    site_id: int
    created_at: dt.datetime
    decided_by: str | None
    decided_at: dt.datetime | None
    note: str
    result: str


class ReplanDecisionOut(Schema):
    offer: ReplanOfferOut
    moved: list[MovedSessionOut] = []
    notes: list[str] = []


class OfferFilter(InSchema):
    status: Literal["pending", "accepted", "dismissed", "all"] = "pending"
    site_id: Id | None = None


class DismissIn(InSchema):
    note: str = Field("", max_length=500)


def _out(o: ReplanOffer) -> dict[str, Any]:
    return {
        "id": o.pk,
        "kind": o.kind,
        "kind_label": o.get_kind_display(),
        "status": o.status,
        "session_id": o.session_id,
        "session_number": o.session.number,
        "session_start": o.session.start,
        "course_id": o.course_id,
        "patient_name": o.session.patient.full_name,
        "patient_mrn": o.session.patient.mrn,
        "site_id": o.site_id,
        "created_at": o.created_at,
        "decided_by": (o.decided_by.get_full_name() or o.decided_by.get_username())
        if o.decided_by
        else None,
        "decided_at": o.decided_at,
        "note": o.note,
        "result": o.result,
    }


def _offers(request: HttpRequest) -> Any:
    require_role(request.user, *READ_ROLES, action="read re-planning offers")
    return filter_sites(
        ReplanOffer.objects.select_related("session__patient", "decided_by"), request.user
    )


def _reload(request: HttpRequest, offer_id: int) -> ReplanOffer:
    offer = _offers(request).filter(pk=offer_id).first()
    if offer is None:
        raise NotFound(f"No re-planning offer {offer_id}.", code="offer_not_found")
    return offer


@router.get("", response={200: list[ReplanOfferOut], **_ERRORS}, operation_id="replan_offers_list")
def list_replan_offers(request: HttpRequest, filters: Query[OfferFilter]) -> list[dict[str, Any]]:
    """Offers in the caller's sites, pending ones by default, newest first."""
    qs = _offers(request)
    if filters.status != "all":
        qs = qs.filter(status=filters.status)
    if filters.site_id is not None:
        qs = qs.filter(site_id=filters.site_id)
    return [_out(o) for o in qs.order_by("-created_at", "-id")[:500]]


@router.post(
    "/{offer_id}/accept",
    response={200: ReplanDecisionOut, **_ERRORS},
    operation_id="replan_offers_accept",
)
def accept_replan_offer(request: HttpRequest, offer_id: int) -> dict[str, Any]:
    """Book the offered make-up session at the end of the course."""
    _reload(request, offer_id)
    offer, change = replan_offer_accept(offer_id=offer_id, by=request.user)
    moved = [
        {
            "id": m.session.pk,
            "number": m.session.number,
            "phase": m.session.phase,
            "old_start": m.old_start,
            "start": m.session.start,
            "end": m.session.end,
            "observation_end": m.session.observation_end,
            "status": m.session.status,
            "sequence": m.session.sequence,
            "added": m.added,
        }
        for m in change.moved
    ]
    return {"offer": _out(_reload(request, offer.pk)), "moved": moved, "notes": change.notes}


@router.post(
    "/{offer_id}/dismiss",
    response={200: ReplanDecisionOut, **_ERRORS},
    operation_id="replan_offers_dismiss",
)
def dismiss_replan_offer(request: HttpRequest, offer_id: int, payload: DismissIn) -> dict[str, Any]:
    """Dismiss the offer (e.g. already rebooked by phone), with a note."""
    _reload(request, offer_id)
    offer = replan_offer_dismiss(offer_id=offer_id, by=request.user, note=payload.note)
    return {"offer": _out(_reload(request, offer.pk))}
