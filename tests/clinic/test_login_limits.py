"""Logins resist guessing: repeated failures are locked out per user and per address, and the
answer says when to try again. The limit is AXES_FAILURE_LIMIT (10 by default); the failure
that reaches it is already answered with the lockout."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from tests.conftest import ApiClient, make_user

LIMIT = settings.AXES_FAILURE_LIMIT
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
def test_many_wrong_passwords_lock_the_account_and_say_when_to_retry(sam, url):
    client = Client()
    for i in range(LIMIT):
        response = _post_login(client, url, "sam", f"wrong-{i}", "10.0.0.1")
        assert response.status_code in (200, 429)
    # The right password, even from another address, is refused until the cool-off ends.
    response = _post_login(Client(), url, "sam", PASSWORD, "10.0.0.2")
    assert response.status_code == 429
    assert "try again in 15 minutes" in response.content.decode()
    assert response["Retry-After"] == str(15 * 60)
    assert "_auth_user_id" not in response.client.session


def test_many_failures_from_one_address_lock_that_address(sam, site):
    make_user("nina", "nurse", site)
    for i in range(LIMIT):
        _post_login(Client(), "/accounts/login/", f"nobody{i}", "x", "10.0.0.9")
    locked = _post_login(Client(), "/accounts/login/", "nina", PASSWORD, "10.0.0.9")
    elsewhere = _post_login(Client(), "/accounts/login/", "nina", PASSWORD, "10.0.0.10")
    assert locked.status_code == 429
    assert elsewhere.status_code == 302


def test_a_few_mistakes_do_not_lock_anyone_out(sam):
    for i in range(LIMIT - 1):
        _post_login(Client(), "/accounts/login/", "sam", f"wrong-{i}", "10.0.0.1")
    assert _post_login(Client(), "/accounts/login/", "sam", PASSWORD, "10.0.0.1").status_code == 302


def test_failed_api_token_attempts_are_rate_limited_per_address(sam):
    good = ApiClient(sam)
    guesser = Client()
    for i in range(LIMIT - 1):
        response = guesser.get(
            "/api/v1/me", headers={"Authorization": f"Bearer ict_guess{i}"}, REMOTE_ADDR="10.1.1.1"
        )
        assert response.status_code == 401
    response = guesser.get(
        "/api/v1/me", headers={"Authorization": "Bearer ict_guess-more"}, REMOTE_ADDR="10.1.1.1"
    )
    assert response.status_code == 429
    assert response.json()["code"] == "too_many_attempts"
    assert "try again in 15 minutes" in response.json()["message"]
    assert response["Retry-After"] == str(15 * 60)
    # A client at another address is not affected.
    other = good.client.get("/api/v1/me", headers=good.headers, REMOTE_ADDR="10.1.1.2")
    assert other.status_code == 200


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
