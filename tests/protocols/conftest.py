"""Protocol fixtures: a superuser, the only person who may change a built-in protocol."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User


@pytest.fixture
def superuser(site) -> User:
    """Root: edits built-ins (protocols/library), which every site books."""
    user = User.objects.create_superuser("root", password="correct-horse-battery-1")
    site.staff.add(user)
    return user
