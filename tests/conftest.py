"""Shared fixtures: a site with a calendar and resources, one persona per role, API clients.

Personas: Sam the scheduler, Nina the nurse, Carl the clinician, Ada the admin, and Olga who
works at another site (she must see nothing of Riverside's).
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client

from clinic.models import ApiToken, Patient, Site
from clinic.tokens import hash_token, new_token
from tests.support.factories import make_patient, make_site, make_user

os.environ.setdefault("ALLOW_INSECURE_KEY", "1")


# A test reaches the database only through one of these (pytest-django refuses any other access).
DATABASE_FIXTURES = frozenset(
    {
        "db",
        "transactional_db",
        "django_db_reset_sequences",
        "django_db_serialized_rollback",
        "live_server",
    }
)


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects: it must see the `uses_db` marks
def pytest_collection_modifyitems(config, items):
    # `make test-postgres` sets REQUIRE_POSTGRES: a PostgreSQL run that silently fell back to
    # SQLite would skip the very tests it exists for.
    if os.environ.get("REQUIRE_POSTGRES") and "postgres" not in os.environ.get("DATABASE_URL", ""):
        raise pytest.UsageError("REQUIRE_POSTGRES is set but DATABASE_URL is not PostgreSQL")
    # `uses_db`: the test touches the database, so its outcome may depend on which one. The
    # PostgreSQL run of `make test` selects these (README, "Tests"); a test without it runs
    # the same code on the same data whatever DATABASE_URL says.
    browser_dir = Path(__file__).resolve().parent / "browser"
    for item in items:
        # Every test in tests/browser/ drives chromium, marked in its module or not.
        if browser_dir in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)
        fixtures = set(getattr(item, "fixturenames", ()))
        if item.get_closest_marker("django_db") is not None or fixtures & DATABASE_FIXTURES:
            item.add_marker(pytest.mark.uses_db)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The test database also gets the cache table (`createcachetable`), as `make run` and a
    deployment do: calendar feeds cache their bodies and rate counts in it."""
    from django.core.management import call_command

    with django_db_blocker.unblock():
        call_command("createcachetable", verbosity=0)


@pytest.fixture(autouse=True)
def _postgres_marker_guard(request):
    """A test marked `postgres` fails (never skips) when the database is not PostgreSQL."""
    if request.node.get_closest_marker("postgres") is not None and "db" in request.fixturenames:
        assert connection.vendor == "postgresql", "this test needs PostgreSQL (make test-postgres)"


class ApiClient:
    """A test client for /api/v1 that authenticates with a real API token."""

    def __init__(self, user: User | None):
        self.user = user
        self.client = Client()
        self.headers: dict[str, str] = {}
        if user is not None:
            token = new_token("ict")
            ApiToken.objects.create(
                user=user, name="tests", prefix=token[:8], token_hash=hash_token(token)
            )
            self.headers["Authorization"] = f"Bearer {token}"

    def _url(self, path: str) -> str:
        return path if path.startswith("/") else f"/api/v1/{path}"

    def get(self, path: str, **params):
        return self.client.get(self._url(path), params, headers=self.headers)

    def post(self, path: str, data=None):
        return self.client.post(
            self._url(path), data or {}, content_type="application/json", headers=self.headers
        )

    def put(self, path: str, data=None):
        return self.client.put(
            self._url(path), data or {}, content_type="application/json", headers=self.headers
        )

    def patch(self, path: str, data=None):
        return self.client.patch(
            self._url(path), data or {}, content_type="application/json", headers=self.headers
        )

    def delete(self, path: str):
        return self.client.delete(self._url(path), headers=self.headers)


@pytest.fixture
def site(db) -> Site:
    return make_site()


@pytest.fixture
def other_site(db) -> Site:
    return make_site("hilltop", tz="Europe/London", country="GB")


@pytest.fixture
def scheduler(site) -> User:
    return make_user("sam", "scheduler", site)


@pytest.fixture
def nurse(site) -> User:
    return make_user("nina", "nurse", site)


@pytest.fixture
def clinician(site) -> User:
    return make_user("carl", "clinician", site)


@pytest.fixture
def admin_user(site) -> User:
    return make_user("ada", "admin", site)


@pytest.fixture
def outsider(other_site) -> User:
    """Olga: a scheduler at another site."""
    return make_user("olga", "scheduler", other_site)


@pytest.fixture
def patient(site) -> Patient:
    return make_patient(site, "MRN-001", family="Example", born=dt.date(1980, 5, 17))


@pytest.fixture
def api_as():
    """api_as(user) -> ApiClient authenticated as that user; api_as(None) is anonymous."""
    return ApiClient
