"""Staff decide on the re-planning the nightly no-show job offered: accept (the make-up is
booked through the same service a no-show at the desk uses) or dismiss with a note."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import User
from django.db import transaction

from clinic.clock import resolve_now
from clinic.errors import Conflict, NotFound
from clinic.history import save_with_history
from clinic.permissions import require_role, user_site_ids
from scheduling.change_results import SessionChange
from scheduling.error_codes import ERR_OFFER_DECIDED, ERR_OFFER_NOT_FOUND
from scheduling.models import ReplanOffer
from scheduling.roles import BOOKERS
from scheduling.session_cancellation import session_makeup_add


def _pending(offer_id: int, by: User) -> ReplanOffer:
    offer = ReplanOffer.objects.select_for_update().filter(pk=offer_id).first()
    allowed = user_site_ids(by)
    if offer is None or (allowed is not None and offer.site_id not in allowed):
        raise NotFound(f"No re-planning offer {offer_id}.", code=ERR_OFFER_NOT_FOUND)
    if offer.status != ReplanOffer.Status.PENDING:
        raise Conflict(f"This offer was already {offer.status}.", code=ERR_OFFER_DECIDED)
    return offer


def replan_offer_accept(
    *, offer_id: int, by: User, now: dt.datetime | None = None
) -> tuple[ReplanOffer, SessionChange]:
    """Apply the offered re-planning (book the make-up) and mark the offer accepted."""
    require_role(by, *BOOKERS, action="accept a re-planning offer")
    now = resolve_now(now)
    with transaction.atomic():
        offer = _pending(offer_id, by)
        change = session_makeup_add(session_id=offer.session_id, by=by, now=now)
        added = [m.session for m in change.moved if m.added]
        offer.status = ReplanOffer.Status.ACCEPTED
        offer.decided_by = by
        offer.decided_at = now
        offer.result = (
            f"Make-up session {added[0].number} booked."
            if added
            else " ".join(change.notes) or "No make-up session was added."
        )[:500]
        save_with_history(offer, by)
    return offer, change


def replan_offer_dismiss(
    *, offer_id: int, by: User, note: str = "", now: dt.datetime | None = None
) -> ReplanOffer:
    """Dismiss the offer (e.g. the patient was rebooked by phone); the note says why."""
    require_role(by, *BOOKERS, action="dismiss a re-planning offer")
    now = resolve_now(now)
    with transaction.atomic():
        offer = _pending(offer_id, by)
        offer.status = ReplanOffer.Status.DISMISSED
        offer.decided_by = by
        offer.decided_at = now
        offer.note = note.strip()[:500]
        save_with_history(offer, by)
    return offer
