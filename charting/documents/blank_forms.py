"""Blank printable forms for paper downtime: each screening checklist and observation form
as boxes to fill in by hand, sized for handwriting (at least 9 mm a line), from the same
template versions the electronic forms use."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from charting.documents.base import BODY, H2, H3, SMALL, DocumentRenderer, PageFrame

LINE = 9 * mm  # one handwritten line
BOX = '<font name="ZapfDingbats" size="11">o</font>'


@dataclass(frozen=True)
class BlankField:
    label: str
    type: str  # yes_no | number | blood_pressure | choice | text | time
    unit: str = ""
    choices: list[str] = field(default_factory=list)
    help: str = ""


@dataclass(frozen=True)
class BlankCheckpoint:
    label: str
    when: str  # "40 min after the dose"
    fields: list[BlankField]


@dataclass(frozen=True)
class BlankFormData:
    site_name: str
    zone_name: str
    generated_at: dt.datetime
    name: str
    slug: str
    version: int
    kind: str  # screening | observation
    description: str
    fields: list[BlankField]
    checkpoints: list[BlankCheckpoint]


def answer_markup(f: BlankField) -> tuple[str, int]:
    """The printed answer space for a field and how many handwriting lines it needs."""
    if f.type == "yes_no":
        return f"{BOX} Yes &nbsp;&nbsp;&nbsp; {BOX} No", 1
    if f.type == "choice":
        options = " &nbsp;&nbsp; ".join(f"{BOX} {escape(c)}" for c in f.choices)
        return options, max(1, (len(f.choices) + 2) // 3)
    if f.type == "blood_pressure":
        return "________ / ________ mmHg", 1
    if f.type == "time":
        return "____ : ____ (24 h)", 1
    if f.type == "number":
        return f"__________ {escape(f.unit)}", 1
    return "", 3  # text: three blank lines


class BlankFormRenderer(DocumentRenderer):
    title = "Paper form"

    def __init__(self, data: BlankFormData) -> None:
        super().__init__()
        self.data = data
        self.title = f"{data.name} (paper)"

    def frame(self) -> PageFrame:
        d = self.data
        # No patient on a blank form: the identity block below is filled in by hand.
        return PageFrame(self.title, d.site_name, d.zone_name, d.generated_at, "")

    def _identity(self) -> Table:
        w = self.content_width
        rows = [
            ["Patient name", "", "MRN", ""],
            ["Date of birth", "", "Date", ""],
            ["Session number", "", "Staff initials", ""],
        ]
        table = Table(
            rows, colWidths=[w * 0.16, w * 0.34, w * 0.16, w * 0.34], rowHeights=[LINE] * 3
        )
        table.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, -1), "Helvetica", 8),
                    ("GRID", (0, 0), (-1, -1), 0.6, "#52606d"),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                    ("BACKGROUND", (0, 0), (0, -1), "#f0f4f8"),
                    ("BACKGROUND", (2, 0), (2, -1), "#f0f4f8"),
                ]
            )
        )
        return table

    def _fields(self, fields: list[BlankField]) -> Table:
        w = self.content_width
        rows = []
        heights = []
        for f in fields:
            label = escape(f.label) + (
                f"<br/><font size=7>{escape(f.help)}</font>" if f.help else ""
            )
            markup, lines = answer_markup(f)
            rows.append([Paragraph(label, SMALL), Paragraph(markup, BODY)])
            heights.append(LINE * lines)
        table = Table(rows, colWidths=[w * 0.48, w * 0.52], rowHeights=heights)
        table.setStyle(
            TableStyle(
                [
                    ("GRID", (0, 0), (-1, -1), 0.6, "#52606d"),
                    ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ]
            )
        )
        return table

    def story(self) -> list[Flowable]:
        d = self.data
        out: list[Flowable] = [
            self.para(
                f"Template {d.slug} version {d.version}. Enter this form into the record "
                "when the system is back, with the time each value was taken.",
                SMALL,
            ),
            Spacer(1, 4),
            self._identity(),
            Spacer(1, 6),
        ]
        if d.description:
            out.append(self.para(d.description, SMALL))
        if d.kind == "screening":
            out.append(Paragraph("Questions", H2))
            out.append(self._fields(d.fields) if d.fields else self.empty("No questions."))
        for cp in d.checkpoints:
            head = [
                Paragraph(f"{escape(cp.label)} <font size=8>({escape(cp.when)})</font>", H3),
                self.para("Time taken: ____ : ____      Initials: ________", SMALL),
                Spacer(1, 2),
            ]
            out.append(KeepTogether([*head, self._fields(cp.fields)]))
        out.append(Spacer(1, 10))
        out.append(
            self.para(
                "Signature: ______________________________    Date/time: ____________________", BODY
            )
        )
        return out
