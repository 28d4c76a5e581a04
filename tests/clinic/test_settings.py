"""Production settings, checked the way production starts: manage.py in a clean environment.

Each case is its own process with exactly the environment given; the processes are forked from
one warm interpreter (WarmPython below) instead of started from scratch, which saves ~1 s each.
"""

from __future__ import annotations

import json
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PRINT_SETTINGS = (
    "import json, django; from django.conf import settings; django.setup(); "
    "db = settings.DATABASES['default']; "
    "print(json.dumps({'DEBUG': settings.DEBUG, 'ALLOWED_HOSTS': settings.ALLOWED_HOSTS, "
    "'TIME_ZONE': settings.TIME_ZONE, 'ENGINE': db['ENGINE'], 'HOST': db.get('HOST'), "
    "'PORT': db.get('PORT'), 'NAME': db['NAME'], 'SSL_REDIRECT': settings.SECURE_SSL_REDIRECT, "
    "'SESSION_COOKIE_SECURE': settings.SESSION_COOKIE_SECURE}))"
)


def production_env(**overrides: str | None) -> dict[str, str]:
    """A clean environment like a production unit file: nothing inherited from this run."""
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": "/tmp",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "clinic.example.org",
        "SITE_URL": "https://clinic.example.org",
    }
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


class WarmPython:
    """`python <args>` in a process with exactly `env`, forked from one warm interpreter
    (tests/clinic/warm_python.py: only import-pure libraries preloaded, nothing of the
    project), so each case is a fresh process without paying Django's imports again."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[str] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "tests" / "clinic" / "warm_python.py")],
            cwd=ROOT,
            env={"PATH": "/usr/bin:/bin", "HOME": "/tmp"},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        ready = self.process.stdout.readline()
        assert json.loads(ready) == {"ready": True}, ready

    def run(self, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        if self.process is None or self.process.poll() is not None:
            self.start()
        assert self.process is not None and self.process.stdin and self.process.stdout
        self.process.stdin.write(json.dumps({"args": args, "env": env}) + "\n")
        self.process.stdin.flush()
        answer = json.loads(self.process.stdout.readline())
        return subprocess.CompletedProcess(
            [sys.executable, *args], answer["returncode"], answer["stdout"], answer["stderr"]
        )

    def stop(self) -> None:
        if self.process is not None:
            with self.process:  # closes stdin (the server then exits) and stdout, and waits
                pass
            self.process = None


WARM = WarmPython()


@pytest.fixture(scope="module", autouse=True)
def _warm_python() -> Iterator[None]:
    try:
        yield
    finally:
        WARM.stop()


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return WARM.run(args, env)


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env)


def settings_in(env: dict[str, str]) -> dict:
    result = run(["-c", PRINT_SETTINGS], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_check_deploy_is_clean_with_production_environment():
    result = check_deploy(production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"DEBUG": "1"}, "security.W018"),  # DEBUG on
        ({"SECRET_KEY": "short-key"}, "security.W009"),  # weak key
        ({"ALLOWED_HOSTS": None}, "security.W020"),  # no hosts
        ({"SECURE_SSL_REDIRECT": "0"}, "security.W008"),
        ({"SECURE_HSTS_SECONDS": "0"}, "security.W004"),
    ],
)
def test_check_deploy_still_catches_a_weakened_configuration(overrides, expected):
    # Proves the clean run above means something: each weakening is reported.
    result = check_deploy(production_env(**overrides))
    assert result.returncode != 0
    assert expected in result.stdout + result.stderr


def test_refuses_to_start_without_secret_key_when_debug_is_off():
    result = check_deploy(production_env(SECRET_KEY=None))
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_the_development_key_fails_check_deploy_if_it_reaches_a_server():
    # ALLOW_INSECURE_KEY is for the test suite; a server started with it must not pass.
    result = check_deploy(production_env(SECRET_KEY=None, ALLOW_INSECURE_KEY="1"))
    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


def test_debug_is_off_unless_asked_for():
    assert settings_in(production_env())["DEBUG"] is False
    assert settings_in(production_env(DEBUG="0"))["DEBUG"] is False
    assert settings_in(production_env(DEBUG="false"))["DEBUG"] is False
    dev = settings_in(production_env(DEBUG="1", SECRET_KEY=None, ALLOWED_HOSTS=None))
    assert dev["DEBUG"] is True
    assert dev["ALLOWED_HOSTS"] == ["localhost", "127.0.0.1", "[::1]"]
    assert dev["SSL_REDIRECT"] is False


def test_hosts_database_and_time_zone_come_from_the_environment():
    values = settings_in(
        production_env(
            ALLOWED_HOSTS="clinic.example.org, www.clinic.example.org",
            DATABASE_URL="postgres://clinic:pw@db.internal:5433/clinic_prod",
            TIME_ZONE="Europe/London",
        )
    )
    assert values["ALLOWED_HOSTS"] == ["clinic.example.org", "www.clinic.example.org"]
    assert values["ENGINE"] == "clinic.postgresql"  # Django's, plus the request deadline
    assert (values["HOST"], values["PORT"], values["NAME"]) == ("db.internal", 5433, "clinic_prod")
    assert values["TIME_ZONE"] == "Europe/London"
    assert values["SSL_REDIRECT"] is True
    assert values["SESSION_COOKIE_SECURE"] is True


def test_without_database_url_the_embedded_sqlite_is_used():
    values = settings_in(production_env())
    assert values["ENGINE"] == "django.db.backends.sqlite3"
    assert values["NAME"].endswith("db.sqlite3")


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"TOKEN_HASH_KEY": "x"}, "clinic.E002"),
        ({"TOKEN_HASH_KEY": "django-insecure-" + secrets.token_urlsafe(50)}, "clinic.E002"),
        ({"SECRET_KEY": "django-insecure-" + secrets.token_urlsafe(50)}, "clinic.E001"),
        ({"SECRET_KEY": "a" * 80}, "clinic.E001"),
        ({"SECRET_KEY_FALLBACKS": "short-old-key"}, "clinic.E001"),
        ({"DEBUG": "1", "ALLOWED_HOSTS": "clinic.example.org"}, "clinic.E003"),
    ],
)
def test_check_deploy_fails_on_weak_secrets_and_public_debug(overrides, expected):
    result = check_deploy(production_env(**overrides))
    assert result.returncode != 0
    assert expected in result.stdout + result.stderr


def test_debug_on_localhost_only_is_not_a_public_debug_error():
    result = check_deploy(production_env(DEBUG="1", ALLOWED_HOSTS="localhost,127.0.0.1"))
    assert "clinic.E003" not in result.stdout + result.stderr


@pytest.mark.parametrize("site_url", [None, "", "clinic.example.org", "/", "ftp://clinic.example"])
def test_check_deploy_fails_without_an_absolute_site_url(site_url):
    result = check_deploy(production_env(SITE_URL=site_url))
    assert result.returncode != 0
    assert "clinic.E004" in result.stdout + result.stderr


def test_site_url_defaults_to_the_development_server_under_debug():
    show = (
        "import django; from django.conf import settings; django.setup(); print(settings.SITE_URL)"
    )
    dev = production_env(DEBUG="1", SITE_URL=None, HOST="127.0.0.1", PORT="8123")
    assert run(["-c", show], dev).stdout.strip() == "http://127.0.0.1:8123"
    assert run(["-c", show], production_env(SITE_URL=None)).stdout.strip() == ""
