"""The built-in library (protocols/library/*.json): reading and checking its files, and bringing
each into the database as a built-in protocol version through protocols/services.py."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction

from clinic.clock import resolve_now
from protocols.models import Protocol
from protocols.services import protocol_create_version, protocol_update
from protocols.spec import SpecError, parse_spec

LIBRARY_DIR = Path(__file__).resolve().parent / "library"
_LIBRARY_KEYS = {"slug", "name", "indication", "modality", "version", "spec"}


@dataclass(frozen=True)
class LibraryEntry:
    """One library file: a built-in protocol as shipped with the code."""

    path: Path
    slug: str
    name: str
    indication: str
    modality: str
    version: int
    spec: dict[str, Any]


class LibraryError(ValueError):
    """A library file that cannot be loaded; the message names the file and the problem."""


def library_entries(directory: Path | None = None) -> list[LibraryEntry]:
    """Read and check every library file (sorted by name; default protocols/library/); raise
    LibraryError on the first bad one. Pure: reads files, touches no database."""
    entries = []
    for path in sorted((directory or LIBRARY_DIR).glob("*.json")):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise LibraryError(f"{path.name}: not valid JSON ({exc})") from None
        if not isinstance(data, dict) or set(data) != _LIBRARY_KEYS:
            keys = sorted(data) if isinstance(data, dict) else type(data).__name__
            raise LibraryError(f"{path.name}: expected keys {sorted(_LIBRARY_KEYS)}, got {keys}")
        try:
            parsed = parse_spec(data["spec"])
        except SpecError as exc:
            raise LibraryError(f"{path.name}: {exc}") from None
        if data["slug"] != path.stem:
            raise LibraryError(f"{path.name}: slug {data['slug']!r} must match the file name")
        if data["modality"] != parsed.modality.value:
            raise LibraryError(f"{path.name}: modality differs from spec.modality")
        if not isinstance(data["version"], int) or data["version"] < 1:
            raise LibraryError(f"{path.name}: version must be a whole number from 1")
        entries.append(
            LibraryEntry(
                path=path,
                slug=data["slug"],
                name=data["name"],
                indication=data["indication"],
                modality=data["modality"],
                version=data["version"],
                spec=data["spec"],
            )
        )
    return entries


def protocol_load_builtin(
    *, entry: LibraryEntry, now: dt.datetime | None = None
) -> tuple[Protocol | None, str]:
    """Bring one library entry into the database; returns (row, what happened).

    Idempotent: an unchanged entry touches nothing (an admin who retired a built-in version is
    not overruled). A changed entry updates the latest built-in version in place while no course
    uses it, and otherwise becomes the next version (the used one stays as it was). A slug whose
    latest version was made locally (not from the library) is left alone.
    """
    now = resolve_now(now)
    with transaction.atomic():
        # Race: two deploys running load_protocols at once would both decide to add the next
        # version. Lock the slug's rows first, then read the latest in a fresh statement (a
        # blocked SELECT ... FOR UPDATE would return the snapshot from before the other
        # loader's insert).
        list(Protocol.objects.select_for_update().filter(slug=entry.slug).values_list("pk"))
        latest = Protocol.objects.filter(slug=entry.slug).order_by("-version").first()
        if latest is None:
            row = protocol_create_version(
                slug=entry.slug,
                name=entry.name,
                indication=entry.indication,
                spec=entry.spec,
                status=Protocol.Status.ACTIVE,
                by=None,
                builtin=True,
                version=entry.version,
                now=now,
            )
            return row, f"created v{row.version}"
        if not latest.builtin:
            return latest, f"skipped: v{latest.version} is a local version, not from the library"
        if (latest.spec, latest.name, latest.indication) == (
            entry.spec,
            entry.name,
            entry.indication,
        ):
            return latest, f"unchanged v{latest.version}"
        if latest.in_use:
            row = protocol_create_version(
                slug=entry.slug,
                name=entry.name,
                indication=entry.indication,
                spec=entry.spec,
                status=Protocol.Status.ACTIVE,
                by=None,
                builtin=True,
                version=entry.version,
                now=now,
            )
            return row, f"created v{row.version} (v{latest.version} is used by courses)"
        row = protocol_update(
            protocol=latest,
            by=None,
            name=entry.name,
            indication=entry.indication,
            spec=entry.spec,
            now=now,
        )
        return row, f"updated v{row.version} in place (no course uses it)"
