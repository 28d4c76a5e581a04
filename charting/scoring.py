"""Outcome scales: item validation, totals, severity bands and course-level outcome. Pure.

Bands and thresholds are from docs/clinical.md §4:

* PHQ-9: 9 items 0-3, total 0-27; 0-4 minimal, 5-9 mild, 10-14 moderate, 15-19 moderately
  severe, 20-27 severe [Kroenke 2001]. Item 9 above 0 needs a same-day safety assessment
  (unsourced; CONFIG). Item text is free to embed [Pfizer 2010].
* GAD-7: 7 items 0-3, total 0-21; cut-points 5/10/15 mild/moderate/severe [Spitzer 2006].
* MADRS: 10 items 0-6, total 0-60; 0-6 normal, 7-19 mild, 20-34 moderate, 35+ severe [Snaith];
  remission below 10 [Hawley 2002]. Item text is not embedded (licence not verified): items are
  stored under short names and the clinic supplies the anchors.
* QIDS-SR16: 16 items 0-3 scored as 9 domains (the highest of the sleep items, of the
  appetite/weight items and of the psychomotor items), total 0-27; 0-5 none, 6-10 mild,
  11-15 moderate, 16-20 severe, 21-27 very severe; remission 5 or less [Rush 2003; Trivedi 2006].

Response is a drop of at least 50% from baseline (docs/clinical.md: universal convention); the
same scale is used from baseline to the end [Aetna CPB 0469]. The baseline is the scale taken
before or at the first session, or one a clinician marks with a reason (`baseline_index`); a
scale first taken later is no baseline, and nothing is measured from it.

Worked example (PHQ-9): items 2,2,1,3,1,2,1,0,1 total 13, band "moderate", item 9 positive.
Baseline 20 then 13, 9: change -55%, response yes; remission (PHQ-9 below 5) no.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from charting.error_codes import (
    ERR_ITEM_OUT_OF_RANGE,
    ERR_MISSING_ITEM,
    ERR_UNKNOWN_ITEM,
    ERR_UNKNOWN_SCALE,
)


@dataclass(frozen=True)
class Item:
    key: str
    text: str
    max: int


@dataclass(frozen=True)
class Band:
    low: int
    high: int
    label: str


@dataclass(frozen=True)
class ScaleDef:
    name: str
    title: str
    rater: str  # "self" or "clinician"
    items: tuple[Item, ...]
    bands: tuple[Band, ...]
    # Remission: total at or below this.
    remission_max: int
    # Domains that score as the highest of several items (QIDS-SR16); other items count alone.
    domains: tuple[tuple[str, tuple[str, ...]], ...] = ()
    safety_item: str | None = None
    instructions: str = ""
    answer_labels: tuple[str, ...] = ()
    sources: tuple[str, ...] = field(default=())

    @property
    def max_total(self) -> int:
        return self.bands[-1].high

    def band(self, total: int) -> str:
        for band in self.bands:
            if band.low <= total <= band.high:
                return band.label
        raise ValueError(f"{total} is outside {self.name} (0-{self.max_total})")


_FREQ = ("Not at all", "Several days", "More than half the days", "Nearly every day")

PHQ9 = ScaleDef(
    name="phq9",
    title="PHQ-9 (Patient Health Questionnaire-9)",
    rater="self",
    instructions=(
        "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
    ),
    answer_labels=_FREQ,
    items=tuple(
        Item(f"item{i}", text, 3)
        for i, text in enumerate(
            (
                "Little interest or pleasure in doing things",
                "Feeling down, depressed, or hopeless",
                "Trouble falling or staying asleep, or sleeping too much",
                "Feeling tired or having little energy",
                "Poor appetite or overeating",
                "Feeling bad about yourself - or that you are a failure or have let yourself "
                "or your family down",
                "Trouble concentrating on things, such as reading the newspaper or watching "
                "television",
                "Moving or speaking so slowly that other people could have noticed? Or the "
                "opposite - being so fidgety or restless that you have been moving around a "
                "lot more than usual",
                "Thoughts that you would be better off dead or of hurting yourself in some way",
            ),
            start=1,
        )
    ),
    bands=(
        Band(0, 4, "minimal"),
        Band(5, 9, "mild"),
        Band(10, 14, "moderate"),
        Band(15, 19, "moderately severe"),
        Band(20, 27, "severe"),
    ),
    # docs/clinical.md gives no PHQ-9 remission cut-off; below 5 (the minimal band) is the usual one
    # (unsourced; CONFIG).
    remission_max=4,
    safety_item="item9",
    sources=("Kroenke 2001", "Pfizer 2010"),
)

GAD7 = ScaleDef(
    name="gad7",
    title="GAD-7 (Generalized Anxiety Disorder-7)",
    rater="self",
    instructions=(
        "Over the last 2 weeks, how often have you been bothered by the following problems?"
    ),
    answer_labels=_FREQ,
    items=tuple(
        Item(f"item{i}", text, 3)
        for i, text in enumerate(
            (
                "Feeling nervous, anxious or on edge",
                "Not being able to stop or control worrying",
                "Worrying too much about different things",
                "Trouble relaxing",
                "Being so restless that it is hard to sit still",
                "Becoming easily annoyed or irritable",
                "Feeling afraid as if something awful might happen",
            ),
            start=1,
        )
    ),
    bands=(
        Band(0, 4, "minimal"),
        Band(5, 9, "mild"),
        Band(10, 14, "moderate"),
        Band(15, 21, "severe"),
    ),
    remission_max=4,  # below the first cut-point (unsourced; CONFIG)
    sources=("Spitzer 2006", "Pfizer 2010"),
)

MADRS = ScaleDef(
    name="madrs",
    title="MADRS (Montgomery-Asberg Depression Rating Scale)",
    rater="clinician",
    instructions="Item anchors are supplied by the clinic (licence not verified; CLINICAL.md §4).",
    items=tuple(
        Item(key, key.replace("_", " "), 6)
        for key in (
            "apparent_sadness",
            "reported_sadness",
            "inner_tension",
            "reduced_sleep",
            "reduced_appetite",
            "concentration_difficulties",
            "lassitude",
            "inability_to_feel",
            "pessimistic_thoughts",
            "suicidal_thoughts",
        )
    ),
    bands=(
        Band(0, 6, "normal"),
        Band(7, 19, "mild"),
        Band(20, 34, "moderate"),
        Band(35, 60, "severe"),
    ),
    remission_max=9,  # below 10 [Hawley 2002]; SAINT used below 11 (CONFIG)
    sources=("Snaith bands", "Hawley 2002"),
)

_QIDS_ITEMS = (
    "sleep_onset",
    "mid_nocturnal",
    "early_morning",
    "hypersomnia",
    "mood_sad",
    "appetite_decreased",
    "appetite_increased",
    "weight_decreased",
    "weight_increased",
    "concentration",
    "self_view",
    "suicidal_ideation",
    "general_interest",
    "energy",
    "psychomotor_slowed",
    "psychomotor_agitated",
)

QIDS_SR16 = ScaleDef(
    name="qids_sr16",
    title="QIDS-SR16 (Quick Inventory of Depressive Symptomatology, self-report)",
    rater="self",
    instructions="Item text is supplied by the clinic (licence not verified; CLINICAL.md §4).",
    items=tuple(Item(key, key.replace("_", " "), 3) for key in _QIDS_ITEMS),
    domains=(
        ("sleep", ("sleep_onset", "mid_nocturnal", "early_morning", "hypersomnia")),
        (
            "weight",
            ("appetite_decreased", "appetite_increased", "weight_decreased", "weight_increased"),
        ),
        ("psychomotor", ("psychomotor_slowed", "psychomotor_agitated")),
    ),
    bands=(
        Band(0, 5, "none"),
        Band(6, 10, "mild"),
        Band(11, 15, "moderate"),
        Band(16, 20, "severe"),
        Band(21, 27, "very severe"),
    ),
    remission_max=5,  # [Trivedi 2006]
    sources=("Rush 2003", "Trivedi 2006"),
)

SCALES: dict[str, ScaleDef] = {s.name: s for s in (PHQ9, GAD7, MADRS, QIDS_SR16)}


class ScoreError(ValueError):
    """Items that cannot be scored; `code` is stable (unknown_scale, unknown_item,
    missing_item, item_out_of_range)."""

    def __init__(self, code: str, message: str):
        self.code = code
        super().__init__(message)


@dataclass(frozen=True)
class ScaleResult:
    scale: str
    items: dict[str, int]
    total: int
    band: str
    safety_positive: bool


def get_scale(name: str) -> ScaleDef:
    try:
        return SCALES[name]
    except KeyError:
        raise ScoreError(
            ERR_UNKNOWN_SCALE, f"scale: {name!r} is not one of {', '.join(sorted(SCALES))}"
        ) from None


def score(name: str, items: Mapping[str, object]) -> ScaleResult:
    """Validate every item (all must be present, whole numbers in range) and score the scale."""
    scale = get_scale(name)
    keys = {i.key for i in scale.items}
    unknown = sorted(set(items) - keys)
    if unknown:
        raise ScoreError(ERR_UNKNOWN_ITEM, f"items.{unknown[0]}: is not an item of {scale.name}")
    clean: dict[str, int] = {}
    for item in scale.items:
        if item.key not in items:
            raise ScoreError(ERR_MISSING_ITEM, f"items.{item.key}: is required")
        raw = items[item.key]
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise ScoreError(ERR_ITEM_OUT_OF_RANGE, f"items.{item.key}: must be a whole number")
        if not 0 <= raw <= item.max:
            raise ScoreError(ERR_ITEM_OUT_OF_RANGE, f"items.{item.key}: must be 0 to {item.max}")
        clean[item.key] = raw
    in_domain: set[str] = set()
    total = 0
    for _, members in scale.domains:
        total += max(clean[m] for m in members)
        in_domain.update(members)
    total += sum(v for k, v in clean.items() if k not in in_domain)
    safety = scale.safety_item is not None and clean[scale.safety_item] > 0
    return ScaleResult(scale.name, clean, total, scale.band(total), safety)


@dataclass(frozen=True)
class Outcome:
    """A course's outcome on one scale. `change_pct` (`change_percent`) is negative for
    improvement.

    Without a baseline (`baseline_at` None) nothing is measured from one: `baseline`,
    `change_pct`, `response` and `remission` are None, never a silent guess.
    """

    scale: str
    baseline: int | None
    latest: int | None
    trajectory: tuple[int, ...]
    change_pct: float | None
    response: bool | None
    remission: bool | None
    latest_band: str | None
    # Index into `trajectory` of the baseline administration.
    baseline_at: int | None = None


@dataclass(frozen=True)
class Taken:
    """One administration of a scale as the baseline rule needs it."""

    total: int
    local_date: dt.date  # the site's local day it was administered
    session_number: int | None = None  # the session it was tied to, if any
    marked_baseline: bool = False  # a clinician marked it as the baseline, with a reason


@dataclass(frozen=True)
class FirstSession:
    """The course's first session that is not cancelled or a no-show."""

    number: int
    local_date: dt.date


