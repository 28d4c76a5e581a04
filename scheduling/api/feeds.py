"""Calendar feed tokens through the API: list, create, rotate, revoke (/api/v1/feeds).

Who may manage which feed is scheduling.feed_tokens.feed_manageable: patient and companion
feeds by a scheduler or clinician of the patient's site, staff feeds by their owner, room and
site feeds by the site's staff; another site's feeds are 404. A token appears in the response
of the call that makes it (create, rotate) and never again.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.http import HttpRequest
from django.urls import reverse
from ninja import Query, Router, Status

from clinic.api.fields import Id
from clinic.api.schemas import ErrorOut
from clinic.error_codes import ERR_NOT_FOUND
from clinic.errors import NotFound
from clinic.models import Patient, Resource, Site
from clinic.permissions import require_site
from scheduling.api.feed_schemas import FeedCreateIn, FeedListIn, FeedOut, FeedTokenOut
from scheduling.error_codes import ERR_STAFF_NOT_FOUND
from scheduling.feed_selectors import feeds_for
from scheduling.feed_tokens import feed_create, feed_revoke, feed_rotate
from scheduling.models import CalendarFeed

router = Router(tags=["calendar feeds"])
_ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _token_out(request: HttpRequest, feed: CalendarFeed, token: str) -> dict[str, Any]:
    # A dict with the row in it: ninja validates it against FeedTokenOut on the way out.
    url = request.build_absolute_uri(reverse("calendar-feed", args=[token]))
    page = None
    if feed.kind == CalendarFeed.Kind.PATIENT:
        page = request.build_absolute_uri(reverse("patient-home", args=[token]))
    return {
        "feed": feed,
        "token": token,
        "url": url,
        "webcal_url": "webcal://" + url.split("://", 1)[1],
        "page_url": page,
    }


def _site_of(row: Patient | Resource | Site) -> int:
    return row.pk if isinstance(row, Site) else row.site_id


def _visible(model: type[Patient] | type[Resource] | type[Site], pk: int | None, by: User) -> Any:
    """The row `pk` of `model` if `by` works at its site; NotFound otherwise (or None)."""
    if pk is None:
        return None
    row = model.objects.filter(pk=pk).first()
    if row is None:
        raise NotFound(f"No such {model.__name__.lower()}.", code=ERR_NOT_FOUND)
    require_site(by, _site_of(row))
    return row


@router.get(
    "",
    response={200: list[FeedOut], 403: ErrorOut, 422: ErrorOut},
    operation_id="scheduling_api_feed_list",
)
def feed_list(request: HttpRequest, filters: Query[FeedListIn]) -> list[CalendarFeed]:
    """The feeds you may manage (newest first), without their tokens."""
    feeds = feeds_for(_user(request))
    if filters.kind:
        feeds = feeds.filter(kind=filters.kind)
    if filters.patient_id:
        feeds = feeds.filter(patient_id=filters.patient_id)
    if filters.active is not None:
        feeds = feeds.filter(revoked_at__isnull=filters.active)
    return list(feeds[:500])


@router.post("", response={201: FeedTokenOut, **_ERRORS}, operation_id="scheduling_api_feed_create")
def feed_create_view(request: HttpRequest, payload: FeedCreateIn) -> Status:
    """Create a feed; the response carries its token, once."""
    by = _user(request)
    staff = None
    if payload.staff_id is not None:
        staff = User.objects.filter(pk=payload.staff_id).first()
        if staff is None:
            raise NotFound("No such staff member.", code=ERR_STAFF_NOT_FOUND)
    feed, token = feed_create(
        kind=payload.kind,
        by=by,
        site=_visible(Site, payload.site_id, by),
        patient=_visible(Patient, payload.patient_id, by),
        resource=_visible(Resource, payload.resource_id, by),
        staff=staff,
        label=payload.label,
        alarm_minutes=payload.alarm_minutes,
    )
    return Status(201, _token_out(request, feed, token))


@router.post(
    "/{feed_id}/rotate",
    response={200: FeedTokenOut, **_ERRORS},
    operation_id="scheduling_api_feed_rotate",
)
def feed_rotate_view(request: HttpRequest, feed_id: Id) -> dict[str, Any]:
    """A new token for the feed (returned once); the old link stops working."""
    feed, token = feed_rotate(feed_id=feed_id, by=_user(request))
    return _token_out(request, feed, token)


@router.post(
    "/{feed_id}/revoke",
    response={200: FeedOut, **_ERRORS},
    operation_id="scheduling_api_feed_revoke",
)
def feed_revoke_view(request: HttpRequest, feed_id: Id) -> CalendarFeed:
    """Revoke the feed: its link answers 404 from now on."""
    return feed_revoke(feed_id=feed_id, by=_user(request))
