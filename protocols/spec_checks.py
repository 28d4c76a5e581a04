"""Checks of a protocol spec against what other apps know, run whenever a spec is validated.

A spec names form templates (`forms.observation` ...), which live in charting, above protocols.
So that protocols never imports charting, charting registers its checks here from
`ChartingConfig.ready()` (for example: the observation form's minimum observation time must fit
the protocol's observation window), and `protocol_spec_validate` runs them all, for the loader,
the admin and the API alike.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from protocols.spec import ProtocolSpec


@dataclass(frozen=True, slots=True)
class SpecProblem:
    code: str  # stable, e.g. "observation_window_mismatch"
    message: str


SpecCheck = Callable[[ProtocolSpec], list[SpecProblem]]

_checks: list[SpecCheck] = []


def register_spec_check(check: SpecCheck) -> None:
    if check not in _checks:
        _checks.append(check)


def spec_problems(spec: ProtocolSpec) -> list[SpecProblem]:
    return [problem for check in _checks for problem in check(spec)]