def baseline_index(taken: Sequence[Taken], *, first_session: FirstSession | None) -> int | None:
    """Which administration (index, time order) is the course's baseline, or None.

    A clinician's mark wins (the last marked, should there be more than one). Otherwise the
    baseline is the first administration, when it was taken before or at the first session:
    tied to it (or to an earlier number), or on or before its local day. With no session
    booked, the first administration is before treatment by definition.

    Worked example (first session Monday 9 March): PHQ-9 on 6 March, then 26 March: the
    6 March score is the baseline. A first PHQ-9 at session 14 (26 March): no baseline, so no
    response or remission is computed until a clinician marks one, with a reason.
    """
    marked = [i for i, t in enumerate(taken) if t.marked_baseline]
    if marked:
        return marked[-1]
    if not taken:
        return None
    first = taken[0]
    if first_session is None:
        return 0
    if first.session_number is not None and first.session_number <= first_session.number:
        return 0
    if first.local_date <= first_session.local_date:
        return 0
    return None


def change_percent(baseline: int, current: int) -> float | None:
    """The change from baseline as a percentage of it, one decimal: negative when the total
    fell (better, on every scale here). None from a baseline of 0: nothing is measured from it.

    The one definition: `Outcome.change_pct` is this, `improvement_percent` its opposite."""
    if baseline <= 0:
        return None
    return round((current - baseline) * 100 / baseline, 1)


