"""Protocols API, mounted at /api/v1/protocols (docs/api/protocols.md).

Thin handlers: parse an In schema, call a service or selector, return an explicit Out schema.
Every endpoint needs authentication (applied globally by clinic.api).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import field_validator

from clinic.errors import InvalidInput, NotFound
from clinic.models import ROLE_CLINICIAN, ROLE_NURSE, ROLE_SCHEDULER, Site
from clinic.permissions import require_role, require_site
from clinic.schemas import SLUG_PATTERN, CalendarDay, Id, InSchema, LocalTime
from protocols import selectors, services
from protocols.engine import PlannedSession, PlanningError, plan_course
from protocols.models import Protocol
from protocols.spec import Modality

router = Router(tags=["protocols"])

UNPLANNABLE = "unplannable"
SITE_NOT_FOUND = "site_not_found"

SlugStr = Field(..., pattern=SLUG_PATTERN, max_length=64)
# In paths too: a slug that cannot exist is a 422 naming the rule, not a lookup of NUL bytes.
SlugPath = Annotated[str, Path(pattern=SLUG_PATTERN, max_length=64)]
StatusName = Literal["draft", "active", "retired"]


class ErrorOut(Schema):
    """Same shape as clinic.api.ErrorOut (not imported: clinic.api imports this module)."""

    code: str
    message: str
    details: dict[str, Any] | None = None


# --- Out schemas ---------------------------------------------------------------------------


class ProtocolSummaryOut(Schema):
    id: int
    slug: str
    version: int
    modality: str
    name: str
    indication: str
    status: str
    builtin: bool
    in_use: bool
    total_sessions: int
    created_at: dt.datetime
    retired_at: dt.datetime | None

    @staticmethod
    def resolve_in_use(obj: Protocol) -> bool:
        annotated = getattr(obj, "is_in_use", None)
        return obj.in_use if annotated is None else bool(annotated)

    @staticmethod
    def resolve_total_sessions(obj: Protocol) -> int:
        return obj.parsed.total_sessions


class ProtocolOut(ProtocolSummaryOut):
    spec: dict[str, Any]


class PhaseSummaryOut(Schema):
    name: str
    sessions: int
    sessions_per_week: int
    sessions_per_day: int
    min_days_between: int
    max_days_between: int | None


class ValidationOut(Schema):
    valid: bool
    modality: str
    total_sessions: int
    phases: list[PhaseSummaryOut]
    resource_kinds: list[str]


class RetiredOut(Schema):
    slug: str
    retired_versions: list[int]


class PlannedSessionOut(Schema):
    phase: str
    phase_index: int
    number: int
    number_in_phase: int
    date: dt.date
    start_local: dt.datetime
    end_local: dt.datetime
    observation_end_local: dt.datetime
    start_utc: dt.datetime
    end_utc: dt.datetime
    observation_end_utc: dt.datetime
    scales_due: list[str]


class PreviewOut(Schema):
    slug: str
    version: int
    site_id: int
    timezone: str
    start_date: dt.date
    preferred_time: LocalTime
    total_sessions: int
    sessions: list[PlannedSessionOut]


# --- In schemas ----------------------------------------------------------------------------


class ProtocolFilters(InSchema):
    modality: Modality | None = None
    status: StatusName | None = None
    all_versions: bool = False


class ProtocolIn(InSchema):
    slug: str = SlugStr
    name: str = Field(..., min_length=1, max_length=200)
    indication: str = Field("", max_length=200)
    spec: dict[str, Any]
    status: Literal["draft", "active"] = "draft"


class SpecIn(InSchema):
    spec: dict[str, Any]


class VersionIn(InSchema):
    version: int | None = Field(None, ge=1)


class ActivateIn(InSchema):
    version: int = Field(..., ge=1)


class PreviewIn(InSchema):
    site_id: Id
    start_date: CalendarDay
    preferred_time: LocalTime
    version: int | None = Field(None, ge=1)

    @field_validator("preferred_time")
    @classmethod
    def _wall_clock(cls, value: dt.time) -> dt.time:
        if value.tzinfo is not None:
            raise ValueError("give a local wall-clock time without a UTC offset (e.g. 09:00)")
        return value


# --- Handlers ------------------------------------------------------------------------------


def _require_staff(request: HttpRequest) -> None:
    """Reading protocols needs a staff role (any); changing them needs admin or clinician,
    which the services check."""
    require_role(request.user, ROLE_SCHEDULER, ROLE_NURSE, ROLE_CLINICIAN, action="see protocols")


@router.get("", response={200: list[ProtocolSummaryOut], 403: ErrorOut, 422: ErrorOut})
def list_protocols(request: HttpRequest, filters: Query[ProtocolFilters]) -> Any:
    """Protocols, latest version per slug (or every version with `all_versions=true`)."""
    _require_staff(request)
    return list(
        selectors.protocol_list(
            modality=filters.modality.value if filters.modality else None,
            status=filters.status,
            all_versions=filters.all_versions,
        )
    )


@router.post("", response={201: ProtocolOut, 403: ErrorOut, 409: ErrorOut, 422: ErrorOut})
def create_protocol(request: HttpRequest, payload: ProtocolIn) -> Any:
    """Create a protocol (version 1) or the next version of an existing slug."""
    row = services.protocol_create_version(
        slug=payload.slug,
        name=payload.name,
        indication=payload.indication,
        spec=payload.spec,
        status=payload.status,
        by=request.user,
    )
    return Status(201, row)


@router.get("/{slug}", response={200: ProtocolOut, 403: ErrorOut, 404: ErrorOut})
def get_protocol(request: HttpRequest, slug: SlugPath, version: int | None = None) -> Any:
    """The latest active version of `slug`, or `?version=N` (any status)."""
    _require_staff(request)
    return services.protocol_get(slug=slug, version=version)


@router.get(
    "/{slug}/versions", response={200: list[ProtocolSummaryOut], 403: ErrorOut, 404: ErrorOut}
)
def list_versions(request: HttpRequest, slug: SlugPath) -> Any:
    _require_staff(request)
    rows = list(selectors.protocol_list(slug=slug, all_versions=True))
    if not rows:
        raise NotFound(f"Protocol {slug!r} does not exist.", code=services.PROTOCOL_NOT_FOUND)
    return rows


@router.post("/{slug}/retire", response={200: RetiredOut, 403: ErrorOut, 404: ErrorOut})
def retire_protocol(request: HttpRequest, slug: SlugPath, payload: VersionIn) -> Any:
    """Retire one version (`{"version": N}`) or, with `{}`, every version not yet retired."""
    if payload.version is None:
        rows = services.protocol_retire_slug(slug=slug, by=request.user)
    else:
        target = services.protocol_get(slug=slug, version=payload.version)
        rows = [services.protocol_retire(protocol=target, by=request.user)]
    return RetiredOut(slug=slug, retired_versions=[r.version for r in rows])


@router.post("/{slug}/activate", response={200: ProtocolOut, 403: ErrorOut, 404: ErrorOut})
def activate_protocol(request: HttpRequest, slug: SlugPath, payload: ActivateIn) -> Any:
    """Make a draft or retired version active."""
    target = services.protocol_get(slug=slug, version=payload.version)
    return services.protocol_activate(protocol=target, by=request.user)


@router.post("/{slug}/validate", response={200: ValidationOut, 403: ErrorOut, 422: ErrorOut})
def validate_spec(request: HttpRequest, slug: SlugPath, payload: SpecIn) -> Any:
    """Check a spec without saving it: 200 with a summary, or 422 `invalid_spec`."""
    _require_staff(request)
    spec = services.protocol_spec_validate(spec=payload.spec, slug=slug)
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


@router.post(
    "/{slug}/preview", response={200: PreviewOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
)
def preview_course(request: HttpRequest, slug: SlugPath, payload: PreviewIn) -> Any:
    """Plan a course on a site's calendar and return the sessions, writing nothing."""
    _require_staff(request)
    protocol = services.protocol_get(slug=slug, version=payload.version)
    require_site(request.user, payload.site_id)
    site = (
        Site.objects.prefetch_related("opening_hours", "closures")
        .filter(pk=payload.site_id)
        .first()
    )
    if site is None:
        raise NotFound("No such site.", code=SITE_NOT_FOUND)
    spec = services.protocol_spec_validate(spec=protocol.spec)
    try:
        planned = plan_course(
            spec, payload.start_date, payload.preferred_time, site.calendar(payload.start_date)
        )
    except PlanningError as exc:
        raise InvalidInput(
            exc.message,
            code=UNPLANNABLE,
            rule=exc.rule,
            day=exc.day.isoformat(),
            phase=exc.phase,
        ) from None
    return PreviewOut(
        slug=protocol.slug,
        version=protocol.version,
        site_id=site.pk,
        timezone=site.timezone,
        start_date=payload.start_date,
        preferred_time=payload.preferred_time,
        total_sessions=len(planned),
        sessions=[_session_out(s) for s in planned],
    )


def _session_out(s: PlannedSession) -> PlannedSessionOut:
    return PlannedSessionOut(
        phase=s.phase,
        phase_index=s.phase_index,
        number=s.number,
        number_in_phase=s.number_in_phase,
        date=s.day,
        start_local=s.start_local,
        end_local=s.end_local,
        observation_end_local=s.observation_end_local,
        start_utc=s.start_utc,
        end_utc=s.end_utc,
        observation_end_utc=s.observation_end_utc,
        scales_due=list(s.scales_due),
    )
