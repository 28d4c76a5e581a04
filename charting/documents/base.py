"""The renderer base class every PDF document shares (pretix's renderer-class pattern).

A document subclasses `DocumentRenderer`, sets the class attributes it needs (page size,
margins, title) and implements `story()`; `render()` returns the PDF bytes. Every page carries
the site name, the patient's identifier on patient documents, "Page X of Y" and the time the
document was generated in the site's zone.

"Page X of Y" needs the page count before the footers are drawn, which platypus only knows at
the end. The story is laid out once: `NumberedCanvas` keeps each finished page's state instead of
emitting it, and draws every header and footer once the last page is known (the canvas from the
reportlab FAQ), rather than building the document twice (`multiBuild`) to learn the count.
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
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.tables import CellStyle

# A table row cannot split across pages, so one cell taller than a page stops the whole
# document (reportlab's LayoutError). Free text longer than this is cut in its cell and printed
# in full in the "Notes" section at the end, where paragraphs can break across pages.
CELL_TEXT_LIMIT = 600
# Characters that fit the narrowest table column (about 25 mm at 8 pt) without wrapping.
SHORT_CELL = 14
# The grid tables' cell font (GRID below) and reportlab's default left + right cell padding:
# a cell whose text measures at most its column width minus the padding fits on one line.
CELL_FONT = ("Helvetica", 8)
CELL_PADDING = 12


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


class GridCell(CellStyle):
    """A grid table's cell style as class defaults: a table starts styled, instead of a FONT,
    VALIGN and padding command each visiting every cell of every table."""

    fontname, fontsize = CELL_FONT
    leading = CELL_FONT[1] * 1.2
    valign = "TOP"
    topPadding = 2
    bottomPadding = 2


class GridHeaderCell(GridCell):
    fontname = "Helvetica-Bold"


GRID_LINES = TableStyle(
    [
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8edf3")),
        ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#9aa5b1")),
    ]
)


class GridTable(Table):
    """A table from `DocumentRenderer.table()`; `lead` is its header and first row on their own,
    the least that must fit under a heading for the heading to stay on the page."""

    lead: Table | None = None


@dataclass(frozen=True)
class WrapCell:
    """Cell text that may need wrapping: `table()` decides once it knows the column's width.

    A Paragraph costs a line-breaking pass when the table is laid out and a text object per line
    when it is drawn; text that fits its column on one line is drawn as a plain string instead,
    which looks the same (same font and size) and takes the cell's TEXTCOLOR.
    """

    text: str
    style: ParagraphStyle

    def fitted(self, width: float | None) -> Paragraph | str:
        if (
            width is not None
            and self.style is SMALL
            and stringWidth(self.text, *CELL_FONT) <= width - CELL_PADDING
        ):
            return self.text
        return Paragraph(escape(self.text), self.style)


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

    def cell(
        self, text: str, style: ParagraphStyle = SMALL, *, label: str = ""
    ) -> WrapCell | Paragraph | str:
        """A table cell; text over CELL_TEXT_LIMIT continues in the Notes section.

        Short text stays a plain string: it fits any column. Longer text becomes a `WrapCell`,
        which `table()` turns into a plain string if it fits its column on one line (measured)
        and into a wrapping Paragraph otherwise.
        """
        if len(text) <= SHORT_CELL and style is SMALL and "\n" not in text:
            return text
        if len(text) > CELL_TEXT_LIMIT:
            number = len(self._notes) + 1
            self._notes.append((label or f"Note {number}", text))
            text = f"{text[:CELL_TEXT_LIMIT]}... (continued in note {number})"
        if "\n" in text:
            return Paragraph(escape(text), style)
        return WrapCell(text, style)

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
        column: list[float | None] = [*widths] if widths else [None] * len(header)
        rows = [
            [c.fitted(column[i]) if isinstance(c, WrapCell) else c for i, c in enumerate(row)]
            for row in rows
        ]
        table = GridTable(
            [header, *rows],
            colWidths=widths,
            repeatRows=1,
            cellStyles=self._grid_cells(header, rows),
        )
        table.setStyle(GRID_LINES)
        if extra:
            table.setStyle(TableStyle(extra))
        if rows:
            lead = Table(
                [header, rows[0]], colWidths=widths, cellStyles=self._grid_cells(header, rows[:1])
            )
            lead.setStyle(GRID_LINES)
            table.lead = lead
        return table

    @staticmethod
    def _grid_cells(header: list[str], rows: list[list[Any]]) -> list[list[CellStyle]]:
        # One style object per cell: TableStyle commands (`extra`) change them in place.
        return [[GridHeaderCell("header") for _ in header]] + [
            [GridCell("cell") for _ in row] for row in rows
        ]

    def facts(self, pairs: list[tuple[str, str]]) -> Table:
        """Label/value pairs in two columns of two."""
        # No FONT command here, so only a Paragraph gives a long label the SMALL size.
        cells = [
            [
                c.fitted(None) if isinstance(c, WrapCell) else c
                for c in (self.cell(k), self.cell(v, BODY))
            ]
            for k, v in pairs
        ]
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

    def _keep_headings_with_tables(self, flowables: list[Flowable]) -> list[Flowable]:
        """A heading followed by a grid table: a page break before the heading when the heading
        and the table's first row do not fit, instead of `keepWithNext`.

        `keepWithNext` groups the heading and the whole table in a KeepTogether, which lays the
        table out once more to measure it (a second layout of the longest flowable) and moves a
        table longer than the rest of the page to the next page even when most of it would fit.
        """
        out: list[Flowable] = []
        page_height = self.pagesize[1]
        for flowable, following in zip(flowables, [*flowables[1:], None], strict=True):
            if (
                isinstance(flowable, Paragraph)
                and flowable.getKeepWithNext()
                and isinstance(following, GridTable)
                and following.lead is not None
            ):
                flowable.keepWithNext = 0
                _, heading = flowable.wrap(self.content_width, page_height)
                _, lead = following.lead.wrap(self.content_width, page_height)
                out.append(CondPageBreak(flowable.getSpaceBefore() + heading + lead))
            out.append(flowable)
        return out

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
        flowables = self._keep_headings_with_tables(flowables)
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
