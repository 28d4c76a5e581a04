"""`python manage.py load_protocols`: load the built-in protocol library, idempotently."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from protocols.builtin_library import LibraryError, library_entries, protocol_load_builtin
from protocols.spec import parse_spec
from protocols.spec_checks import spec_problems


class Command(BaseCommand):
    help = (
        "Load protocols/library/*.json as active built-in protocols. Re-running changes nothing; "
        "a changed file updates an unused version in place or adds the next version."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--library",
            type=Path,
            default=None,
            help="Directory of library files (default: protocols/library/).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            entries = library_entries(options["library"])
        except LibraryError as exc:
            # Every file is checked before any is loaded, so a bad file cannot half-load.
            raise CommandError(str(exc)) from None
        # The checks other apps registered (e.g. charting: the observation form's minimum fits
        # the observation window) read the database, so they run here, still before any write.
        problems = [
            f"{entry.path.name}: {problem.message}"
            for entry in entries
            for problem in spec_problems(parse_spec(entry.spec))
        ]
        if problems:
            raise CommandError("; ".join(problems))
        for entry in entries:
            _row, outcome = protocol_load_builtin(entry=entry)
            self.stdout.write(f"{entry.slug}: {outcome}")
        self.stdout.write(f"{len(entries)} built-in protocol(s) checked.")
