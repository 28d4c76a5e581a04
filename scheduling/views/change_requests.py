"""Staff answer a patient's change request (the queue on /patients/ and the board, rendered
by scheduling/templatetags/change_requests.py): "Mark handled" or "Decline" with a note. The
change itself (reschedule, cancel) is made on the session page the request links to."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from clinic.errors import DomainError, Forbidden, NotFound
from clinic.pages import BOOKING, page_errors, require, safe_next
from clinic.permissions import acting_user
from clinic.submissions import KEY_FIELD, submit_once
from scheduling.change_requests import change_request_handle

DONE = {"handled": "marked handled", "declined": "declined"}


@login_required
@require_POST
@page_errors
def change_request_handle_page(request: HttpRequest, request_id: int) -> HttpResponse:
    require(request.user, *BOOKING, action="answer a patient's change request")
    by = acting_user(request)
    back = safe_next(request, reverse("patients")) + "#change-requests"
    outcome = request.POST.get("outcome", "")
    try:
        ran, _ = submit_once(
            key=request.POST.get(KEY_FIELD),
            user=by,
            change=lambda: change_request_handle(
                request_id=request_id, by=by, outcome=outcome, note=request.POST.get("note", "")
            ),
        )
    except (NotFound, Forbidden):
        raise  # page_errors: 404 / 403, as the API
    except DomainError as exc:
        messages.error(request, exc.message)
        return HttpResponseRedirect(back)
    if ran:
        messages.success(request, f"Change request {DONE.get(outcome, outcome)}.")
    else:
        messages.info(request, "Already done: the form was sent twice.")
    return HttpResponseRedirect(back)
