"""The typed protocol spec: what a treatment course is, as data.

A spec is validated by pydantic. `parse_spec` turns pydantic's errors into one readable message
per problem, naming the path: ``phases[1].sessions_per_day: must be at least 1``.
The format is documented in docs/protocol-spec.md.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


class Modality(StrEnum):
    TMS = "tms"
    ECT = "ect"
    ESKETAMINE = "esketamine"


Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAY_INDEX: dict[str, int] = {
    "mon": 0,
    "tue": 1,
    "wed": 2,
    "thu": 3,
    "fri": 4,
    "sat": 5,
    "sun": 6,
}
ResourceKindName = Literal[
    "tms_chair", "tms_device", "ect_suite", "recovery_bay", "monitoring_chair"
]
ScaleName = Literal["phq9", "gad7", "madrs", "qids_sr16"]
SELF_REPORT_SCALES = frozenset({"phq9", "gad7"})
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=64)]


class _Strict(BaseModel):
    # Unknown keys are errors: a typo such as "sesions" must not be silently ignored.
    model_config = ConfigDict(extra="forbid", frozen=True)


class Phase(_Strict):
    """One phase of a course (acute, taper, induction, maintenance ...).

    Length is `sessions`, or `weeks` x sessions per week. Cadence is `sessions_per_week` (the
    engine spreads them, see `effective_min_days_between`) or fixed `weekdays`.
    """

    name: Annotated[str, Field(min_length=1, max_length=64)]
    sessions: Annotated[int, Field(ge=1, le=500)] | None = None
    weeks: Annotated[int, Field(ge=1, le=104)] | None = None
    sessions_per_week: Annotated[int, Field(ge=1, le=7)] | None = None
    weekdays: Annotated[list[Weekday], Field(min_length=1, max_length=7)] | None = None
    sessions_per_day: Annotated[int, Field(ge=1, le=20)] = 1
    min_minutes_between_starts: Annotated[int, Field(ge=0, le=720)] = 0
    min_days_between: Annotated[int, Field(ge=0, le=90)] | None = None
    max_days_between: Annotated[int, Field(ge=1, le=365)] | None = None
    description: str = ""

    @model_validator(mode="after")
    def _check(self) -> Phase:
        if self.sessions is None and self.weeks is None:
            raise ValueError("give either sessions or weeks")
        if self.sessions is not None and self.weeks is not None:
            raise ValueError("give sessions or weeks, not both")
        if self.weekdays is not None and len(set(self.weekdays)) != len(self.weekdays):
            raise ValueError("weekdays: each day may appear once")
        if self.sessions_per_week is None and self.weekdays is None:
            raise ValueError("give sessions_per_week or weekdays")
        if (
            self.weekdays is not None
            and self.sessions_per_week is not None
            and self.sessions_per_week > len(self.weekdays)
        ):
            raise ValueError("sessions_per_week cannot exceed the number of weekdays given")
        if self.sessions_per_day > 1 and self.min_minutes_between_starts == 0:
            raise ValueError(
                "min_minutes_between_starts: required when sessions_per_day is more than 1"
            )
        if (
            self.max_days_between is not None
            and self.max_days_between < self.effective_min_days_between
        ):
            raise ValueError("max_days_between: must be at least min_days_between")
        if self.weeks is not None and self.sessions is None and self.sessions_per_week is None:
            raise ValueError("weeks needs sessions_per_week (or give sessions)")
        return self

    @property
    def per_week(self) -> int:
        if self.sessions_per_week is not None:
            return self.sessions_per_week
        assert self.weekdays is not None
        return len(self.weekdays)

    @property
    def total_sessions(self) -> int:
        """Sessions in the phase (`sessions`, or `weeks` x per-week x per-day)."""
        if self.sessions is not None:
            return self.sessions
        assert self.weeks is not None
        return self.weeks * self.per_week * self.sessions_per_day

    @property
    def effective_min_days_between(self) -> int:
        """Days between consecutive treatment days.

        When not given, a cadence of N a week is spread out: 5+/wk daily, 3/wk every other day
        (Mon/Wed/Fri), 2/wk three days apart (Mon/Thu, not consecutive days: docs/clinical.md §5),
        1/wk a week apart.
        """
        if self.min_days_between is not None:
            return self.min_days_between
        if self.weekdays is not None:
            return 1
        return {1: 7, 2: 3, 3: 2}.get(self.per_week, 1)


class Timing(_Strict):
    """How long a session takes and what it holds.

    The procedure part (for esketamine: pre-dose vitals and dosing; ECT: the treatment in the
    suite; TMS: chair time including set-up) holds `procedure_holds`; the observation part that
    follows holds `observation_holds` (ECT: a recovery bay; esketamine: the same monitoring chair).
    """

    procedure_minutes: Annotated[int, Field(ge=1, le=480)]
    observation_minutes: Annotated[int, Field(ge=0, le=720)] = 0
    procedure_holds: Annotated[list[ResourceKindName], Field(min_length=1)]
    observation_holds: list[ResourceKindName] = []

    @model_validator(mode="after")
    def _check(self) -> Timing:
        if self.observation_holds and self.observation_minutes == 0:
            raise ValueError("observation_holds: needs observation_minutes above 0")
        return self


class Source(_Strict):
    citation: Annotated[str, Field(min_length=1)]
    url: str = ""


class Forms(_Strict):
    """Template slugs (the templates themselves live in charting)."""

    course_screening: Slug | None = None
    session_screening: Slug | None = None
    observation: Slug | None = None


class OutcomeSchedule(_Strict):
    """When a rating scale is due: at baseline (session 1), every N sessions, at the first
    session of each ISO week, at the first session of named phases, and at the last session."""

    scale: ScaleName
    baseline: bool = True
    every_sessions: Annotated[int, Field(ge=1, le=100)] | None = None
    weekly: bool = False
    phase_starts: list[str] = []
    phase_ends: list[str] = []
    end: bool = True
    # The patient may complete it on their own device from their link page (CLINICAL.md §6:
    # PHQ-9 and GAD-7 are self-report by design [Kroenke 2001; Spitzer 2006] and free to embed
    # [Pfizer 2010]). Only those two: other scales stay staff-entered.
    self_report: bool = False

    @model_validator(mode="after")
    def _check(self) -> OutcomeSchedule:
        if self.self_report and self.scale not in SELF_REPORT_SCALES:
            raise ValueError(
                "self_report: only "
                + " and ".join(sorted(SELF_REPORT_SCALES))
                + " may be completed by the patient (clinician-rated or unlicensed item text)"
            )
        return self


class EarlyReview(_Strict):
    """The early-improvement review point (CLINICAL.md §6).

    At `at_session`, the scale is compared with its baseline; an improvement of less than
    `min_improvement_percent` is a review item for the prescriber (never an automatic change).
    [Iowa 2022]: failing to improve PHQ-9 by more than 20% at treatment 10 predicted
    non-response with a negative predictive value of 74% (10 Hz) and 65% (iTBS).
    """

    at_session: Annotated[int, Field(ge=2, le=500)]
    scale: ScaleName = "phq9"
    min_improvement_percent: Annotated[int, Field(ge=1, le=100)] = 20
    evidence: Annotated[str, Field(min_length=1, max_length=500)]
    source: Source


class SideEffect(_Strict):
    """One side effect the patient's daily check-in asks about (CLINICAL.md §6)."""

    key: Slug
    label: Annotated[str, Field(min_length=1, max_length=100)]


