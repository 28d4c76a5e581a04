"""Treatment parameters per session, one typed shape per modality. Pure.

Fields follow docs/clinical.md: TMS §1 (motor threshold, % MT, pulses, coil), ECT §2 procedure
record [Luccarelli 2020] and esketamine §3 devices (28 mg per device, so 56 mg is 2 devices,
84 mg 3) [J&J missed-dose 2025].

Who records what (decided here; see docs/charting.md): TMS and ECT parameters are a clinician's
(the prescribed dose and the seizure adequacy are medical decisions); esketamine dose
*administration* (devices given, lot, times) may be recorded by the nurse who supervises the
self-administration, as well as by a clinician.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
    model_validator,
)

from protocols.spec import format_errors


class _Strict(BaseModel):
    # Strict, as every request body (clinic/api/fields.py InSchema): "3" is not 3 devices,
    # true is not 1, NaN is not a number. The page's form hands over typed values too.
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


def _iso_text(value: object) -> object:
    # A number would be read as a Unix timestamp; a time is ISO 8601 text (or a datetime).
    if isinstance(value, dt.datetime | str):
        return value
    raise ValueError("must be a date and time written YYYY-MM-DDTHH:MM with its UTC offset")


def _utc(value: dt.datetime) -> dt.datetime:
    # Stored and answered as the API writes instants: UTC (docs/api/README.md, "Times").
    return value.astimezone(dt.UTC)


# The parsing of ISO text is pydantic's (Strict(False)); numbers are refused before it.
Instant = Annotated[AwareDatetime, Strict(False), BeforeValidator(_iso_text), AfterValidator(_utc)]


class TmsParameters(_Strict):
    motor_threshold_pct: Annotated[float, Field(gt=0, le=100)]
    motor_threshold_measured_today: bool = False
    intensity_pct_mt: Annotated[float, Field(gt=0, le=150)]
    pulses_delivered: Annotated[int, Field(ge=0, le=10000)]
    coil_type: Literal["figure8", "h1", "h7", "other"] = "figure8"
    coil_position: Annotated[str, Field(min_length=1, max_length=200)]
    frequency_hz: Annotated[float, Field(gt=0, le=100)] | None = None
    notes: Annotated[str, Field(max_length=2000)] = ""


class EctParameters(_Strict):
    electrode_placement: Literal["rul", "bt", "bf", "other"]
    stimulus_at: Instant | None = None
    pulse_width_ms: Annotated[float, Field(gt=0, le=2)]
    frequency_hz: Annotated[float, Field(gt=0, le=200)] | None = None
    current_ma: Annotated[float, Field(gt=0, le=1000)] | None = None
    duration_s: Annotated[float, Field(gt=0, le=10)] | None = None
    charge_mc: Annotated[float, Field(gt=0, le=1200)]
    seizure_threshold_multiple: Annotated[float, Field(gt=0, le=20)] | None = None
    eeg_seizure_s: Annotated[int, Field(ge=0, le=600)]
    motor_seizure_s: Annotated[int, Field(ge=0, le=600)]
    seizure_terminated: bool = False
    termination_drug: Annotated[str, Field(max_length=100)] = ""
    anaesthetic: Literal["methohexital", "etomidate", "propofol", "ketamine", "other"]
    anaesthetic_dose_mg: Annotated[float, Field(gt=0, le=1000)]
    muscle_relaxant: Literal["succinylcholine", "rocuronium", "other", "none"] = "succinylcholine"
    muscle_relaxant_dose_mg: Annotated[float, Field(ge=0, le=500)] | None = None
    restimulated: bool = False
    notes: Annotated[str, Field(max_length=2000)] = ""

    @model_validator(mode="after")
    def _check(self) -> EctParameters:
        if self.seizure_terminated and not self.termination_drug:
            raise ValueError("termination_drug: required when the seizure was terminated")
        return self


class EsketamineParameters(_Strict):
    dose_mg: Literal[28, 56, 84]
    devices: Annotated[int, Field(ge=1, le=3)]
    device_lot: Annotated[str, Field(min_length=1, max_length=64)]
    first_device_at: Instant
    last_device_at: Instant | None = None
    notes: Annotated[str, Field(max_length=2000)] = ""

    @model_validator(mode="after")
    def _check(self) -> EsketamineParameters:
        if self.devices * 28 != self.dose_mg:
            raise ValueError(
                f"devices: {self.dose_mg} mg is {self.dose_mg // 28} device(s) of 28 mg"
            )
        if self.last_device_at is not None and self.last_device_at < self.first_device_at:
            raise ValueError("last_device_at: must not be before first_device_at")
        return self


MODELS: dict[str, type[_Strict]] = {
    "tms": TmsParameters,
    "ect": EctParameters,
    "esketamine": EsketamineParameters,
}


class ParametersError(ValueError):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def parse_parameters(modality: str, values: object) -> _Strict:
    """Validate `values` for the modality or raise ParametersError naming each field."""
    model = MODELS[modality]
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise ParametersError(format_errors(exc)) from None


def anchor_time(params: _Strict) -> dt.datetime | None:
    """The dose/procedure time that observation checkpoints count from, if recorded."""
    if isinstance(params, EsketamineParameters):
        return params.first_device_at
    if isinstance(params, EctParameters):
        return params.stimulus_at
    return None


def parameter_flags(params: _Strict) -> list[str]:
    """Clinical warnings on recorded parameters (accepted, shown as alerts).

    ECT adequacy: EEG seizure of 25 s or more is often used [Jayaprakash 1998]; a motor seizure
    under 15 s suggests under-stimulation [Medscape ECT]; a seizure of 120 s or more is
    prolonged and terminated [Luccarelli 2020].
    """
    flags: list[str] = []
    if isinstance(params, EctParameters):
        if params.eeg_seizure_s < 25:
            flags.append(f"EEG seizure {params.eeg_seizure_s} s is under 25 s (adequacy)")
        if params.motor_seizure_s < 15:
            flags.append(
                f"Motor seizure {params.motor_seizure_s} s is under 15 s "
                "(possible under-stimulation)"
            )
        if params.eeg_seizure_s >= 120 and not params.seizure_terminated:
            flags.append(f"EEG seizure {params.eeg_seizure_s} s is prolonged (120 s or more)")
    return flags
