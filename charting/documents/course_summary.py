"""Course summary: who, what protocol, the schedule with every move and cancellation, what was
delivered each session, alerts and their reviews, the outcome scales (table and chart) with
self-report scores apart from clinician ratings (CLINICAL.md §6: never mixed in one series), and
the early-improvement review with its figures, evidence and decision."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer

from charting.documents.base import H2, H3, SMALL, DocumentRenderer, PageFrame, local_text
from charting.documents.charts import point_label, scale_chart
from charting.trajectory import Series


@dataclass(frozen=True)
class PatientInfo:
    name: str
    mrn: str
    date_of_birth: dt.date
    sex: str = ""

    @property
    def label(self) -> str:
        return f"{self.name} · MRN {self.mrn} · DOB {self.date_of_birth:%Y-%m-%d}"


@dataclass(frozen=True)
class SessionLine:
    number: int
    phase: str
    start: dt.datetime  # in the site's zone
    end: dt.datetime
    resources: list[str]
    status: str  # display text, e.g. "Completed"
    note: str = ""  # status reason, "moved from ...", "make-up for session 4"
    parameters: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class AlertLine:
    raised_at: dt.datetime
    kind: str
    message: str
    session_number: int | None
    reviewed: str  # "Carl Clinician, 2026-03-10 10:02: note" or ""


@dataclass(frozen=True)
class ScaleLine:
    scale: str
    administered_at: dt.datetime
    session_number: int | None
    total: int
    band: str
    self_report: bool = False  # the scale is rated by the patient (PHQ-9, GAD-7, QIDS-SR16)
    # Entered by the patient on their own device (the patient link): the only score the PDF
    # calls a self-report. Anything staff entered is "clinician-entered".
    by_patient: bool = False


@dataclass(frozen=True)
class OutcomeLine:
    scale: str
    title: str
    # None: the scale was first taken after the first session and no clinician marked a
    # baseline; then change, response and remission are None too ("not computed").
    baseline: int | None
    latest: int | None
    change_pct: float | None
    response: bool | None
    remission: bool | None
    # The chart's series (charting/trajectory.py `scale_series`): points, baseline, lines.
    series: Series
    self_report: bool = False  # a patient-rated instrument (whoever entered it)
    baseline_at: int | None = None  # index into series.points
    baseline_mark: str = ""  # "Marked as baseline by Carl Clinician, 26 Mar 2026: reason"


@dataclass(frozen=True)
class EarlyReviewInfo:
    """The early-improvement review (charting.early_review): figures as evaluated, and the
    prescriber's decision with who and when."""

    status: str  # "Decision needed", "No review needed", "Decided"
    scale: str
    at_session: int
    baseline_total: int
    measured_total: int
    improvement_percent: float | None
    threshold_percent: int
    evidence: str
    citation: str
    raised_at: dt.datetime
    decision: str = ""  # display text, e.g. "Continue the course"
    note: str = ""
    decided_by: str = ""
    decided_at: dt.datetime | None = None


@dataclass(frozen=True)
class CourseSummaryData:
    site_name: str
    zone_name: str
    generated_at: dt.datetime
    patient: PatientInfo
    protocol: str
    protocol_version: int
    modality: str
    indication: str
    prescriber: str
    course_status: str
    start_date: dt.date
    sessions: list[SessionLine]
    alerts: list[AlertLine]
    scales: list[ScaleLine]
    outcomes: list[OutcomeLine]
    early_review: EarlyReviewInfo | None = None
    # False for a reader who may not see patients' answers: scales, outcomes and the early
    # review were left out, and the summary says so.
    answers_shown: bool = True


ANSWERS_LEFT_OUT = (
    "Outcome scales, the patient's own reports and the alerts they raised are shown to nurses "
    "and clinicians only."
)