class MissedSession(StrEnum):
    """What happens to the rest of a course when a session is cancelled or missed."""

    # TMS: add the session at the end of the course; never double up (docs/clinical.md section 1).
    APPEND_MAKEUP = "append_makeup"
    # ECT: the course continues; the next treatment is rescheduled by staff, and the spacing
    # rules push later ones (keep the >=1 day gap, docs/clinical.md section 5).
    KEEP_SPACING = "keep_spacing"
    # Esketamine in induction: continue the current schedule (J&J missed-dose 2025).
    CONTINUE = "continue"


class MakeupPlace(StrEnum):
    """Where an `append_makeup` make-up session goes (`makeup_place`)."""

    # Into the missed session's phase, after its last session: a missed acute TMS session
    # extends the acute phase by one and the later phases (the taper) shift, so the taper stays
    # last (docs/clinical.md section 1, "Missed sessions": the taper follows the full acute
    # course).
    END_OF_PHASE = "end_of_phase"
    # After the course's last session, whatever its phase.
    END_OF_COURSE = "end_of_course"


# The per-modality defaults for spec fields that older stored specs may not have. The built-in
# library states each field explicitly; this table is the only place a modality implies a rule.
MODALITY_DEFAULTS: dict[Modality, dict[str, Any]] = {
    Modality.TMS: {"missed_session": MissedSession.APPEND_MAKEUP, "requires_rems": False},
    Modality.ECT: {"missed_session": MissedSession.KEEP_SPACING, "requires_rems": False},
    # Spravato REMS: only enrolled patients at certified sites (FDA REMS 386).
    Modality.ESKETAMINE: {"missed_session": MissedSession.CONTINUE, "requires_rems": True},
}


