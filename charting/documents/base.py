"""The renderer base class every PDF document shares (pretix's renderer-class pattern).

A document subclasses `DocumentRenderer`, sets the class attributes it needs (page size,
margins, title) and implements `story()`; `render()` returns the PDF bytes. Every page carries
the site name, the patient's identifier on patient documents, "Page X of Y" and the time the
document was generated in the site's zone.

"Page X of Y" needs the page count before the footers are drawn, which platypus only knows at
the end: `NumberedCanvas` keeps each page's state instead of emitting it, and draws every header
and footer once the last page is known (the two-pass canvas from the reportlab FAQ).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from io import BytesIO
from typing import Any, ClassVar
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

# A table row cannot split across pages, so one cell taller than a page stops the whole
# document (reportlab's LayoutError). Free text longer than this is cut in its cell and printed
# in full in the "Notes" section at the end, where paragraphs can break across pages.
CELL_TEXT_LIMIT = 600
# Characters that fit the narrowest table column (about 25 mm at 8 pt) without wrapping.
SHORT_CELL = 14


@dataclass(frozen=True)
class PageFrame:
    """What every page says around the content."""

    title: str
    site_name: str
    zone_name: str
    generated_at: dt.datetime  # aware, in the site's zone
    patient_label: str = ""  # "Name, MRN 123, DOB 1980-05-17" on patient documents


def local_text(when: dt.datetime | None, fmt: str = "%a %d %b %Y %H:%M") -> str:
    """An aware datetime as wall-clock text (already converted to the site's zone)."""
    return "" if when is None else when.strftime(fmt)


def yes_no(value: Any) -> str:
    if value is True:
        return "Yes"
    if value is False:
        return "No"
    if value is None or value == "":
        return "-"
    if isinstance(value, dict):
        if {"systolic", "diastolic"} <= value.keys():
            return f"{value['systolic']}/{value['diastolic']}"
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return str(value)


STYLES = getSampleStyleSheet()
BODY = ParagraphStyle("body", parent=STYLES["BodyText"], fontSize=9, leading=11)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=8, leading=9.5)
TITLE = ParagraphStyle("title", parent=STYLES["Title"], fontSize=16, leading=19, spaceAfter=4)
# keepWithNext: a heading never ends a page without its table.
H2 = ParagraphStyle(
    "h2", parent=STYLES["Heading2"], fontSize=12, leading=14, spaceBefore=8, keepWithNext=1
)
H3 = ParagraphStyle(
    "h3", parent=STYLES["Heading3"], fontSize=10, leading=12, spaceBefore=6, keepWithNext=1
)

GRID = TableStyle(
    [
        ("FONT", (0, 0), (-1, -1), "Helvetica", 8),
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8edf3")),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa5b1")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
)


