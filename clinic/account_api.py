"""/api/v1/me: who the caller is (roles, sites), and their own API tokens.

GET /me is the cheapest way for a client (or a person with curl) to check that its token works.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from clinic.api import ErrorOut, StaffSession
from clinic.errors import NotFound
from clinic.models import ApiToken, Site
from clinic.permissions import user_roles, user_site_ids
from clinic.schemas import InSchema
from clinic.services import api_token_create, api_token_revoke

router = Router(tags=["account"])


class SiteRefOut(Schema):
    id: int
    slug: str
    name: str
    timezone: str


class MeOut(Schema):
    username: str
    full_name: str
    roles: list[str]
    superuser: bool
    sites: list[SiteRefOut]


@router.get("/me", response=MeOut, summary="The authenticated user, their roles and sites")
def me(request: HttpRequest) -> MeOut:
    user = request.auth
    site_ids = user_site_ids(user)
    sites = Site.objects.all() if site_ids is None else Site.objects.filter(id__in=site_ids)
    return MeOut(
        username=user.get_username(),
        full_name=user.get_full_name(),
        roles=sorted(user_roles(user)),
        superuser=user.is_superuser,
        sites=[
            SiteRefOut(id=s.id, slug=s.slug, name=s.name, timezone=s.timezone)
            for s in sites.order_by("name")
        ],
    )


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenIn(InSchema):
    name: str = Field(min_length=1, max_length=100)


class NewTokenOut(TokenOut):
    token: str = Field(description="The raw token. Shown once: only its hash is stored.")


def _token_out(row: ApiToken) -> dict:
    return {
        "id": row.id,
        "name": row.name,
        "prefix": row.prefix,
        "created_at": row.created_at,
        "last_used_at": row.last_used_at,
        "revoked_at": row.revoked_at,
    }


@router.get("/me/tokens", response=list[TokenOut], summary="Your API tokens (never the tokens)")
def my_tokens(request: HttpRequest) -> list[dict]:
    return [_token_out(t) for t in ApiToken.objects.filter(user=request.auth)]


# Session only: a leaked token must not be able to mint itself a successor that outlives its
# revocation. People create tokens while logged in (or with `manage.py create_api_token`).
@router.post(
    "/me/tokens",
    auth=StaffSession(),
    response={201: NewTokenOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    summary="Create an API token for yourself (session login only)",
)
def my_token_create(request: HttpRequest, payload: TokenIn) -> Status:
    row, raw = api_token_create(user=request.auth, name=payload.name)
    return Status(201, {**_token_out(row), "token": raw})


@router.delete(
    "/me/tokens/{token_id}",
    response={204: None, 404: ErrorOut, 409: ErrorOut},
    summary="Revoke one of your API tokens",
)
def my_token_revoke(request: HttpRequest, token_id: int) -> Status:
    row = ApiToken.objects.filter(user=request.auth, id=token_id).first()
    if row is None:
        raise NotFound("You have no API token with this id.", code="token_not_found")
    api_token_revoke(token=row, by=request.auth)
    return Status(204, None)