class PatientGuidance(_Strict):
    """What the patient sees in their calendar feed and on their page, in the words they see it.

    Per protocol (and so per site: a site runs its own protocol versions), because what a patient
    must arrange follows the treatment: a ride home and no driving until the next day after
    esketamine (Spravato HCP dosing) or ECT (Sharecare ECT), nothing to eat or drink from
    midnight before ECT (Sharecare ECT). The wording must name no treatment, drug or diagnosis:
    patient feeds are private by default (tests/scheduling/test_feed_builder.py checks every
    built-in protocol against a list of clinical words).
    """

    arrive_minutes_before: Annotated[int, Field(ge=0, le=240)] = 10
    arrange: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=300)]], Field(max_length=10)
    ] = []
    bring: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=300)]], Field(max_length=10)
    ] = []
    # After such a session the patient must be driven home: their companion's feed lists it.
    no_driving_after: bool = False
    pickup_note: Annotated[str, Field(max_length=300)] = ""


class ProtocolSpec(_Strict):
    modality: Modality
    phases: Annotated[list[Phase], Field(min_length=1, max_length=20)]
    timing: Timing
    forms: Forms = Forms()
    outcomes: list[OutcomeSchedule] = []
    early_review: EarlyReview | None = None
    checkin_side_effects: Annotated[list[SideEffect], Field(max_length=20)] = []
    sources: list[Source] = []
    notes: str = ""
    patient: PatientGuidance = PatientGuidance()
    missed_session: MissedSession = MissedSession.CONTINUE  # per modality: _modality_defaults
    makeup_place: MakeupPlace = MakeupPlace.END_OF_PHASE
    requires_rems: bool = Field(
        False, description="Spravato REMS: patient enrolled and site certified before booking"
    )

    @model_validator(mode="before")
    @classmethod
    def _modality_defaults(cls, data: Any) -> Any:
        if isinstance(data, dict):
            raw = data.get("modality")
            try:
                modality = Modality(raw if isinstance(raw, str) else "")
            except ValueError:
                return data  # the field's own validation names the problem
            data = {**MODALITY_DEFAULTS[modality], **data}
        return data

    @model_validator(mode="after")
    def _check(self) -> ProtocolSpec:
        names = [p.name for p in self.phases]
        if len(set(names)) != len(names):
            raise ValueError("phases: phase names must be unique")
        for outcome in self.outcomes:
            for key in ("phase_starts", "phase_ends"):
                unknown = set(getattr(outcome, key)) - set(names)
                if unknown:
                    raise ValueError(f"outcomes: unknown phase {sorted(unknown)[0]!r} in {key}")
        if self.early_review is not None:
            review = self.early_review
            if review.at_session > self.total_sessions:
                raise ValueError(
                    f"early_review.at_session: must be at most {self.total_sessions} "
                    "(the course's sessions)"
                )
            if not any(o.scale == review.scale and o.baseline for o in self.outcomes):
                raise ValueError(
                    f"early_review.scale: {review.scale} needs a baseline in outcomes "
                    "(improvement is measured from it)"
                )
        keys = [effect.key for effect in self.checkin_side_effects]
        if len(set(keys)) != len(keys):
            raise ValueError("checkin_side_effects: each key may appear once")
        # A patient cannot be in two sessions at once: same-day sessions must not overlap,
        # observation included.
        length = self.timing.procedure_minutes + self.timing.observation_minutes
        for index, phase in enumerate(self.phases):
            if phase.sessions_per_day > 1 and phase.min_minutes_between_starts < length:
                raise ValueError(
                    f"phases[{index}].min_minutes_between_starts: must be at least {length} "
                    "(procedure_minutes + observation_minutes) when sessions_per_day is more than 1"
                )
        return self

    @property
    def total_sessions(self) -> int:
        return sum(p.total_sessions for p in self.phases)

    def resource_kinds(self) -> list[str]:
        return sorted(set(self.timing.procedure_holds) | set(self.timing.observation_holds))


