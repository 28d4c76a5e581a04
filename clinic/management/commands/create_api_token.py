"""Create an API token for a user and print it once."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from clinic.errors import DomainError
from clinic.services import api_token_create


class Command(BaseCommand):
    help = (
        "Create an API token for USERNAME and print it. Only a hash is stored: the token "
        "cannot be shown again, so copy it now."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--name", default="cli", help="What the token is for (shown in the admin)."
        )

    def handle(self, *args: Any, username: str, name: str, **options: Any) -> None:
        User = get_user_model()
        try:
            user = User.objects.get(**{User.USERNAME_FIELD: username})
        except User.DoesNotExist as exc:
            raise CommandError(f"No user named {username!r}.") from exc
        try:
            token, raw = api_token_create(user=user, name=name)
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        # The raw token alone on stdout, so `TOKEN=$(manage.py create_api_token ...)` works.
        self.stderr.write(
            f"Token {token.prefix}… ({token.name!r}) for {username}; it is not stored and "
            "will not be shown again. Send it as 'Authorization: Bearer <token>'."
        )
        self.stdout.write(raw)
