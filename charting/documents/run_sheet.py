"""The daily run sheet of a site: every session of the day grouped by resource and ordered by
time, with what each needs (screening due, checkpoint times, ride home arranged)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from reportlab.lib.pagesizes import LETTER, landscape
from reportlab.platypus import Flowable, KeepTogether, Paragraph

from charting.documents.base import H3, DocumentRenderer, PageFrame


@dataclass(frozen=True)
class RunSheetLine:
    resource: str
    start: dt.datetime  # in the site's zone
    end: dt.datetime
    observation_end: dt.datetime
    patient: str
    mrn: str
    treatment: str
    session_number: int
    status: str
    needs: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class RunSheetData:
    site_name: str
    zone_name: str
    generated_at: dt.datetime
    day: dt.date
    lines: list[RunSheetLine]


class RunSheetRenderer(DocumentRenderer):
    pagesize = landscape(LETTER)
    title = "Daily run sheet"

    def __init__(self, data: RunSheetData) -> None:
        super().__init__()
        self.data = data

    def frame(self) -> PageFrame:
        d = self.data
        return PageFrame(
            f"{self.title} {d.day:%a %d %b %Y}", d.site_name, d.zone_name, d.generated_at
        )

    def story(self) -> list[Flowable]:
        d = self.data
        active = [line for line in d.lines if line.status not in ("Cancelled", "No-show")]
        dropped = len(d.lines) - len(active)
        summary = f"{d.day:%A %d %B %Y}: {len(active)} session(s) booked"
        if dropped:
            summary += f", {dropped} cancelled or missed"
        out: list[Flowable] = [self.para(f"{summary}. Times are local ({d.zone_name}).")]
        if not d.lines:
            return [*out, self.empty("No sessions on this day.")]
        by_resource: dict[str, list[RunSheetLine]] = {}
        for line in sorted(d.lines, key=lambda x: (x.resource, x.start)):
            by_resource.setdefault(line.resource, []).append(line)
        for resource, lines in by_resource.items():
            rows = [
                [
                    f"{x.start:%H:%M}-{x.end:%H:%M}"
                    + (f" (obs to {x.observation_end:%H:%M})" if x.observation_end > x.end else ""),
                    self.cell(f"{x.patient} ({x.mrn})"),
                    self.cell(f"{x.treatment}, session {x.session_number}"),
                    x.status,
                    self.cell("; ".join(x.needs) or "-", label=f"{x.patient} needs"),
                ]
                for x in lines
            ]
            table = self.table(
                ["Time", "Patient", "Treatment", "Status", "Needs"],
                rows,
                widths=[17, 20, 22, 9, 32],
            )
            if len(rows) <= 12:
                out.append(KeepTogether([Paragraph(resource, H3), table]))
            else:
                out += [Paragraph(resource, H3), table]
        return out