class SpecError(ValueError):
    """An invalid spec; `problems` lists "path: message" strings, `str()` joins them."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


_MESSAGES = {
    "greater_than_equal": "must be at least {ge}",
    "less_than_equal": "must be at most {le}",
    "greater_than": "must be more than {gt}",
    "less_than": "must be less than {lt}",
    "missing": "is required",
    "extra_forbidden": "is not a known field",
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "string_type": "must be text",
    "list_type": "must be a list",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "too_short": "must have at least {min_length} item(s)",
    "too_long": "must have at most {max_length} item(s)",
    "string_too_short": "must not be empty",
    "string_pattern_mismatch": "must be lowercase letters, digits and hyphens",
    "literal_error": "must be one of {expected}",
    "enum": "must be one of {expected}",
    "model_type": "must be an object",
    "dict_type": "must be an object",
}


# A validator's message may start with a field ("weekdays: ...") or a path below the model
# ("phases[1].min_minutes_between_starts: ..."); either is moved into the error's location.
_FIELD_PATH = re.compile(r"[A-Za-z_]\w*(?:\[\d+\]|\.[A-Za-z_]\w*)*")


def _split_path(path: str) -> tuple[str | int, ...]:
    return tuple(
        int(index) if index else name for index, name in re.findall(r"\[(\d+)\]|(\w+)", path)
    )


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "spec"


def format_errors(exc: ValidationError) -> list[str]:
    problems = []
    for err in exc.errors(include_url=False):
        template = _MESSAGES.get(err["type"])
        ctx = err.get("ctx") or {}
        if template:
            try:
                message = template.format(**ctx)
            except (KeyError, IndexError):
                message = err["msg"]
        else:
            message = err["msg"]
            # Our own validators raise ValueError("field: message"); pydantic prefixes it.
            message = message.removeprefix("Value error, ")
        loc = tuple(err["loc"])
        if err["type"] == "value_error" and ": " in message:
            field, _, rest = message.partition(": ")
            if _FIELD_PATH.fullmatch(field):
                loc = (*loc, *_split_path(field))
                message = rest
        problems.append(f"{_path(loc)}: {message}")
    return problems


def parse_spec(data: Any) -> ProtocolSpec:
    """Validate raw spec data (a dict from JSON) or raise SpecError naming each problem."""
    try:
        return ProtocolSpec.model_validate(data)
    except ValidationError as exc:
        raise SpecError(format_errors(exc)) from None
