"""API token services and the create_api_token command."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from clinic.errors import Conflict, InvalidInput
from clinic.models import ApiToken
from clinic.services import api_token_create, api_token_revoke
from clinic.tokens import hash_token

NOW = dt.datetime(2026, 3, 8, 7, 30, tzinfo=dt.UTC)  # the morning US clocks go forward


def test_create_returns_the_raw_token_once_and_stores_its_hmac(scheduler):
    row, raw = api_token_create(user=scheduler, name="  nightly export  ")
    assert raw.startswith("ict_")
    assert len(raw) > 40
    assert row.name == "nightly export"
    assert raw.startswith(row.prefix)
    assert len(row.prefix) == 12
    assert row.token_hash == hash_token(raw)
    assert raw not in row.token_hash


def test_every_token_is_different(scheduler):
    raws = {api_token_create(user=scheduler, name="t")[1] for _ in range(20)}
    assert len(raws) == 20


def test_a_token_needs_a_name(scheduler):
    with pytest.raises(InvalidInput):
        api_token_create(user=scheduler, name="   ")
    assert not ApiToken.objects.exists()


def test_an_inactive_user_gets_no_token(scheduler):
    scheduler.is_active = False
    scheduler.save()
    with pytest.raises(InvalidInput) as excinfo:
        api_token_create(user=scheduler, name="t")
    assert excinfo.value.code == "user_inactive"


def test_revoke_stamps_the_given_time_and_refuses_twice(scheduler, admin_user):
    row, _ = api_token_create(user=scheduler, name="t")
    api_token_revoke(token=row, by=admin_user, now=NOW)
    row.refresh_from_db()
    assert row.revoked_at == NOW
    with pytest.raises(Conflict) as excinfo:
        api_token_revoke(token=row, by=admin_user, now=NOW + dt.timedelta(hours=1))
    assert excinfo.value.code == "token_already_revoked"
    row.refresh_from_db()
    assert row.revoked_at == NOW


def test_command_prints_only_the_token_on_stdout(scheduler):
    out, err = StringIO(), StringIO()
    call_command("create_api_token", "sam", "--name", "laptop", stdout=out, stderr=err)
    raw = out.getvalue().strip()
    row = ApiToken.objects.get(user=scheduler)
    assert row.name == "laptop"
    assert row.token_hash == hash_token(raw)
    assert "not be shown again" in err.getvalue()


def test_command_rejects_an_unknown_user(db):
    with pytest.raises(CommandError, match="No user named 'ghost'"):
        call_command("create_api_token", "ghost", stdout=StringIO(), stderr=StringIO())