class NumberedCanvas(canvas.Canvas):
    """Holds every page back until the end, then draws the frame with "Page X of Y"."""

    def __init__(self, *args: Any, frame: PageFrame, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._frame = frame
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            self._draw_frame(number, total)
            super().showPage()
        super().save()

    def _draw_frame(self, number: int, total: int) -> None:
        frame = self._frame
        width, height = self._pagesize
        left, right = 15 * mm, width - 15 * mm
        self.saveState()
        self.setFont("Helvetica-Bold", 9)
        self.drawString(left, height - 10 * mm, frame.site_name[:90])
        self.setFont("Helvetica", 9)
        self.drawRightString(right, height - 10 * mm, frame.title[:80])
        if frame.patient_label:
            self.setFont("Helvetica", 8)
            self.drawString(left, height - 14 * mm, frame.patient_label[:140])
        self.setStrokeColor(colors.HexColor("#9aa5b1"))
        self.line(left, height - 15.5 * mm, right, height - 15.5 * mm)
        self.line(left, 12.5 * mm, right, 12.5 * mm)
        self.setFont("Helvetica", 7.5)
        generated = frame.generated_at.strftime("%Y-%m-%d %H:%M %Z")
        self.drawString(left, 8 * mm, f"Generated {generated} ({frame.zone_name})")
        self.drawRightString(right, 8 * mm, f"Page {number} of {total}")
        self.restoreState()


class DocumentRenderer:
    """Base class: subclasses set the class attributes and implement `story()`.

    `render()` lays the story out into a BytesIO and returns the PDF. Text from the database
    goes through `para()`/`cell()`, which escape it (a name with "&" or "<" must not break the
    markup) and move over-long text to the Notes section.
    """

    pagesize: ClassVar[tuple[float, float]] = LETTER
    margin_left: ClassVar[float] = 15 * mm
    margin_right: ClassVar[float] = 15 * mm
    margin_top: ClassVar[float] = 20 * mm
    margin_bottom: ClassVar[float] = 17 * mm
    # Per class; a renderer may set its own per document (the blank form names its template).
    title: str = "Document"

    def __init__(self) -> None:
        self._notes: list[tuple[str, str]] = []

    # -- to implement ------------------------------------------------------------------------

    def frame(self) -> PageFrame:
        raise NotImplementedError

    def story(self) -> list[Flowable]:
        raise NotImplementedError

    # -- helpers for subclasses --------------------------------------------------------------

    @property
    def content_width(self) -> float:
        return self.pagesize[0] - self.margin_left - self.margin_right

    def para(self, text: str, style: ParagraphStyle = BODY) -> Paragraph:
        return Paragraph(escape(text), style)

    def cell(self, text: str, style: ParagraphStyle = SMALL, *, label: str = "") -> Paragraph | str:
        """A wrapping table cell; text over CELL_TEXT_LIMIT continues in the Notes section.

        Short text stays a plain string: it fits any column, and a Paragraph costs a wrap
        calculation per cell, which is most of a long table's layout time.
        """
        if len(text) <= SHORT_CELL and style is SMALL and "\n" not in text:
            return text
        if len(text) > CELL_TEXT_LIMIT:
            number = len(self._notes) + 1
            self._notes.append((label or f"Note {number}", text))
            text = f"{text[:CELL_TEXT_LIMIT]}... (continued in note {number})"
        return Paragraph(escape(text), style)

    def table(
        self,
        header: list[str],
        rows: list[list[Any]],
        widths: list[float] | None = None,
        extra: list[tuple[Any, ...]] | None = None,
    ) -> Table:
        """A grid table whose header repeats on every page it runs onto."""
        if widths is not None:
            scale = self.content_width / sum(widths)
            widths = [w * scale for w in widths]
        table = Table([header, *rows], colWidths=widths, repeatRows=1)
        table.setStyle(GRID)
        if extra:
            table.setStyle(TableStyle(extra))
        return table

    def facts(self, pairs: list[tuple[str, str]]) -> Table:
        """Label/value pairs in two columns of two."""
        cells = [[self.cell(k, SMALL), self.cell(v, BODY)] for k, v in pairs]
        rows = []
        for i in range(0, len(cells), 2):
            left = cells[i]
            right = cells[i + 1] if i + 1 < len(cells) else ["", ""]
            rows.append([*left, *right])
        w = self.content_width
        table = Table(rows, colWidths=[w * 0.14, w * 0.36, w * 0.14, w * 0.36])
        table.setStyle(
            TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("TEXTCOLOR", (0, 0), (0, -1), colors.HexColor("#52606d")),
                    ("TEXTCOLOR", (2, 0), (2, -1), colors.HexColor("#52606d")),
                    ("TOPPADDING", (0, 0), (-1, -1), 1),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
                ]
            )
        )
        return table

    def empty(self, text: str) -> Paragraph:
        return Paragraph(f"<i>{escape(text)}</i>", BODY)

    # -- output ------------------------------------------------------------------------------

    def render(self) -> bytes:
        """The PDF as bytes."""
        self._notes = []
        frame = self.frame()
        flowables = [Paragraph(escape(self.title), TITLE), *self.story()]
        if self._notes:
            flowables.append(Paragraph("Notes", H2))
            for number, (label, text) in enumerate(self._notes, start=1):
                flowables.append(Paragraph(f"<b>{number}. {escape(label)}</b>", SMALL))
                flowables.append(Paragraph(escape(text), BODY))
                flowables.append(Spacer(1, 3))
        buffer = BytesIO()
        doc = SimpleDocTemplate(
            buffer,
            pagesize=self.pagesize,
            leftMargin=self.margin_left,
            rightMargin=self.margin_right,
            topMargin=self.margin_top,
            bottomMargin=self.margin_bottom,
            title=f"{self.title}: {frame.patient_label or frame.site_name}",
            author=frame.site_name,
            creator="Interventional clinic service",
        )

        def make_canvas(*args: Any, **kwargs: Any) -> NumberedCanvas:
            return NumberedCanvas(*args, frame=frame, **kwargs)

        doc.build(flowables, canvasmaker=make_canvas)
        return buffer.getvalue()