def outcome_status(o: OutcomeLine) -> str:
    """The outcome sentence under a scale's chart; without a baseline it says so and computes
    nothing (never a baseline guessed from a later score)."""
    if o.baseline is None:
        first = point_label(o.series.points[0]) if o.series.points else "-"
        return (
            f"No baseline: the first score ({first}) was taken after the first session, and "
            f"no clinician marked a baseline. Latest {o.latest}. Response and remission not "
            "computed."
        )
    change = "-" if o.change_pct is None else f"{o.change_pct:+.1f}%"
    status = (
        f"Baseline {o.baseline}, latest {o.latest}, change {change}. "
        f"Response (50% or more below baseline): {'yes' if o.response else 'no'}. "
        f"Remission ({o.series.remission_max} or less): {'yes' if o.remission else 'no'}."
    )
    return f"{status} {o.baseline_mark}." if o.baseline_mark else status


class CourseSummaryRenderer(DocumentRenderer):
    """The course summary PDF. `CourseSummaryRenderer(data).render() -> bytes`."""

    title = "Course summary"

    def __init__(self, data: CourseSummaryData) -> None:
        super().__init__()
        self.data = data

    def frame(self) -> PageFrame:
        d = self.data
        return PageFrame(self.title, d.site_name, d.zone_name, d.generated_at, d.patient.label)

    def story(self) -> list[Flowable]:
        d = self.data
        done = sum(1 for s in d.sessions if s.status == "Completed")
        planned = sum(1 for s in d.sessions if s.status not in ("Cancelled", "No-show"))
        out: list[Flowable] = [
            self.facts(
                [
                    ("Patient", d.patient.name),
                    ("MRN", d.patient.mrn),
                    ("Date of birth", f"{d.patient.date_of_birth:%d %b %Y}"),
                    ("Sex", d.patient.sex or "-"),
                    ("Protocol", f"{d.protocol} (version {d.protocol_version})"),
                    ("Modality", d.modality.upper()),
                    ("Prescriber", d.prescriber or "not recorded"),
                    ("Site", d.site_name),
                    ("Course status", d.course_status),
                    ("Start", f"{d.start_date:%d %b %Y}"),
                    ("Indication", d.indication or "-"),
                    ("Progress", f"{done} of {planned} sessions completed"),
                ]
            ),
        ]
        out += self._schedule()
        out += self._parameters()
        out += self._alerts()
        out += self._outcomes()
        out += self._early_review()
        return out

    def _schedule(self) -> list[Flowable]:
        out: list[Flowable] = [Paragraph("Schedule", H2)]
        if not self.data.sessions:
            return [*out, self.empty("This course has no sessions.")]
        rows = [
            [
                str(s.number),
                self.cell(s.phase),
                local_text(s.start, "%a %d %b %Y"),
                f"{s.start:%H:%M}-{s.end:%H:%M}",
                self.cell(", ".join(s.resources) or "-"),
                s.status,
                self.cell(s.note, label=f"Session {s.number}"),
            ]
            for s in self.data.sessions
        ]
        out.append(
            self.table(
                ["#", "Phase", "Date", "Time", "Resource", "Status", "Note"],
                rows,
                widths=[5, 14, 18, 13, 18, 13, 30],
            )
        )
        return out

    def _parameters(self) -> list[Flowable]:
        delivered = [s for s in self.data.sessions if s.parameters]
        out: list[Flowable] = [Paragraph("Treatment parameters", H2)]
        if not delivered:
            return [*out, self.empty("No treatment parameters recorded.")]
        # One column per parameter when the course records few (TMS); one text cell otherwise.
        labels: list[str] = []
        for s in delivered:
            labels += [k for k, _ in s.parameters if k not in labels and k != "Notes"]
        if len(labels) <= 6:
            rows = []
            for s in delivered:
                values = dict(s.parameters)
                rows.append(
                    [str(s.number), local_text(s.start, "%d %b %Y")]
                    + [self.cell(values.get(k, "-"), label=k) for k in labels]
                )
            widths = [5, 12] + [83 / max(len(labels), 1)] * len(labels)
            out.append(self.table(["#", "Date", *labels], rows, widths=widths))
            notes = [(s.number, dict(s.parameters).get("Notes", "")) for s in delivered]
            for number, note in notes:
                if note and note != "-":
                    out.append(self.para(f"Session {number} notes: {note}", SMALL))
            return out
        rows = [
            [
                str(s.number),
                local_text(s.start, "%d %b %Y"),
                self.cell(
                    "; ".join(f"{k}: {v}" for k, v in s.parameters), label=f"Session {s.number}"
                ),
            ]
            for s in delivered
        ]
        out.append(self.table(["#", "Date", "Parameters"], rows, widths=[5, 14, 81]))
        return out

    def _alerts(self) -> list[Flowable]:
        out: list[Flowable] = [Paragraph("Alerts and reviews", H2)]
        if not self.data.alerts:
            return [*out, self.empty("No alerts.")]
        rows = [
            [
                local_text(a.raised_at, "%d %b %Y %H:%M"),
                "-" if a.session_number is None else str(a.session_number),
                self.cell(a.kind),
                self.cell(a.message, label="Alert"),
                self.cell(a.reviewed or "NOT YET REVIEWED", label="Review"),
            ]
            for a in self.data.alerts
        ]
        out.append(
            self.table(
                ["Raised", "Session", "Kind", "Alert", "Review"], rows, widths=[16, 8, 14, 34, 28]
            )
        )
        return out

    def _outcomes(self) -> list[Flowable]:
        d = self.data
        out: list[Flowable] = [Paragraph("Outcome scales", H2)]
        if not d.answers_shown:
            return [*out, self.empty(ANSWERS_LEFT_OUT)]
        if not d.scales:
            return [*out, self.empty("No outcome scales recorded.")]
        # Two tables, never one: a patient's own rating and a clinician's are different
        # measures. "Self-report" names only what the patient entered on their own device; a
        # patient-rated scale entered by staff in clinic is "clinician-entered".
        for self_report, heading in (
            (True, "Patient-rated scales"),
            (False, "Clinician-rated scales"),
        ):
            lines = [s for s in d.scales if s.self_report == self_report]
            if not lines:
                continue
            rows = [
                [
                    s.scale,
                    local_text(s.administered_at, "%d %b %Y"),
                    "-" if s.session_number is None else str(s.session_number),
                    str(s.total),
                    s.band,
                    "patient, own device (self-report)" if s.by_patient else "clinician-entered",
                ]
                for s in lines
            ]
            out.append(Paragraph(heading, H3))
            out.append(
                self.table(
                    ["Scale", "Date", "Session", "Total", "Severity", "Entered by"],
                    rows,
                    widths=[14, 16, 10, 9, 22, 29],
                )
            )
        for o in d.outcomes:
            chart = scale_chart(o.series, o.scale, self.content_width)
            out.append(
                KeepTogether(
                    [
                        Paragraph(
                            f"{o.title}: {'patient-rated' if o.self_report else 'clinician-rated'}",
                            H3,
                        ),
                        self.para(outcome_status(o), SMALL),
                        Spacer(1, 3),
                        chart,
                    ]
                )
            )
        return out

    def _early_review(self) -> list[Flowable]:
        r = self.data.early_review
        if r is None:
            return []
        improvement = "-" if r.improvement_percent is None else f"{r.improvement_percent:.1f}%"
        pairs = [
            ("Status", r.status),
            ("Raised", local_text(r.raised_at, "%d %b %Y %H:%M %Z")),
            ("Scale", r.scale),
            ("Review point", f"session {r.at_session}"),
            ("Baseline", str(r.baseline_total)),
            (f"Session {r.at_session}", str(r.measured_total)),
            ("Improvement", improvement),
            ("Review below", f"{r.threshold_percent}% improvement"),
        ]
        if r.decided_at is not None:
            pairs += [
                ("Decision", r.decision),
                ("Decided by", r.decided_by or "not recorded"),
                ("Decided at", local_text(r.decided_at, "%d %b %Y %H:%M %Z")),
                ("Note", r.note or "-"),
            ]
        elif r.status == "No review needed":
            pairs.append(("Decision", "None needed"))
        else:
            pairs.append(("Decision", "NOT YET DECIDED"))
        return [
            KeepTogether(
                [
                    Paragraph("Early-improvement review", H2),
                    self.facts(pairs),
                    Spacer(1, 3),
                    self.para(f"Evidence: {r.evidence} Source: {r.citation}", SMALL),
                ]
            )
        ]
