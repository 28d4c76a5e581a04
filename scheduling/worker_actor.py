"""The user background tasks act as: history rows and audit trails name "clinic-worker"
instead of nobody. It cannot log in (unusable password, not staff)."""

from __future__ import annotations

from django.contrib.auth.models import User

WORKER_USERNAME = "clinic-worker"


def worker_user() -> User:
    """The worker's user, created on first use. A superuser so the services' role and site
    checks pass for every site (it acts for the clinic, not for a person)."""
    user = User.objects.filter(username=WORKER_USERNAME).first()
    if user is None:
        user = User(
            username=WORKER_USERNAME,
            first_name="Clinic",
            last_name="worker",
            is_superuser=True,
            is_staff=False,
            is_active=True,
        )
        user.set_unusable_password()
        user.save()
    return user
