"""The demo clinic that `make run` loads (`manage.py seed_demo`), as plain data.

Kept free of Django imports so scripts/run_dev.py can print the logins without setting Django up.
These credentials are published in the README: they must never exist in production, which is
why seed_demo refuses to run unless DEBUG is on or --force is given.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple


class DemoUser(NamedTuple):
    username: str
    password: str
    role: str
    first_name: str
    last_name: str
    token: str  # a fixed, published API token, so the README's curl examples work as written


class DemoPatient(NamedTuple):
    mrn: str
    given_name: str
    family_name: str
    date_of_birth: dt.date
    sex: str
    rems_enrolled: bool


SITE_SLUG = "riverside"
SITE_NAME = "Riverside Interventional Psychiatry"
SITE_TIMEZONE = "America/New_York"
SITE_HOLIDAY_COUNTRY = "US"
SITE_HOLIDAY_SUBDIVISION = "NY"
SITE_ADDRESS = "200 River Road, Riverside, NY"
OPENS = dt.time(8, 0)
CLOSES = dt.time(18, 0)
WEEKDAYS_OPEN = (0, 1, 2, 3, 4)  # Monday to Friday
CLOSURE_REASON = "Staff training day (demo closure)"
CLOSURE_DAYS_AHEAD = 21

RESOURCES: tuple[tuple[str, str], ...] = (
    ("tms_chair", "TMS chair 1"),
    ("tms_chair", "TMS chair 2"),
    ("tms_chair", "TMS chair 3"),
    ("tms_device", "TMS device A"),
    ("tms_device", "TMS device B"),
    ("ect_suite", "ECT suite"),
    ("recovery_bay", "Recovery bay 1"),
    ("recovery_bay", "Recovery bay 2"),
    ("monitoring_chair", "Spravato chair 1"),
    ("monitoring_chair", "Spravato chair 2"),
)

USERS: tuple[DemoUser, ...] = (
    DemoUser("scheduler", "demo-scheduler", "scheduler", "Sam", "Scheduler", "ict_demo-scheduler"),
    DemoUser("nurse", "demo-nurse", "nurse", "Nina", "Nurse", "ict_demo-nurse"),
    DemoUser("clinician", "demo-clinician", "clinician", "Carl", "Clinician", "ict_demo-clinician"),
    DemoUser("admin", "demo-admin", "admin", "Ada", "Admin", "ict_demo-admin"),
)

PATIENTS: tuple[DemoPatient, ...] = (
    DemoPatient("RIP-0001", "Alex", "Morgan", dt.date(1984, 3, 12), "F", True),
    DemoPatient("RIP-0002", "Jordan", "Lee", dt.date(1975, 11, 2), "M", False),
    DemoPatient("RIP-0003", "Casey", "Nguyen", dt.date(1991, 7, 23), "F", False),
    DemoPatient("RIP-0004", "Riley", "Okafor", dt.date(1968, 1, 30), "M", False),
    DemoPatient("RIP-0005", "Taylor", "Schmidt", dt.date(2001, 9, 5), "X", False),
    DemoPatient("RIP-0006", "Morgan", "Patel", dt.date(1959, 4, 18), "F", False),
)


def logins_text(base_url: str | None = None) -> str:
    """The demo logins as printed by seed_demo and run_dev."""
    lines = ["Demo logins (development only; published in the README):"]
    for user in USERS:
        admin = "  + Django admin" if user.role == "admin" else ""
        lines.append(
            f"  {user.username:<10} password {user.password:<15} API token {user.token}{admin}"
        )
    if base_url:
        lines.append(f"  try: curl -H 'Authorization: Bearer {USERS[0].token}' {base_url}api/v1/me")
    return "\n".join(lines)
