"""`{% change_request_queue_for as queue %}`: the open change requests at the signed-in user's
sites, for the panel templates/scheduling/includes/change_requests.html, which clinic's
/patients/ page and the board include (a template tag, so clinic imports nothing of
scheduling: the layers run clinic < scheduling). One query for any number of requests."""

from __future__ import annotations

from typing import Any

from django import template

from clinic.pages import BOOKING, STAFF, can
from clinic.permissions import acting_user
from scheduling.change_requests import change_request_queue

register = template.Library()


@register.simple_tag(takes_context=True)
def change_request_queue_for(context: template.Context) -> dict[str, Any]:
    """{"rows": [...], "may_handle": bool, "shown": bool} for the request's user."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if request is None or user is None or not can(user, *STAFF):
        return {"rows": [], "may_handle": False, "shown": False}
    by = acting_user(request)
    rows = []
    for found in change_request_queue(user=by):
        zone = found.site.zone
        rows.append(
            {
                "request": found,
                # Text, not datetimes: the including page may set another template zone.
                "start": f"{found.session.start.astimezone(zone):%a %-d %b %Y, %H:%M}",
                "asked": f"{found.created_at.astimezone(zone):%a %-d %b, %H:%M}",
            }
        )
    return {"rows": rows, "may_handle": can(user, *BOOKING), "shown": True}
