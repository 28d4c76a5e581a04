"""Logins resist guessing without locking a clinic out: repeated failures lock the combination
of username and address (a clinic behind one NAT address shares it), API token failures are
limited per token prefix and per address without refusing a valid token, and the answer says
when to try again. The limits are LOGIN_FAILURE_LIMIT (10 by default) and
API_TOKEN_ADDRESS_FAILURE_LIMIT (30); the failure that reaches a limit is already answered
with the lockout."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from tests.conftest import ApiClient
from tests.support.factories import make_user

LIMIT = settings.LOGIN_FAILURE_LIMIT
ADDRESS_LIMIT = settings.API_TOKEN_ADDRESS_FAILURE_LIMIT
PASSWORD = "correct-horse-battery-1"


@pytest.fixture
def sam(site):
    user = make_user("sam", "scheduler", site)
    user.is_staff = True
    user.save()
    return user


def _post_login(client: Client, url: str, username: str, password: str, addr: str):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=addr)


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_many_wrong_passwords_lock_the_account_at_that_address_and_say_when_to_retry(sam, url):
    client = Client()
    for i in range(LIMIT):
        response = _post_login(client, url, "sam", f"wrong-{i}", "10.0.0.1")
        assert response.status_code in (200, 429)
    # The right password from the same address is refused until the cool-off ends.
    response = _post_login(Client(), url, "sam", PASSWORD, "10.0.0.1")
    assert response.status_code == 429
    assert "try again in 15 minutes" in response.content.decode()
    assert "manage.py axes_reset_ip_username 10.0.0.1 sam" in response.content.decode()
    assert response["Retry-After"] == str(15 * 60)
    assert "_auth_user_id" not in response.client.session


def test_a_locked_account_still_logs_in_from_another_address(sam):
    for i in range(LIMIT):
        _post_login(Client(), "/accounts/login/", "sam", f"wrong-{i}", "10.0.0.1")
    assert _post_login(Client(), "/accounts/login/", "sam", PASSWORD, "10.0.0.2").status_code == 302


def test_many_failures_from_one_address_do_not_lock_the_others_at_that_address(sam, site):
    # A clinic behind one NAT address: one user's (or one stale device's) failures must not
    # lock every colleague out.
    make_user("nina", "nurse", site)
    for i in range(2 * LIMIT):
        _post_login(Client(), "/accounts/login/", "sam", f"wrong-{i}", "10.0.0.9")
        _post_login(Client(), "/accounts/login/", f"nobody{i}", "x", "10.0.0.9")
    nina = _post_login(Client(), "/accounts/login/", "nina", PASSWORD, "10.0.0.9")
    assert nina.status_code == 302


def test_a_few_mistakes_do_not_lock_anyone_out(sam):
    for i in range(LIMIT - 1):
        _post_login(Client(), "/accounts/login/", "sam", f"wrong-{i}", "10.0.0.1")
    assert _post_login(Client(), "/accounts/login/", "sam", PASSWORD, "10.0.0.1").status_code == 302


def _token_get(token: str, addr: str):
    headers = {"Authorization": f"Bearer {token}"}
    return Client().get("/api/v1/me", headers=headers, REMOTE_ADDR=addr)


def test_wrong_tokens_lock_their_prefix_and_never_a_valid_token_from_that_address(sam):
    good = ApiClient(sam)
    statuses = [_token_get(f"ict_guessing{i:040d}", "127.0.0.1").status_code for i in range(20)]
    assert statuses[: LIMIT - 1] == [401] * (LIMIT - 1)
    assert set(statuses[LIMIT - 1 :]) == {429}
    # The guessed prefix is locked, wherever the next guess comes from.
    locked = _token_get("ict_guessingXYZ", "10.1.1.2")
    assert locked.status_code == 429
    assert locked.json()["code"] == "too_many_attempts"
    assert "try again in 15 minutes" in locked.json()["message"]
    assert "axes_reset_username token-prefix:ict_guessing" in locked.json()["message"]
    assert locked["Retry-After"] == str(15 * 60)
    # A valid token from the same address is answered.
    valid = good.client.get("/api/v1/me", headers=good.headers, REMOTE_ADDR="127.0.0.1")
    assert valid.status_code == 200


def test_many_wrong_token_prefixes_from_one_address_limit_that_address_not_valid_tokens(sam):
    good = ApiClient(sam)
    statuses = [
        _token_get(f"ict_{i:08d}rest", "10.1.1.1").status_code for i in range(ADDRESS_LIMIT)
    ]
    assert statuses == [401] * (ADDRESS_LIMIT - 1) + [429]
    # Another wrong token (new prefix) from that address: refused without counting.
    again = _token_get("ict_fresh000rest", "10.1.1.1")
    assert again.status_code == 429
    assert "axes_reset_username token-address:10.1.1.1" in again.json()["message"]
    # From elsewhere, a fresh wrong token is a plain 401; from the address, a valid one passes.
    assert _token_get("ict_fresh000rest", "10.1.1.3").status_code == 401
    valid = good.client.get("/api/v1/me", headers=good.headers, REMOTE_ADDR="10.1.1.1")
    assert valid.status_code == 200


def test_a_locked_prefix_stops_counting_against_its_address(sam):
    # A stale tablet token retried all day locks its own prefix, and its retries do not push
    # the address over its limit.
    for _ in range(3 * LIMIT):
        _token_get("ict_staletabXrest", "10.2.2.2")
    assert _token_get("ict_anotherXrest", "10.2.2.2").status_code == 401


# --- The reset commands docs/deployment.md documents clear what they say -------------------


def _lock_login(username: str, addr: str) -> None:
    for i in range(LIMIT):
        _post_login(Client(), "/accounts/login/", username, f"wrong-{i}", addr)


def test_axes_reset_username_unlocks_that_user_at_every_address(sam):
    _lock_login("sam", "10.0.0.1")
    _lock_login("sam", "10.0.0.2")
    call_command("axes_reset_username", "sam", stdout=io.StringIO())
    assert _post_login(Client(), "/accounts/login/", "sam", PASSWORD, "10.0.0.1").status_code == 302
    assert _post_login(Client(), "/accounts/login/", "sam", PASSWORD, "10.0.0.2").status_code == 302


def test_axes_reset_ip_username_unlocks_that_user_at_that_address_only(sam):
    _lock_login("sam", "10.0.0.1")
    _lock_login("sam", "10.0.0.2")
    call_command("axes_reset_ip_username", "10.0.0.1", "sam", stdout=io.StringIO())
    assert _post_login(Client(), "/accounts/login/", "sam", PASSWORD, "10.0.0.1").status_code == 302
    assert _post_login(Client(), "/accounts/login/", "sam", PASSWORD, "10.0.0.2").status_code == 429


def test_axes_reset_ip_unlocks_logins_and_tokens_from_that_address(sam):
    _lock_login("sam", "10.0.0.1")
    for i in range(ADDRESS_LIMIT):
        _token_get(f"ict_{i:08d}rest", "10.0.0.1")
    call_command("axes_reset_ip", "10.0.0.1", stdout=io.StringIO())
    assert _post_login(Client(), "/accounts/login/", "sam", PASSWORD, "10.0.0.1").status_code == 302
    assert _token_get("ict_fresh000rest", "10.0.0.1").status_code == 401


def test_axes_reset_username_clears_a_token_prefix_or_address_lock(sam):
    for _ in range(LIMIT):
        _token_get("ict_guessingrest", "10.0.0.5")
    for i in range(ADDRESS_LIMIT):
        _token_get(f"ict_{i:08d}rest", "10.0.0.6")
    call_command(
        "axes_reset_username",
        "token-prefix:ict_guessing",
        "token-address:10.0.0.6",
        stdout=io.StringIO(),
    )
    assert _token_get("ict_guessingrest", "10.0.0.7").status_code == 401
    assert _token_get("ict_fresh000rest", "10.0.0.6").status_code == 401


def test_behind_a_proxy_the_clients_address_header_is_what_is_locked(sam, site, settings):
    settings.LOGIN_CLIENT_IP_HEADER = "X-Real-IP"
    make_user("nina", "nurse", site)
    for i in range(LIMIT):
        Client().post(
            "/accounts/login/",
            {"username": f"nobody{i}", "password": "x"},
            REMOTE_ADDR="127.0.0.1",
            headers={"X-Real-IP": "203.0.113.5"},
        )
    other_client = Client().post(
        "/accounts/login/",
        {"username": "nina", "password": PASSWORD},
        REMOTE_ADDR="127.0.0.1",
        headers={"X-Real-IP": "203.0.113.6"},
    )
    assert other_client.status_code == 302
