"""A draft of the Spravato REMS Patient Monitoring Form for one esketamine session, prefilled
from the record for staff to transcribe or attach (CLINICAL.md §3).

The field list comes from the monitoring form template (data, versioned), not from code, so a
clinic can follow a new version of the official form without a release. A DRAFT watermark line
says it is not the submission itself.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from reportlab.platypus import Flowable, Paragraph

from charting.documents.base import H2, SMALL, DocumentRenderer, PageFrame


@dataclass(frozen=True)
class RemsFieldLine:
    label: str
    value: str  # "" when the record does not hold it yet
    note: str = ""  # "late by 285 min": the checkpoint was taken outside its window


@dataclass(frozen=True)
class RemsFormData:
    site_name: str
    zone_name: str
    generated_at: dt.datetime
    patient_label: str
    session_number: int
    session_date: dt.date
    template_name: str
    template_version: int
    due_date: dt.date | None
    status: str  # "Due", "Submitted (...)", "Not queued yet"
    fields: list[RemsFieldLine]


class RemsFormRenderer(DocumentRenderer):
    title = "REMS monitoring form (draft)"

    def __init__(self, data: RemsFormData) -> None:
        super().__init__()
        self.data = data

    def frame(self) -> PageFrame:
        d = self.data
        return PageFrame(self.title, d.site_name, d.zone_name, d.generated_at, d.patient_label)

    def story(self) -> list[Flowable]:
        d = self.data
        due = "-" if d.due_date is None else f"{d.due_date:%d %b %Y}"
        out: list[Flowable] = [
            self.para(
                "DRAFT prefilled from the clinical record. Check every value against the "
                "current official form before transcribing or attaching it. Blank values are "
                "not in the record yet.",
                SMALL,
            ),
            self.facts(
                [
                    ("Session", f"{d.session_number} on {d.session_date:%d %b %Y}"),
                    ("Submit by", due),
                    ("Form template", f"{d.template_name} (v{d.template_version})"),
                    ("Status", d.status),
                ]
            ),
            Paragraph("Fields", H2),
        ]
        if not d.fields:
            return [*out, self.empty("The template lists no fields.")]
        rows = [
            [
                self.cell(f.label),
                self.cell(
                    (f.value or "________________") + (f" ({f.note})" if f.note else ""),
                    label=f.label,
                ),
            ]
            for f in d.fields
        ]
        out.append(self.table(["Field", "Value"], rows, widths=[55, 45]))
        return out
