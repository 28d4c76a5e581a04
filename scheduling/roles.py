"""Which staff roles may change the schedule; services and pages check the same tuples."""

from clinic.models import ROLE_CLINICIAN, ROLE_NURSE, ROLE_SCHEDULER

BOOKERS = (ROLE_SCHEDULER, ROLE_CLINICIAN)
# Who may move a session along on the day (check-in also happens at the front desk).
CHECK_IN_ROLES = (ROLE_SCHEDULER, ROLE_NURSE, ROLE_CLINICIAN)
CARE_ROLES = (ROLE_NURSE, ROLE_CLINICIAN)
