"""The outcome chart: one scale's series across a course (charting/trajectory.py `Series`),
drawn with reportlab.graphics.

Three reference lines make the chart readable at a glance: the baseline (the scale taken
before or at the first session, or marked by a clinician; none is drawn without one),
the response line at half the baseline (a drop of at least 50% is a response, CLINICAL.md §4)
and the scale's remission threshold (at or below it is remission).
"""

from __future__ import annotations

from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, Line, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors

from charting.trajectory import ScorePoint, Series


def point_label(point: ScorePoint) -> str:
    """The x-axis label of an administration: its session ("S10"), else its day ("12 Mar")."""
    if point.session_number is not None:
        return f"S{point.session_number}"
    return f"{point.day:%d %b}"


def scale_chart(series: Series, title: str, width: float, height: float = 150) -> Drawing:
    """A line chart of the totals with baseline, 50% response and remission lines."""
    drawing = Drawing(width, height)
    plot = LinePlot()
    plot.x, plot.y = 34, 28
    plot.width, plot.height = width - 150, height - 44
    points = [(i + 1, p.total) for i, p in enumerate(series.points)]
    plot.data = [points]
    plot.lines[0].strokeColor = colors.HexColor("#1f5fa8")
    plot.lines[0].strokeWidth = 1.6
    plot.lines[0].symbol = makeMarker("FilledCircle", size=3.5)
    count = max(len(points), 1)
    plot.xValueAxis.valueMin = 0.5
    plot.xValueAxis.valueMax = count + 0.5
    plot.xValueAxis.valueSteps = list(range(1, count + 1))
    step = max(1, count // 12)
    labels = [point_label(p) for p in series.points]

    def x_label(value: float) -> str:
        index = round(value) - 1
        if 0 <= index < len(labels) and index % step == 0:
            return labels[index]
        return ""

    plot.xValueAxis.labelTextFormat = x_label
    plot.xValueAxis.labels.fontSize = 6.5
    plot.xValueAxis.labels.angle = 0
    plot.yValueAxis.valueMin = 0
    plot.yValueAxis.valueMax = series.max_total
    plot.yValueAxis.labels.fontSize = 7
    plot.yValueAxis.valueStep = max(1, series.max_total // 6)
    drawing.add(plot)

    def y_of(value: float) -> float:
        return plot.y + plot.height * value / max(series.max_total, 1)

    def reference(value: float, label: str, colour: colors.Color, dash: list[int]) -> None:
        y = y_of(value)
        drawing.add(
            Line(
                plot.x,
                y,
                plot.x + plot.width,
                y,
                strokeColor=colour,
                strokeWidth=0.9,
                strokeDashArray=dash,
            )
        )
        drawing.add(String(plot.x + plot.width + 4, y - 2.5, label, fontSize=7, fillColor=colour))

    if series.baseline is not None:
        baseline = series.baseline
        reference(baseline, f"baseline {baseline}", colors.HexColor("#52606d"), [1, 2])
    elif series.points:
        drawing.add(String(plot.x + 4, plot.y + plot.height - 9, "no baseline", fontSize=7))
    if series.response_line is not None:
        half = series.response_line
        reference(half, f"50% response {half:g}", colors.HexColor("#b7791f"), [4, 2])
    reference(
        series.remission_max,
        f"remission <= {series.remission_max}",
        colors.HexColor("#2f855a"),
        [6, 2],
    )
    drawing.add(String(plot.x, height - 10, title, fontSize=9, fontName="Helvetica-Bold"))
    return drawing
