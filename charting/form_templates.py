"""Form templates: store versions (immutable once records use them), load the built-in
library (charting/library/*.json), and find the current version of a slug."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.db import transaction

from charting.error_codes import (
    ERR_INVALID_TEMPLATE,
    ERR_OBSERVATION_WINDOW_MISMATCH,
    ERR_TEMPLATE_IN_USE,
    ERR_TEMPLATE_MISSING,
)
from charting.models import FormTemplate, ObservationRecord, ScreeningResponse
from charting.spec import TemplateError, TemplateSpec, parse_template
from clinic.errors import Conflict, InvalidInput
from protocols.models import Protocol
from protocols.spec import ProtocolSpec
from protocols.spec_checks import SpecProblem

LIBRARY_DIR = Path(__file__).resolve().parent / "library"


def observation_window_problem(
    *, template: TemplateSpec, protocol_name: str, spec: ProtocolSpec
) -> str | None:
    """Why an observation form and a protocol that uses it disagree, or None.

    The form's `minimum_observation_minutes` (from the dose or procedure) is when discharge may
    be signed at the earliest; the protocol's `timing.observation_minutes` is how long the
    patient's chair or bay is held after the procedure. A minimum longer than the hold would
    book the chair for someone else while the patient may not yet leave (esketamine: at least
    2 hours, docs/clinical.md section 3).
    """
    window = spec.timing.observation_minutes
    if template.minimum_observation_minutes <= window:
        return None
    return (
        f"{template.slug} v{template.version} requires at least "
        f"{template.minimum_observation_minutes} min of observation, but {protocol_name} holds "
        f"the patient's place for only {window} min after the procedure "
        "(timing.observation_minutes)"
    )


def protocol_observation_window_problems(spec: ProtocolSpec) -> list[SpecProblem]:
    """Registered with protocols' spec checks (ChartingConfig.ready): a protocol spec loaded or
    saved must fit the current version of the observation form it names."""
    slug = spec.forms.observation
    if slug is None:
        return []
    row = FormTemplate.objects.filter(slug=slug).order_by("-version").first()
    if row is None:
        return []  # not loaded yet: checked when the template is (template_save)
    problem = observation_window_problem(
        template=row.parsed, protocol_name="the protocol", spec=spec
    )
    return [SpecProblem(ERR_OBSERVATION_WINDOW_MISMATCH, problem)] if problem else []


def _check_protocols_using(template: TemplateSpec) -> None:
    if template.kind != "observation":
        return
    problems = []
    for protocol in Protocol.objects.exclude(status=Protocol.Status.RETIRED):
        spec = protocol.parsed
        if spec.forms.observation != template.slug:
            continue
        problem = observation_window_problem(
            template=template, protocol_name=str(protocol), spec=spec
        )
        if problem:
            problems.append(problem)
    if problems:
        raise InvalidInput("; ".join(problems), code=ERR_OBSERVATION_WINDOW_MISMATCH)


def template_save(*, data: dict[str, Any], builtin: bool = False) -> tuple[FormTemplate, str]:
    """Store one template version; returns (template, "created" | "unchanged" | "updated").

    A version that records already use is immutable: changing it needs a new version number.
    """
    try:
        spec = parse_template(data)
    except TemplateError as exc:
        raise InvalidInput(str(exc), code=ERR_INVALID_TEMPLATE) from None
    _check_protocols_using(spec)
    with transaction.atomic():
        row = (
            FormTemplate.objects.select_for_update()
            .filter(slug=spec.slug, version=spec.version)
            .first()
        )
        if row is None:
            row = FormTemplate.objects.create(
                slug=spec.slug,
                version=spec.version,
                kind=spec.kind,
                modality=spec.modality.value if spec.modality else "",
                name=spec.name,
                spec=data,
                builtin=builtin,
            )
            return row, "created"
        if row.spec == data:
            return row, "unchanged"
        if _template_in_use(row):
            raise Conflict(
                f"{spec.slug} v{spec.version} is already used by records; give the change a "
                "new version number.",
                code=ERR_TEMPLATE_IN_USE,
            )
        row.spec = data
        row.name = spec.name
        row.kind = spec.kind
        row.modality = spec.modality.value if spec.modality else ""
        row.save()
        return row, "updated"


def _template_in_use(row: FormTemplate) -> bool:
    return (
        ScreeningResponse.objects.filter(template=row).exists()
        or ObservationRecord.objects.filter(template=row).exists()
    )


def template_load_library(*, directory: Path = LIBRARY_DIR) -> list[tuple[str, int, str]]:
    """Load every built-in template (charting/library/*.json); idempotent."""
    out = []
    for path in sorted(directory.glob("*.json")):
        data = json.loads(path.read_text())
        try:
            row, action = template_save(data=data, builtin=True)
        except InvalidInput as exc:
            raise InvalidInput(f"{path.name}: {exc.message}", code=exc.code) from None
        out.append((row.slug, row.version, action))
    return out


def template_current(slug: str) -> FormTemplate:
    """The newest version of a template; built-ins are loaded on first use if missing."""
    row = FormTemplate.objects.filter(slug=slug).order_by("-version").first()
    if row is None and (LIBRARY_DIR / f"{slug}.json").exists():
        row, _ = template_save(
            data=json.loads((LIBRARY_DIR / f"{slug}.json").read_text()), builtin=True
        )
    if row is None:
        raise Conflict(
            f"The protocol names form template {slug!r}, which is not loaded "
            "(manage.py load_form_templates).",
            code=ERR_TEMPLATE_MISSING,
        )
    return row
