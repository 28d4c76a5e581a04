"""A completed screening checklist: each question with its answer and what the answer
triggered (hard stop, clinician review), who completed it, and who reviewed or overrode it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from reportlab.platypus import Flowable, Paragraph

from charting.documents.base import H2, DocumentRenderer, PageFrame, local_text


@dataclass(frozen=True)
class AnswerLine:
    label: str
    answer: str
    flag: str = ""  # "hard stop", "review", ""


@dataclass(frozen=True)
class ScreeningData:
    template_name: str
    template_version: int
    level: str  # "course" | "session"
    session_number: int | None
    status: str  # clear | hard_stop | needs_review | overridden | reviewed
    answers: list[AnswerLine]
    completed_by: str
    completed_at: dt.datetime
    reviewed: str = ""  # "who, when: note"
    override: str = ""


@dataclass(frozen=True)
class ScreeningChecklistData:
    site_name: str
    zone_name: str
    generated_at: dt.datetime
    patient_label: str
    protocol: str
    screening: ScreeningData


STATUS_TEXT = {
    "clear": "Clear",
    "hard_stop": "HARD STOP: treatment blocked until a clinician overrides",
    "needs_review": "NEEDS CLINICIAN REVIEW before treatment",
    "overridden": "Hard stop overridden by a clinician",
    "reviewed": "Reviewed by a clinician",
}


def screening_flowables(r: DocumentRenderer, s: ScreeningData) -> list[Flowable]:
    """The checklist as flowables, shared by the checklist and the session record."""
    where = "course" if s.level == "course" else f"session {s.session_number}"
    out: list[Flowable] = [
        r.facts(
            [
                ("Checklist", f"{s.template_name} (v{s.template_version})"),
                ("For", where),
                ("Completed by", s.completed_by),
                ("Completed at", local_text(s.completed_at)),
                ("Result", STATUS_TEXT.get(s.status, s.status)),
                ("Review", s.reviewed or "-"),
                ("Override", s.override or "-"),
            ]
        )
    ]
    if not s.answers:
        return [*out, r.empty("No answers recorded.")]
    rows = [[r.cell(a.label), r.cell(a.answer, label=a.label), a.flag.upper()] for a in s.answers]
    flagged = [
        ("BACKGROUND", (0, i), (-1, i), "#fdecea")
        for i, a in enumerate(s.answers, start=1)
        if a.flag
    ]
    out.append(r.table(["Question", "Answer", "Flag"], rows, widths=[55, 33, 12], extra=flagged))
    return out


class ScreeningChecklistRenderer(DocumentRenderer):
    title = "Screening checklist"

    def __init__(self, data: ScreeningChecklistData) -> None:
        super().__init__()
        self.data = data

    def frame(self) -> PageFrame:
        d = self.data
        return PageFrame(self.title, d.site_name, d.zone_name, d.generated_at, d.patient_label)

    def story(self) -> list[Flowable]:
        d = self.data
        return [
            self.para(f"{d.protocol}"),
            Paragraph(d.screening.template_name.replace("&", "&amp;").replace("<", "&lt;"), H2),
            *screening_flowables(self, d.screening),
        ]
