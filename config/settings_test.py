"""Settings for the test suite: production settings with the few changes tests need.

pytest uses this module (pyproject.toml). The production behaviour itself is tested by running
manage.py with config.settings in a subprocess (tests/clinic/test_settings.py).
"""

import os

# Tests run with DEBUG off, like production, but must not need a real SECRET_KEY.
os.environ.setdefault("ALLOW_INSECURE_KEY", "1")

from config.settings import *  # noqa: F403

# The test client speaks plain HTTP; with the redirect on, every request would be a 301.
SECURE_SSL_REDIRECT = False
# The slow, strong hasher buys nothing in tests and costs ~0.2 s per created user.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests never run collectstatic: whitenoise finds files per request instead of warning at
# start-up that STATIC_ROOT does not exist (warnings are errors in the suite).
WHITENOISE_AUTOREFRESH = True
# Background tasks run inline (django-q2 sync mode), so tests assert their effects directly.
Q_CLUSTER = {**Q_CLUSTER, "sync": True}  # noqa: F405
