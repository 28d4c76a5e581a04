"""One settings module, driven by the environment.

Production-safe by default: DEBUG is off, SECRET_KEY must be given unless DEBUG is on, and the
security headers/cookies that `manage.py check --deploy` asks for are on. `make run` sets
DEBUG=1 for local development; `DATABASE_URL` switches from the embedded SQLite to PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG and not env_bool("ALLOW_INSECURE_KEY", False):
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off")
    # Development and test only: a fixed key would let anyone forge sessions in production.
    # The "django-insecure-" prefix makes `check --deploy` fail (security.W009) if it ever
    # reaches a server through ALLOW_INSECURE_KEY.
    SECRET_KEY = "django-insecure-dev-key-do-not-use-in-production-0123456789abcdef"
# Rotation: move the old key here so existing sessions and signed values stay valid meanwhile.
SECRET_KEY_FALLBACKS = env_list("SECRET_KEY_FALLBACKS")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # ninja's own copy of Swagger UI, so /api/v1/docs needs no CDN (the clinic may be offline).
    "ninja",
    "django.contrib.postgres",
    "simple_history",
    "django_q",
    "axes",
    "clinic",
    "protocols",
    "scheduling",
    "charting",
    # The demo clinic of `make run` (manage.py seed_demo), above every app.
    "demo",
]

MIDDLEWARE = [
    # First, so it answers for every failure below it (503 database_unavailable, 500 with id).
    "config.request_failures.RequestFailureMiddleware",
    # Second: no request waits on the database past DB_REQUEST_DEADLINE_SECONDS (a frozen
    # server included); what it cancels, the middleware above answers with 503.
    "clinic.db_deadline.DatabaseDeadlineMiddleware",
    # JSON 405/413/415 and body checks for /api/ before any handler runs.
    "clinic.api.http_errors.ApiEdgeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Static files from the service itself in production (after collectstatic): no CDN, no
    # separate web server needed on a clinic's network.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After whitenoise (static files stay cacheable): authenticated answers are not stored,
    # and the Content-Security-Policy below (django-csp).
    "clinic.browser_privacy.PrivateResponseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Before the idle timeout, so the login page can say why the session ended.
    "django.contrib.messages.middleware.MessageMiddleware",
    # A staff session unused for STAFF_SESSION_IDLE_MINUTES ends (clinic/browser_privacy.py).
    "clinic.browser_privacy.StaffIdleTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it answers locked-out login attempts.
    "axes.middleware.AxesMiddleware",
]

# Login lockout (django-axes; clinic/login_limits.py, docs/deployment.md "Logins"): after
# LOGIN_FAILURE_LIMIT failures for one username at one address (never the address alone: a
# clinic behind NAT shares it), further attempts are refused for LOGIN_COOLOFF_MINUTES, on the
# login page and the admin; API tokens are limited per prefix and per address.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "10"))
# Wrong API tokens from one address (any prefix) before that address's wrong tokens get 429.
# Higher than the per-prefix limit: a few stale tablets behind one NAT address (each stops
# counting once its own prefix is locked) must not reach it. Valid tokens are never refused.
API_TOKEN_ADDRESS_FAILURE_LIMIT = int(
    os.environ.get("API_TOKEN_ADDRESS_FAILURE_LIMIT", str(3 * LOGIN_FAILURE_LIMIT))
)
AXES_FAILURE_LIMIT = "clinic.login_limits.failure_limit"
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("LOGIN_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = "clinic.login_limits.lockout_parameters"
AXES_RESET_ON_SUCCESS = True
# Lockouts are still logged (at WARNING); this only drops axes' per-attempt chatter.
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "clinic.login_limits.lockout_response"
# Behind a proxy REMOTE_ADDR is the proxy's: name the header it sets to the client's address
# (e.g. X-Real-IP), or every user shares one address lock (docs/deployment.md, "Logins").
LOGIN_CLIENT_IP_HEADER = os.environ.get("LOGIN_CLIENT_IP_HEADER", "")
AXES_CLIENT_IP_CALLABLE = "clinic.login_limits.client_ip"

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "clinic.context_processors.staff_nav",
                "charting.context_processors.alert_nav",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
# Bounded waits (docs/deployment.md, "Database timeouts"): a frozen or overloaded database
# answers 503 database_unavailable after these, instead of holding a worker for minutes.
DB_CONNECT_TIMEOUT = int(os.environ.get("DB_CONNECT_TIMEOUT", "5"))  # seconds
DB_STATEMENT_TIMEOUT_MS = int(os.environ.get("DB_STATEMENT_TIMEOUT_MS", "15000"))
# A booking waiting behind another transaction's row lock gives up after this.
DB_LOCK_TIMEOUT_MS = int(os.environ.get("DB_LOCK_TIMEOUT_MS", "5000"))
# What a 503 tells the client to wait before trying again.
DB_RETRY_AFTER_SECONDS = int(os.environ.get("DB_RETRY_AFTER_SECONDS", "5"))
# The client side (clinic/db_deadline.py): the server's own timeouts cannot fire on a frozen
# server. A request's database work ends at this deadline (its query cancelled, or its
# connection cut), answered 503; 0 turns it off.
DB_REQUEST_DEADLINE_SECONDS = float(os.environ.get("DB_REQUEST_DEADLINE_SECONDS", "15"))
# A connection whose server vanished (host down, network gone) is dropped after this much
# unacknowledged data or failed keepalives, also for background tasks, which have no deadline.
DB_TCP_USER_TIMEOUT_MS = int(os.environ.get("DB_TCP_USER_TIMEOUT_MS", "15000"))
# A connection kept between requests (CONN_MAX_AGE) is checked before reuse, so one that died
# with a database restart is replaced instead of failing the request.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "connect_timeout": DB_CONNECT_TIMEOUT,
            "keepalives": 1,
            "keepalives_idle": 10,
            "keepalives_interval": 5,
            "keepalives_count": 3,
            "tcp_user_timeout": DB_TCP_USER_TIMEOUT_MS,
            "options": (
                f"-c statement_timeout={DB_STATEMENT_TIMEOUT_MS} "
                f"-c lock_timeout={DB_LOCK_TIMEOUT_MS} "
                # A query whose client went away (its request deadline cut the connection) is
                # stopped within this, instead of running on to the statement timeout.
                "-c client_connection_check_interval=2000"
            ),
        }
    )
    # Django's backend plus the request deadline on new connections (clinic/postgresql/base.py).
    DATABASES["default"]["ENGINE"] = "clinic.postgresql"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Many short writes (booking, charting) from web and worker processes at once: wait for the
    # lock instead of failing with "database is locked", and take the write lock at BEGIN so a
    # read-then-write transaction cannot deadlock against another one.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
# Storage is always UTC; each Site plans in its own IANA zone. TIME_ZONE is only the default
# zone for new sites and for the admin's display.
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
DEFAULT_SITE_TIMEZONE = os.environ.get("DEFAULT_SITE_TIMEZONE", "America/New_York")
# The right-hand side of calendar event UIDs (session-<id>@<domain>). Set it once per deployment
# and never change it: calendars match events by UID, so a new domain duplicates every event.
CALENDAR_UID_DOMAIN = os.environ.get("CALENDAR_UID_DOMAIN", "interventional-clinic.invalid")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Gzip/Brotli copies written by collectstatic; names stay unhashed so templates render
    # the same with or without a collectstatic run.
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# The service's public address (scheme, host, optional path prefix): the base of the links in
# emails (urgent alerts), which the worker sends without a request to build one from.
# `check --deploy` fails unless it is absolute (clinic/checks.py). `make run` (DEBUG) defaults
# to the development server's own address, http://HOST:PORT.
SITE_URL = os.environ.get("SITE_URL", "").strip()
if not SITE_URL and DEBUG:
    _dev_host = os.environ.get("HOST", "127.0.0.1")
    # runserver bound to every interface is still reached as localhost on this machine.
    _dev_host = "localhost" if _dev_host in ("0.0.0.0", "::", "[::]") else _dev_host
    SITE_URL = f"http://{_dev_host}:{os.environ.get('PORT', '8000')}"

# Development only: pin "now" for the web pages (e.g. CLINIC_NOW=2027-01-11T14:00:00+00:00 for
# screenshots of a fixed day). Ignored unless DEBUG; tests set the setting itself.
CLINIC_NOW = (os.environ.get("CLINIC_NOW") or None) if DEBUG else None

LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/"
LOGOUT_REDIRECT_URL = "/accounts/login/"

# Security: strict unless DEBUG. Behind a TLS-terminating proxy set SECURE_PROXY_SSL_HEADER.
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Asking browsers to hard-code HTTPS for the whole domain (the preload list) is hard to undo
# and is the domain owner's call, not this app's; check --deploy warns about it only because
# it is off. Everything else it checks is on by default. See docs/deployment.md.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# One Content-Security-Policy for every page (django-csp): scripts and styles from the service
# itself only; the one inline style block (the resource grid's layout) carries the nonce.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}
# The patient's pages (/p/<token>/) load nothing at all: their styles are inline (nonce), the
# QR code and charts inline SVG (scheduling/views/patient_link.py patient_page_policy).
PATIENT_PAGE_CSP = {
    "default-src": [NONE],
    "style-src": [NONCE],
    "img-src": [SELF, "data:"],
    "form-action": [SELF],
    "base-uri": [NONE],
    "frame-ancestors": [NONE],
}
# A staff session unused this long is logged out on its next request (a shared ward PC).
STAFF_SESSION_IDLE_MINUTES = int(os.environ.get("STAFF_SESSION_IDLE_MINUTES", "30"))
if env_bool("USE_X_FORWARDED_PROTO", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# A session's check-in opens this long before its start (on its own day) and closes at its end
# (scheduling/check_in_window.py); a clinician may override with a reason.
CHECK_IN_OPENS_MINUTES_BEFORE = int(os.environ.get("CHECK_IN_OPENS_MINUTES_BEFORE", "120"))

# django-q2: the ORM broker needs nothing else installed; set Q_REDIS_URL to scale out.
Q_CLUSTER = {
    "name": "clinic",
    "workers": int(os.environ.get("Q_WORKERS", "2")),
    # A task running longer than `timeout` seconds is killed; one taken but not finished is
    # offered again after `retry` seconds (> timeout). Env-driven for the worker-stall test.
    "timeout": int(os.environ.get("Q_TIMEOUT", "120")),
    "retry": int(os.environ.get("Q_RETRY", "300")),
    "orm": "default",
    "catch_up": False,
    "sync": env_bool("Q_SYNC", False),
    # A failing task is retried (after `retry` seconds) at most this many times in all, then
    # stays in the admin's "Failed tasks" list (django_q) for someone to look at.
    "max_attempts": int(os.environ.get("Q_MAX_ATTEMPTS", "3")),
}
if os.environ.get("Q_REDIS_URL"):
    Q_CLUSTER.pop("orm")
    Q_CLUSTER["redis"] = os.environ["Q_REDIS_URL"]

# Email (patient reminders, the clinicians' monitoring-form list): printed to the console in
# development; SMTP from these variables in production (docs/deployment.md).
EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Implicit TLS (port 465); `check --deploy` warns when neither is on for a remote host.
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "clinic@localhost")
# Local hour (at each site) from which the day-before reminders, the morning list of REMS
# monitoring forms and the evening run sheet go out.
REMINDER_LOCAL_HOUR = int(os.environ.get("REMINDER_LOCAL_HOUR", "9"))
MONITORING_DIGEST_LOCAL_HOUR = int(os.environ.get("MONITORING_DIGEST_LOCAL_HOUR", "8"))
RUN_SHEET_LOCAL_HOUR = int(os.environ.get("RUN_SHEET_LOCAL_HOUR", "18"))

# Caches. "feeds" is the database table made by `manage.py createcachetable` (make run, the
# test setup and docs/deployment.md run it): built calendar feed bodies by ETag and per-token
# feed request counts, shared by every worker (scheduling/feed_limits.py).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "feeds": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "django_cache",
        "OPTIONS": {"MAX_ENTRIES": int(os.environ.get("FEED_CACHE_MAX_ENTRIES", "5000"))},
    },
}
FEED_BODY_CACHE_SECONDS = int(os.environ.get("FEED_BODY_CACHE_SECONDS", "86400"))
# One build of a feed body at a time: a request finding another building it waits up to
# FEED_BUILD_WAIT_SECONDS for that body (then 503 with Retry-After); a builder's lock ages out
# after FEED_BUILD_LOCK_SECONDS if its worker died (scheduling/feed_limits.py).
FEED_BUILD_WAIT_SECONDS = float(os.environ.get("FEED_BUILD_WAIT_SECONDS", "20"))
FEED_BUILD_LOCK_SECONDS = int(os.environ.get("FEED_BUILD_LOCK_SECONDS", "120"))
# At most FEED_RATE_LIMIT feed requests per token per FEED_RATE_WINDOW seconds (then 429). A
# calendar app polls every 15 minutes to a few hours; this allows a burst of retries.
FEED_RATE_LIMIT = int(os.environ.get("FEED_RATE_LIMIT", "30"))
FEED_RATE_WINDOW = int(os.environ.get("FEED_RATE_WINDOW", "300"))

# Pepper for API and feed token hashes: a leaked database alone cannot be used to derive tokens.
TOKEN_HASH_KEY = os.environ.get("TOKEN_HASH_KEY", SECRET_KEY)

LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Feed and patient-link tokens travel in URL paths, which Django's log lines name: every
    # handler rewrites them (clinic/log_redaction.py). A new handler needs the filter too
    # (tests/clinic/test_log_redaction.py checks every handler).
    "filters": {
        "redact_tokens": {"()": "clinic.log_redaction.RedactTokens"},
        # A 403 or 404 page logs one line; 500s keep their traceback (config/request_failures.py).
        "client_errors_one_line": {"()": "config.request_failures.ClientErrorsWithoutTraceback"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact_tokens"]}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # Django's defaults (django.utils.log.DEFAULT_LOGGING) give these loggers handlers of their
    # own, without the filter; here they write through the root's handler instead.
    "loggers": {
        "django": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        "django.server": {"handlers": [], "level": LOG_LEVEL, "propagate": True},
        "django.request": {
            "handlers": [],
            "level": LOG_LEVEL,
            "propagate": True,
            "filters": ["client_errors_one_line"],
        },
    },
}