def improvement_percent(baseline: int, current: int) -> float | None:
    """The same change read as improvement (the early-improvement review): the drop from
    baseline as a percentage of it, positive when better, negative when worse."""
    change = change_percent(baseline, current)
    # 0.0 - change, not -change: no change reads 0.0, never -0.0.
    return None if change is None else 0.0 - change


def response_line(baseline: int | None) -> float | None:
    """The total at or below which a later score is a response: half the baseline (a drop of
    at least 50%). None without a baseline, or from a baseline of 0 (no response is measured
    from it). Every chart draws this line."""
    return baseline / 2 if baseline else None


def is_response(baseline: int | None, latest: int) -> bool:
    line = response_line(baseline)
    return line is not None and latest <= line


def outcome(name: str, totals: Sequence[int], *, baseline_at: int | None) -> Outcome:
    """Outcome from a course's totals in time order, measured from `totals[baseline_at]`
    (charting/scoring.py `baseline_index`); no baseline, no response or remission.

    Response needs a non-zero baseline and a later administration at least 50% lower;
    remission needs a later administration at or below the scale's remission threshold.
    """
    scale = get_scale(name)
    if not totals:
        return Outcome(scale.name, None, None, (), None, None, None, None)
    latest = totals[-1]
    if baseline_at is None:
        return Outcome(
            scale.name, None, latest, tuple(totals), None, None, None, scale.band(latest)
        )
    baseline = totals[baseline_at]
    follow_up = len(totals) - 1 > baseline_at
    change = change_percent(baseline, latest)
    response = follow_up and is_response(baseline, latest)
    remission = follow_up and latest <= scale.remission_max
    return Outcome(
        scale.name,
        baseline,
        latest,
        tuple(totals),
        change,
        response,
        remission,
        scale.band(latest),
        baseline_at,
    )
