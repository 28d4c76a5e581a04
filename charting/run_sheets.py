"""Storing a site's run sheet for a day (the evening job, or on demand): render it from the
day's sessions and keep the PDF so the morning team downloads what was planned overnight."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from charting.documents.run_sheet import RunSheetRenderer
from charting.models import RunSheet
from charting.selectors.documents.run_sheet import run_sheet_data
from clinic.clock import resolve_now
from clinic.models import Site


def run_sheet_store(*, site: Site, day: dt.date, now: dt.datetime | None = None) -> RunSheet:
    """Render the run sheet of `day` (the site's local date) and store it, replacing an
    earlier one for the same site and day."""
    now = resolve_now(now)
    data = run_sheet_data(site=site, day=day, now=now)
    pdf = RunSheetRenderer(data).render()
    with transaction.atomic():
        sheet, _ = RunSheet.objects.update_or_create(
            site=site,
            day=day,
            defaults={"pdf": pdf, "session_count": len(data.lines), "generated_at": now},
        )
    return sheet
