"""What happened: screening responses, observation records, amendments, alerts, treatment
parameters, outcome scales and the esketamine monitoring-form queue.

Every clinical model keeps its history (django-simple-history). Nothing here is deleted through
the API: foreign keys to sessions and courses PROTECT, and corrections are new rows (an
Amendment pointing at the entry it corrects), so the original stays visible.

The standard Django layout for a models package: the models live in one submodule per kind,
and this `__init__` imports every model class so that Django (and every importer) finds them
as `charting.models`. It is the one package allowed to import names to hand them on: Django
discovers an app's models by importing `<app>.models`.
"""

from charting.models.alerts import Alert
from charting.models.forms import FormTemplate, ScreeningResponse
from charting.models.monitoring_forms import MonitoringDigest, MonitoringFormItem
from charting.models.observations import (
    Amendment,
    ObservationCheckpoint,
    ObservationEntry,
    ObservationRecord,
)
from charting.models.outcomes import EarlyReview, ScaleAdministration, ScaleSource
from charting.models.patient_reports import (
    CourseCheckinSetting,
    DailyCheckIn,
    SelfReport,
    SitePatientSettings,
)
from charting.models.run_sheets import RunSheet
from charting.models.treatment import TreatmentParameters

__all__ = [
    "Alert",
    "Amendment",
    "CourseCheckinSetting",
    "DailyCheckIn",
    "EarlyReview",
    "FormTemplate",
    "MonitoringDigest",
    "MonitoringFormItem",
    "ObservationCheckpoint",
    "ObservationEntry",
    "ObservationRecord",
    "RunSheet",
    "ScaleAdministration",
    "ScaleSource",
    "ScreeningResponse",
    "SelfReport",
    "SitePatientSettings",
    "TreatmentParameters",
]
