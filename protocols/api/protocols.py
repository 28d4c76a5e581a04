"""Protocols API, mounted at /api/v1/protocols (docs/api/protocols.md).

Thin handlers: parse an In schema, call a service or selector, return an explicit Out schema.
Every endpoint needs authentication (applied globally by config/root_api.py).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from clinic.api.fields import Int
from clinic.api.schemas import ErrorOut
from clinic.errors import NotFound
from clinic.models import ROLE_CLINICIAN, ROLE_NURSE, ROLE_SCHEDULER
from clinic.permissions import acting_user, require_role
from protocols.api.schemas import (
    ActivateIn,
    PhaseSummaryOut,
    ProtocolFilters,
    ProtocolIn,
    ProtocolOut,
    ProtocolSummaryOut,
    RetiredOut,
    SlugPath,
    SpecIn,
    ValidationOut,
    VersionIn,
)
from protocols.error_codes import ERR_PROTOCOL_NOT_FOUND
from protocols.selectors import protocol_list
from protocols.services import (
    protocol_activate,
    protocol_create_version,
    protocol_get,
    protocol_retire,
    protocol_retire_slug,
    protocol_spec_validate,
)

router = Router(tags=["protocols"])


# --- Handlers ------------------------------------------------------------------------------


def _require_staff(request: HttpRequest) -> None:
    """Reading protocols needs a staff role (any); changing them needs admin or clinician,
    which the services check."""
    require_role(
        acting_user(request), ROLE_SCHEDULER, ROLE_NURSE, ROLE_CLINICIAN, action="see protocols"
    )


@router.get(
    "",
    response={200: list[ProtocolSummaryOut], 403: ErrorOut, 422: ErrorOut},
    operation_id="protocols_api_list_protocols",
)
def list_protocols(request: HttpRequest, filters: Query[ProtocolFilters]) -> Any:
    """Protocols, latest version per slug (or every version with `all_versions=true`)."""
    _require_staff(request)
    return list(
        protocol_list(
            user=acting_user(request),
            modality=filters.modality.value if filters.modality else None,
            status=filters.status,
            all_versions=filters.all_versions,
        )
    )


@router.post(
    "",
    response={201: ProtocolOut, 403: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    operation_id="protocols_api_create_protocol",
)
def create_protocol(request: HttpRequest, payload: ProtocolIn) -> Any:
    """Create a protocol (version 1) or the next version of an existing slug."""
    row = protocol_create_version(
        slug=payload.slug,
        name=payload.name,
        indication=payload.indication,
        spec=payload.spec,
        status=payload.status,
        site_id=payload.site_id,
        by=acting_user(request),
    )
    return Status(201, row)


@router.get(
    "/{slug}",
    response={200: ProtocolOut, 403: ErrorOut, 404: ErrorOut},
    operation_id="protocols_api_get_protocol",
)
def get_protocol(request: HttpRequest, slug: SlugPath, version: Int | None = None) -> Any:
    """The latest active version of `slug`, or `?version=N` (any status)."""
    _require_staff(request)
    return protocol_get(slug=slug, version=version, user=acting_user(request))


@router.get(
    "/{slug}/versions",
    response={200: list[ProtocolSummaryOut], 403: ErrorOut, 404: ErrorOut},
    operation_id="protocols_api_list_versions",
)
def list_versions(request: HttpRequest, slug: SlugPath) -> Any:
    _require_staff(request)
    rows = list(protocol_list(user=acting_user(request), slug=slug, all_versions=True))
    if not rows:
        raise NotFound(f"Protocol {slug!r} does not exist.", code=ERR_PROTOCOL_NOT_FOUND)
    return rows


@router.post(
    "/{slug}/retire",
    response={200: RetiredOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    operation_id="protocols_api_retire_protocol",
)
def retire_protocol(request: HttpRequest, slug: SlugPath, payload: VersionIn) -> Any:
    """Retire one version (`{"version": N}`) or every version not yet retired
    (`{"all_versions": true}`)."""
    user = acting_user(request)
    if payload.version is None:
        rows = protocol_retire_slug(slug=slug, by=user)
    else:
        target = protocol_get(slug=slug, version=payload.version, user=user)
        rows = [protocol_retire(protocol=target, by=user)]
    return RetiredOut(slug=slug, retired_versions=[r.version for r in rows])


@router.post(
    "/{slug}/activate",
    response={200: ProtocolOut, 403: ErrorOut, 404: ErrorOut},
    operation_id="protocols_api_activate_protocol",
)
def activate_protocol(request: HttpRequest, slug: SlugPath, payload: ActivateIn) -> Any:
    """Make a draft or retired version active."""
    user = acting_user(request)
    target = protocol_get(slug=slug, version=payload.version, user=user)
    return protocol_activate(protocol=target, by=user)


@router.post(
    "/{slug}/validate",
    response={200: ValidationOut, 403: ErrorOut, 422: ErrorOut},
    operation_id="protocols_api_validate_spec",
)
def validate_spec(request: HttpRequest, slug: SlugPath, payload: SpecIn) -> Any:
    """Check a spec without saving it: 200 with a summary, or 422 `invalid_spec`."""
    _require_staff(request)
    spec = protocol_spec_validate(spec=payload.spec, slug=slug)
    return ValidationOut(
        valid=True,
        modality=spec.modality.value,
        total_sessions=spec.total_sessions,
        phases=[
            PhaseSummaryOut(
                name=p.name,
                sessions=p.total_sessions,
                sessions_per_week=p.per_week,
                sessions_per_day=p.sessions_per_day,
                min_days_between=p.effective_min_days_between,
                max_days_between=p.max_days_between,
            )
            for p in spec.phases
        ],
        resource_kinds=spec.resource_kinds(),
    )
