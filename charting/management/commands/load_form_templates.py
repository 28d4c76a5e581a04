"""`python manage.py load_form_templates`: load the built-in form templates, idempotently."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from charting.form_templates import LIBRARY_DIR, template_load_library
from clinic.errors import DomainError


class Command(BaseCommand):
    help = (
        "Load charting/library/*.json (screening checklists and observation forms). Re-running "
        "changes nothing; a changed file updates its version in place unless records use it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--library", type=Path, default=LIBRARY_DIR, help="Directory of template files."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            loaded = template_load_library(directory=options["library"])
        except DomainError as exc:
            raise CommandError(exc.message) from None
        for slug, version, action in loaded:
            self.stdout.write(f"{slug} v{version}: {action}")
        self.stdout.write(f"{len(loaded)} form template(s) checked.")
