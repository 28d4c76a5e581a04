"""/api/v1/scheduling/replan-offers: the re-planning the nightly no-show job offered (a TMS
make-up at the end of the course): list them, accept (the make-up is booked) or dismiss with
a note."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from clinic.api.schemas import ErrorOut
from clinic.permissions import acting_user
from scheduling.api.builders import moved_out, replan_offer_out
from scheduling.api.schemas import DismissIn, OfferFilter, ReplanDecisionOut, ReplanOfferOut
from scheduling.replan_offers import replan_offer_accept, replan_offer_dismiss
from scheduling.selectors import replan_offer_for_reader, replan_offer_list

router = Router(tags=["replan offers"])

ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


@router.get("", response={200: list[ReplanOfferOut], **ERRORS}, operation_id="replan_offers_list")
def list_replan_offers(request: HttpRequest, filters: Query[OfferFilter]) -> list[dict[str, Any]]:
    """Offers in the caller's sites, pending ones by default, newest first."""
    offers = replan_offer_list(
        user=acting_user(request), status=filters.status, site_id=filters.site_id
    )
    return [replan_offer_out(o) for o in offers]


@router.post(
    "/{offer_id}/accept",
    response={200: ReplanDecisionOut, **ERRORS},
    operation_id="replan_offers_accept",
)
def accept_replan_offer(request: HttpRequest, offer_id: int) -> dict[str, Any]:
    """Book the offered make-up session at the end of the course."""
    user = acting_user(request)
    replan_offer_for_reader(user=user, offer_id=offer_id)
    offer, change = replan_offer_accept(offer_id=offer_id, by=user)
    return {
        "offer": replan_offer_out(replan_offer_for_reader(user=user, offer_id=offer.pk)),
        "moved": moved_out(change.moved),
        "notes": change.notes,
    }


@router.post(
    "/{offer_id}/dismiss",
    response={200: ReplanDecisionOut, **ERRORS},
    operation_id="replan_offers_dismiss",
)
def dismiss_replan_offer(request: HttpRequest, offer_id: int, payload: DismissIn) -> dict[str, Any]:
    """Dismiss the offer (e.g. already rebooked by phone), with a note."""
    user = acting_user(request)
    replan_offer_for_reader(user=user, offer_id=offer_id)
    offer = replan_offer_dismiss(offer_id=offer_id, by=user, note=payload.note)
    return {"offer": replan_offer_out(replan_offer_for_reader(user=user, offer_id=offer.pk))}
