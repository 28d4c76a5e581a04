"""acting_user: the typed way handlers and views get the signed-in staff user."""

from __future__ import annotations

import pytest
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpResponse
from django.test import RequestFactory

from clinic.errors import Unauthenticated
from clinic.permissions import acting_user


def test_acting_user_is_the_signed_in_user(nurse: User) -> None:
    request = RequestFactory().get("/")
    request.user = nurse
    assert acting_user(request) is nurse


def test_acting_user_unwraps_the_lazy_user_of_a_session_login(client, nurse: User) -> None:
    # Views get request.user as a SimpleLazyObject from AuthenticationMiddleware.
    client.force_login(nurse)
    request = RequestFactory().get("/")
    request.COOKIES = {name: morsel.value for name, morsel in client.cookies.items()}
    SessionMiddleware(lambda r: HttpResponse()).process_request(request)
    AuthenticationMiddleware(lambda r: HttpResponse()).process_request(request)
    assert acting_user(request) == nurse


def test_an_anonymous_request_is_401_not_a_crash(db) -> None:
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    with pytest.raises(Unauthenticated) as info:
        acting_user(request)
    assert (info.value.status, info.value.code) == (401, "unauthenticated")
