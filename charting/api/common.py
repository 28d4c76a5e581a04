"""What the charting handlers share: the router class, the error responses, and loading
objects within the caller's sites (404 otherwise)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router

from charting.models import ObservationRecord
from clinic.api import ErrorOut
from clinic.errors import NotFound
from clinic.models import ROLE_CLINICIAN, ROLE_NURSE, ROLE_SCHEDULER
from clinic.permissions import filter_sites, require_role
from scheduling.models import Course, Session


class ChartingRouter(Router):
    """A Router whose operations keep the ids they had when the charting API was one module.

    ninja names an operation `<module>_<function>`. The handlers moved from charting/api.py to
    charting/api/<area>.py, and clients generated from /api/v1/openapi.json name their methods
    after these ids, so they stay `charting_api_<function>`.
    """

    def add_api_operation(
        self, path: str, methods: list[str], view_func: Callable[..., Any], **kwargs: Any
    ) -> None:
        if kwargs.get("operation_id") is None:
            kwargs["operation_id"] = f"charting_api_{view_func.__name__}"
        super().add_api_operation(path, methods, view_func, **kwargs)


_ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
READ_ROLES = (ROLE_SCHEDULER, ROLE_NURSE, ROLE_CLINICIAN)


# --- loading within the caller's sites ----------------------------------------------------------


def _reader(request: HttpRequest) -> Any:
    require_role(request.user, *READ_ROLES, action="read charts")
    return request.user


def _get(request: HttpRequest, queryset: QuerySet, pk: int, code: str, what: str) -> Any:
    _reader(request)
    obj = filter_sites(queryset, request.user).filter(pk=pk).first()
    if obj is None:
        raise NotFound(f"No {what} {pk}.", code=code)
    return obj


def _session(request: HttpRequest, pk: int) -> Session:
    qs = Session.objects.select_related("course__protocol", "site", "patient")
    return _get(request, qs, pk, "session_not_found", "session")


def _course(request: HttpRequest, pk: int) -> Course:
    qs = Course.objects.select_related("protocol", "site")
    return _get(request, qs, pk, "course_not_found", "course")


def _record(request: HttpRequest, pk: int) -> ObservationRecord:
    qs = ObservationRecord.objects.select_related("template", "session__course", "site")
    return _get(request, qs, pk, "observation_not_found", "observation record")
