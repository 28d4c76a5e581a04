"""Calendar links for the demo clinic, printed by `manage.py seed_demo` (so by `make run`).

Tokens are shown once and stored hashed, so the only moment a newcomer can be given the demo
patient's link is when it is made: each seed rotates the demo feeds (or creates them) and prints
the new links; the links printed by an earlier run stop working.
"""

from __future__ import annotations

import os

from django.contrib.auth.models import User
from django.db import transaction
from django.urls import reverse

from clinic.models import Patient
from demo import clinic as demo_clinic
from scheduling.feed_tokens import feed_create, feed_rotate, patient_feed_issue
from scheduling.models import CalendarFeed

# The demo's calendar links go to the first demo patient and to the nurse persona.
DEMO_PATIENT_MRN = demo_clinic.PATIENTS[0].mrn
DEMO_STAFF_USERNAME = "nurse"


def _base_url() -> str:
    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "8000")
    return f"http://{host}:{port}"


@transaction.atomic
def demo_feed_links(base_url: str | None = None) -> str:
    """Rotate (or create) the demo patient's link and the nurse's staff feed; return the text
    to print. Empty when the demo rows are missing (seed_demo not run)."""
    base = (base_url or _base_url()).rstrip("/")
    patient = Patient.objects.filter(site__slug=demo_clinic.SITE_SLUG, mrn=DEMO_PATIENT_MRN).first()
    nurse = User.objects.filter(username=DEMO_STAFF_USERNAME).first()
    if patient is None or nurse is None:
        return ""
    site = patient.site
    if not site.patient_location_text:
        # What a clinic would write here: the place, in the words a patient needs to find it.
        site.patient_location_text = "Riverside Clinic, 200 River Road, 2nd floor"
        site.save(update_fields=["patient_location_text"])
    _, token = patient_feed_issue(patient=patient, by=None)
    staff_feed = CalendarFeed.objects.filter(
        kind=CalendarFeed.Kind.STAFF, user=nurse, site=patient.site, revoked_at__isnull=True
    ).first()
    if staff_feed is None:
        _, staff_token = feed_create(kind=CalendarFeed.Kind.STAFF, by=nurse, site=patient.site)
    else:
        _, staff_token = feed_rotate(feed_id=staff_feed.pk, by=nurse)
    page = base + reverse("patient-home", args=[token])
    feed = base + reverse("calendar-feed", args=[token])
    staff = base + reverse("calendar-feed", args=[staff_token])
    return "\n".join(
        [
            "Demo calendar links (new on every seed; earlier ones stop working):",
            f"  patient page of {patient.given_name} {patient.family_name}: {page}",
            f"  their calendar feed:  {feed}",
            f"  the nurse's staff feed: {staff}",
        ]
    )
