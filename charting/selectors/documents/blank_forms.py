"""What a blank paper form PDF shows (charting/documents/blank_forms.py): a form template's
questions and checkpoints, for when the tablet is down.
"""

from __future__ import annotations

import datetime as dt

from charting.documents.blank_forms import BlankCheckpoint, BlankField, BlankFormData
from charting.models import FormTemplate
from charting.spec import FormField
from clinic.models import Site


def blank_form_data(*, template: FormTemplate, site: Site, now: dt.datetime) -> BlankFormData:
    """No queries beyond the template and site the caller passes."""
    spec = template.parsed
    checkpoints = []
    for cp in spec.checkpoints:
        if cp.before_anchor:
            when = "before the dose" if spec.anchor == "dose" else "before the procedure"
        else:
            after = "the dose" if spec.anchor == "dose" else "the procedure"
            when = f"{cp.offset_minutes} min after {after}"
        checkpoints.append(BlankCheckpoint(cp.label, when, [_blank_field(f) for f in cp.fields]))
    return BlankFormData(
        site_name=site.name,
        zone_name=site.timezone,
        generated_at=now.astimezone(site.zone),
        name=template.name,
        slug=template.slug,
        version=template.version,
        kind=template.kind,
        description=spec.description,
        fields=[_blank_field(f) for f in spec.fields],
        checkpoints=checkpoints,
    )


def _blank_field(f: FormField) -> BlankField:
    return BlankField(
        label=f.label,
        type=f.type.value,
        unit=f.unit,
        choices=[c.label for c in f.choices],
        help=f.help,
    )
