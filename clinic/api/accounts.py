"""/api/v1/me: who the caller is (roles, sites), and their own API tokens.

GET /me is the cheapest way for a client (or a person with curl) to check that its token works.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from clinic.api.auth import StaffSession
from clinic.api.schemas import ErrorOut, MeOut, NewTokenOut, SiteRefOut, TokenIn, TokenOut
from clinic.models import ApiToken
from clinic.permissions import acting_user, user_roles
from clinic.selectors import api_token_get, api_token_list, site_list_for_user
from clinic.services import api_token_create, api_token_revoke

router = Router(tags=["account"])


def token_out(row: ApiToken) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "prefix": row.prefix,
        "created_at": row.created_at,
        "last_used_at": row.last_used_at,
        "revoked_at": row.revoked_at,
    }


@router.get(
    "/me",
    response=MeOut,
    summary="The authenticated user, their roles and sites",
    operation_id="clinic_account_api_me",
)
def me(request: HttpRequest) -> MeOut:
    user = acting_user(request)
    return MeOut(
        username=user.get_username(),
        full_name=user.get_full_name(),
        roles=sorted(user_roles(user)),
        superuser=user.is_superuser,
        sites=[
            SiteRefOut(id=s.id, slug=s.slug, name=s.name, timezone=s.timezone)
            for s in site_list_for_user(user=user)
        ],
    )


@router.get(
    "/me/tokens",
    response=list[TokenOut],
    summary="Your API tokens (never the tokens)",
    operation_id="clinic_account_api_my_tokens",
)
def my_tokens(request: HttpRequest) -> list[dict[str, Any]]:
    return [token_out(t) for t in api_token_list(user=acting_user(request))]


# Session only: a leaked token must not be able to mint itself a successor that outlives its
# revocation. People create tokens while logged in (or with `manage.py create_api_token`).
@router.post(
    "/me/tokens",
    auth=StaffSession(),
    response={201: NewTokenOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    summary="Create an API token for yourself (session login only)",
    operation_id="clinic_account_api_my_token_create",
)
def my_token_create(request: HttpRequest, payload: TokenIn) -> Status:
    row, raw = api_token_create(user=acting_user(request), name=payload.name)
    return Status(201, {**token_out(row), "token": raw})


@router.delete(
    "/me/tokens/{token_id}",
    response={204: None, 404: ErrorOut, 409: ErrorOut},
    summary="Revoke one of your API tokens",
    operation_id="clinic_account_api_my_token_revoke",
)
def my_token_revoke(request: HttpRequest, token_id: int) -> Status:
    user = acting_user(request)
    row = api_token_get(user=user, token_id=token_id)
    api_token_revoke(token=row, by=user)
    return Status(204, None)
