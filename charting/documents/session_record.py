"""A session record: the screening, treatment parameters, each observation checkpoint with its
due and taken times and values, alerts, who signed and when, and amendments beside the
original values (a signed record is amended, never edited; both values are printed)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from reportlab.platypus import Flowable, Paragraph

from charting.documents.base import H2, DocumentRenderer, PageFrame, local_text
from charting.documents.screening_checklist import ScreeningData, screening_flowables


@dataclass(frozen=True)
class ValueLine:
    checkpoint: str
    due_at: dt.datetime
    field: str
    value: str
    taken_at: dt.datetime | None
    recorded_by: str
    alert: str = ""
    superseded: bool = False  # replaced by an amendment: printed struck through and marked
    timing: str = ""  # "late by 285 min" / "early by 10 min" outside the checkpoint's window


@dataclass(frozen=True)
class AmendmentLine:
    field: str
    original: str
    replacement: str
    reason: str
    by: str
    at: dt.datetime


@dataclass(frozen=True)
class SessionRecordData:
    site_name: str
    zone_name: str
    generated_at: dt.datetime
    patient_label: str
    protocol: str
    session_number: int
    phase: str
    start: dt.datetime
    status: str
    resources: list[str]
    screenings: list[ScreeningData]
    parameters: list[tuple[str, str]]
    parameters_by: str
    anchor: str  # "Dose at 09:14" / "Procedure time not recorded"
    values: list[ValueLine]
    missing: list[str]  # checkpoints still open
    alerts: list[tuple[dt.datetime, str, str]]  # raised, message, review
    signed: str  # "Nina Nurse, Mon 09 Mar 2026 11:40" or ""
    amendments: list[AmendmentLine]


class SessionRecordRenderer(DocumentRenderer):
    title = "Session record"

    def __init__(self, data: SessionRecordData) -> None:
        super().__init__()
        self.data = data

    def frame(self) -> PageFrame:
        d = self.data
        return PageFrame(self.title, d.site_name, d.zone_name, d.generated_at, d.patient_label)

    def story(self) -> list[Flowable]:
        d = self.data
        out: list[Flowable] = [
            self.facts(
                [
                    ("Protocol", d.protocol),
                    ("Session", f"{d.session_number} ({d.phase})"),
                    ("Booked", local_text(d.start)),
                    ("Status", d.status),
                    ("Resources", ", ".join(d.resources) or "-"),
                    ("Signed", d.signed or "NOT SIGNED"),
                ]
            ),
            Paragraph("Screening", H2),
        ]
        if not d.screenings:
            out.append(self.empty("No screening recorded."))
        for screening in d.screenings:
            out += screening_flowables(self, screening)
        out.append(Paragraph("Treatment parameters", H2))
        if d.parameters:
            rows = [[self.cell(k), self.cell(v, label=k)] for k, v in d.parameters]
            out.append(self.table(["Parameter", "Value"], rows, widths=[35, 65]))
            out.append(self.para(f"Recorded by {d.parameters_by}"))
        else:
            out.append(self.empty("No treatment parameters recorded."))
        out.append(Paragraph("Observation", H2))
        out.append(self.para(d.anchor))
        if d.values:
            rows = []
            struck = []
            for i, v in enumerate(d.values, start=1):
                value = f"{v.value} (amended)" if v.superseded else v.value
                rows.append(
                    [
                        self.cell(v.checkpoint),
                        f"{v.due_at:%H:%M}",
                        self.cell(v.field),
                        self.cell(value, label=v.field),
                        "-"
                        if v.taken_at is None
                        else self.cell(f"{v.taken_at:%H:%M} {v.timing}".strip()),
                        self.cell(v.recorded_by),
                        self.cell(v.alert),
                    ]
                )
                if v.superseded:
                    struck.append(("TEXTCOLOR", (0, i), (-1, i), "#7b8794"))
                elif v.alert:
                    struck.append(("BACKGROUND", (0, i), (-1, i), "#fdecea"))
            out.append(
                self.table(
                    ["Checkpoint", "Due", "Field", "Value", "Taken", "By", "Alert"],
                    rows,
                    widths=[16, 7, 19, 14, 10, 14, 20],
                    extra=struck,
                )
            )
        else:
            out.append(self.empty("No observations recorded."))
        if d.missing:
            out.append(self.para("Still to record: " + "; ".join(d.missing)))
        out.append(Paragraph("Amendments", H2))
        if d.amendments:
            rows = [
                [
                    self.cell(a.field),
                    self.cell(a.original, label="Original"),
                    self.cell(a.replacement, label="Replacement"),
                    self.cell(a.reason, label="Amendment reason"),
                    self.cell(f"{a.by}, {local_text(a.at, '%d %b %Y %H:%M')}"),
                ]
                for a in d.amendments
            ]
            out.append(
                self.table(
                    ["Field", "Original", "Amended to", "Reason", "By"],
                    rows,
                    widths=[18, 14, 14, 30, 24],
                )
            )
        else:
            out.append(self.empty("No amendments."))
        out.append(Paragraph("Alerts", H2))
        if d.alerts:
            rows = [
                [
                    local_text(at, "%d %b %H:%M"),
                    self.cell(message, label="Alert"),
                    self.cell(review or "NOT YET REVIEWED", label="Review"),
                ]
                for at, message, review in d.alerts
            ]
            out.append(self.table(["Raised", "Alert", "Review"], rows, widths=[14, 50, 36]))
        else:
            out.append(self.empty("No alerts."))
        return out
