"""Charting operations: the only code that writes charting rows.

Every service is keyword-only, runs in one transaction, checks the acting user's role, and takes
an injectable `now`. Role rules (docs/charting.md): nurses and clinicians complete screenings and
observations; only clinicians override hard stops, review flagged screenings, acknowledge
alerts, record TMS/ECT parameters and rate MADRS; nurses may also record esketamine dose
administration. Schedulers read only.

The services live in one module per area; this module re-exports them so callers import one
name (`from charting import services`):

- charting/form_templates.py: template versions and the built-in library
- charting/screening.py: course and session screening, hard-stop overrides, reviews
- charting/observations.py: observation records, checkpoints, entries, anchor, sign, amend
- charting/treatment.py: treatment parameters (what was delivered)
- charting/outcomes.py: outcome scale administrations and course outcomes
- charting/alerts.py: alert acknowledgement
- charting/monitoring_forms.py: the esketamine REMS monitoring form queue
- charting/service_support.py: helpers they share (roles, clock skew, `now`, saving with history)
"""

from __future__ import annotations

from charting.alerts import alert_acknowledge
from charting.form_templates import (
    LIBRARY_DIR,
    template_current,
    template_load_library,
    template_save,
)
from charting.monitoring_forms import monitoring_form_queue, monitoring_form_submit
from charting.observations import (
    observation_amend,
    observation_missing,
    observation_open,
    observation_record_values,
    observation_set_anchor,
    observation_sign,
)
from charting.outcomes import course_outcomes, scale_record
from charting.screening import (
    course_screening_submit,
    screening_override,
    screening_review,
    session_screening_submit,
)
from charting.service_support import CHARTING_ROLES, CLOCK_SKEW
from charting.treatment import parameters_record

__all__ = [
    "CHARTING_ROLES",
    "CLOCK_SKEW",
    "LIBRARY_DIR",
    "alert_acknowledge",
    "course_outcomes",
    "course_screening_submit",
    "monitoring_form_queue",
    "monitoring_form_submit",
    "observation_amend",
    "observation_missing",
    "observation_open",
    "observation_record_values",
    "observation_set_anchor",
    "observation_sign",
    "parameters_record",
    "scale_record",
    "screening_override",
    "screening_review",
    "session_screening_submit",
    "template_current",
    "template_load_library",
    "template_save",
]
