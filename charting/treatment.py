"""Treatment parameters: what was delivered in a session (TMS, ECT, esketamine dose)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction

from charting import parameters as params_mod
from charting.error_codes import (
    ERR_INVALID_PARAMETERS,
    ERR_PARAMETERS_LOCKED,
    ERR_SESSION_NOT_OPEN,
    ERR_SESSION_NOT_STARTED,
)
from charting.models import Alert, ObservationRecord, TreatmentParameters
from charting.observations import check_anchor_time, set_anchor
from charting.recording import CHARTING_ROLES
from clinic.clock import resolve_now
from clinic.errors import Conflict, InvalidInput
from clinic.history import save_with_history
from clinic.models import ROLE_CLINICIAN
from clinic.permissions import require_role
from scheduling.models import Session


def parameters_record(
    *, session: Session, values: Any, by: User, now: dt.datetime | None = None
) -> TreatmentParameters:
    """Record (or correct, until the session is completed) what was delivered.

    TMS and ECT: clinicians. Esketamine: nurses or clinicians (dose administration). A recorded
    esketamine first-device time or ECT stimulus time becomes the observation anchor.
    """
    now = resolve_now(now)
    with transaction.atomic():
        session = (
            Session.objects.select_for_update().select_related("course", "site").get(pk=session.pk)
        )
        modality = session.course.modality or session.course.protocol.modality
        if modality == "esketamine":
            require_role(by, *CHARTING_ROLES, action="record esketamine dose administration")
        else:
            require_role(by, ROLE_CLINICIAN, action=f"record {modality.upper()} parameters")
        if session.status in (Session.Status.SCHEDULED, Session.Status.CHECKED_IN):
            raise Conflict("The session has not started.", code=ERR_SESSION_NOT_STARTED)
        if session.status in Session.INACTIVE:
            raise Conflict(f"The session is {session.status}.", code=ERR_SESSION_NOT_OPEN)
        if session.status == Session.Status.COMPLETED:
            raise Conflict(
                "The session is completed; its parameters are locked.", code=ERR_PARAMETERS_LOCKED
            )
        try:
            parsed = params_mod.parse_parameters(modality, values)
        except params_mod.ParametersError as exc:
            raise InvalidInput(str(exc), code=ERR_INVALID_PARAMETERS) from None
        flags = params_mod.parameter_flags(parsed)
        anchor = params_mod.anchor_time(parsed)
        if anchor is not None:
            name = "first_device_at" if modality == "esketamine" else "stimulus_at"
            check_anchor_time(anchor, session, now, f"values.{name}")
        row = TreatmentParameters.objects.filter(session=session).first()
        old_flags = set(row.flags) if row else set()
        if row is None:
            row = TreatmentParameters(session=session, site_id=session.site_id, modality=modality)
        row.values = parsed.model_dump(mode="json")
        row.flags = flags
        row.recorded_by = by
        row.recorded_at = now
        save_with_history(row, by)
        for message in flags:
            if message not in old_flags:
                save_with_history(
                    Alert(
                        kind=Alert.Kind.PARAMETER,
                        site_id=session.site_id,
                        patient_id=session.patient_id,
                        course_id=session.course_id,
                        session=session,
                        message=message,
                        raised_at=now,
                    ),
                    by,
                )
        record = ObservationRecord.objects.filter(session=session).first()
        if anchor is not None and record is not None and record.status == "open":
            set_anchor(record, anchor, by, now=now)
        return row
