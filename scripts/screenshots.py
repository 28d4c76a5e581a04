"""Regenerate the README's screenshots (docs/screenshots/*.png) from the demo clinic.

    .venv/bin/python scripts/screenshots.py

Builds a throwaway SQLite database (migrate, protocols, form templates, seed_demo), books a few
courses through the booking services for a fixed Monday and moves that day's sessions along
through the charting and scheduling services, then serves it with runserver and photographs the
pages in Debian's chromium (Playwright, no browser download). Nothing touches db.sqlite3.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# A fixed Monday, so the pictures do not change with the day they are taken.
DAY = dt.date(2027, 1, 11)
ZONE = ZoneInfo("America/New_York")
BOOKED_AT = dt.datetime(2027, 1, 4, 12, 0, tzinfo=dt.UTC)

# (MRN, protocol slug, preferred local time)
COURSES = [
    ("RIP-0002", "tms-10hz-standard", dt.time(8, 0)),
    ("RIP-0003", "tms-10hz-standard", dt.time(9, 0)),
    ("RIP-0001", "esketamine-trd", dt.time(9, 30)),
    ("RIP-0005", "tms-itbs", dt.time(10, 0)),
    ("RIP-0006", "tms-deep-h1", dt.time(11, 0)),
]


def at(hhmm: str) -> dt.datetime:
    hour, minute = map(int, hhmm.split(":"))
    return dt.datetime.combine(DAY, dt.time(hour, minute), tzinfo=ZONE)


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def benign_answers(slug: str) -> dict[str, bool]:
    """Answers to a yes/no screening that raise nothing (no hard stop, no review)."""
    from charting.form_templates import template_current

    answers = {}
    for field in template_current(slug).parsed.fields:
        if field.type == "yes_no" and field.required:
            flagged = [*field.hard_stop_when, *field.review_when, *field.alert_when]
            answers[field.key] = False in flagged  # "no" is the flagged answer: say "yes"
    return answers


def stage() -> dict[str, int]:
    """Book the courses and move the day's sessions along; returns the ids to photograph."""
    import django

    django.setup()
    from django.contrib.auth.models import User

    from charting.models import ObservationRecord
    from charting.observations import (
        observation_record_values,
        observation_set_anchor,
        observation_sign,
    )
    from charting.outcomes import scale_record
    from charting.screening import course_screening_submit, session_screening_submit
    from clinic.models import Patient
    from scheduling.enrolment import course_enrol
    from scheduling.models import Session
    from scheduling.session_lifecycle import session_check_in, session_complete, session_start

    scheduler = User.objects.get(username="scheduler")
    nurse = User.objects.get(username="nurse")
    courses = {}
    for mrn, slug, preferred in COURSES:
        patient = Patient.objects.get(mrn=mrn)
        courses[mrn] = course_enrol(
            patient=patient,
            protocol=slug,
            site=patient.site_id,
            start_date=DAY,
            preferred_time=preferred,
            by=scheduler,
            now=BOOKED_AT,
        ).course

    def first_session(mrn: str) -> Session:
        return Session.objects.get(course=courses[mrn], number=1)

    # Jordan Lee: screened, treated, observed and signed out: completed.
    jordan = first_session("RIP-0002")
    course_screening_submit(
        course=courses["RIP-0002"],
        answers=benign_answers("tms-safety-screen"),
        by=nurse,
        now=at("07:40"),
    )
    session_check_in(session_id=jordan.pk, by=nurse, now=at("07:50"))
    session_screening_submit(
        session=jordan, answers=benign_answers("tms-session-check"), by=nurse, now=at("07:55")
    )
    session_start(session_id=jordan.pk, by=nurse, now=at("08:00"))
    record = ObservationRecord.objects.get(session=jordan)
    observation_record_values(
        record=record,
        checkpoint="post_session",
        values={
            "headache": False,
            "scalp_pain": 2,
            "hearing_change": False,
            "seizure": False,
            "syncope": False,
            "stopped_early": False,
        },
        taken_at=at("08:46"),
        by=nurse,
        now=at("08:47"),
    )
    observation_sign(record=record, by=nurse, now=at("08:48"))
    session_complete(session_id=jordan.pk, by=nurse, now=at("08:49"))

    # Casey Nguyen: screened and in the chair.
    casey = first_session("RIP-0003")
    course_screening_submit(
        course=courses["RIP-0003"],
        answers=benign_answers("tms-safety-screen"),
        by=nurse,
        now=at("08:45"),
    )
    session_check_in(session_id=casey.pk, by=nurse, now=at("08:50"))
    session_screening_submit(
        session=casey, answers=benign_answers("tms-session-check"), by=nurse, now=at("08:55")
    )
    session_start(session_id=casey.pk, by=nurse, now=at("09:00"))

    # Alex Morgan (esketamine): screened, dosed at 09:32, high pre-dose blood pressure
    # (confirmed, clinician alerted), the 40-minute check done; discharge not before 11:32.
    alex = first_session("RIP-0001")
    session_check_in(session_id=alex.pk, by=nurse, now=at("09:20"))
    session_screening_submit(
        session=alex, answers=benign_answers("esketamine-pre-dose"), by=nurse, now=at("09:25")
    )
    session_start(session_id=alex.pk, by=nurse, now=at("09:30"))
    record = ObservationRecord.objects.get(session=alex)
    observation_set_anchor(record=record, at=at("09:32"), by=nurse, now=at("09:33"))
    observation_record_values(
        record=record,
        checkpoint="pre_dose",
        values={"bp": "152/92", "spo2": 98, "vitals_acceptable": True},
        taken_at=at("09:28"),
        by=nurse,
        now=at("09:33"),
    )
    observation_record_values(
        record=record,
        checkpoint="post_40",
        values={
            "bp": "138/86",
            "spo2": 97,
            "sedation": "mild",
            "dissociation": "mild",
            "respiratory_depression": False,
        },
        taken_at=at("10:12"),
        by=nurse,
        now=at("10:13"),
    )

    # Morgan Patel (deep TMS): a cochlear implant on the safety screen, a hard stop.
    clinician = User.objects.get(username="clinician")
    morgan = courses["RIP-0006"]
    course_screening_submit(
        course=morgan,
        answers={**benign_answers("tms-safety-screen"), "cochlear_implant": True},
        by=nurse,
        now=at("08:30"),
    )
    # Jordan Lee's PHQ-9: baseline a week before, then falling; item 9 positive on the first.
    for day, items in (
        (dt.date(2027, 1, 4), [3, 3, 2, 3, 2, 2, 2, 1, 1]),
        (dt.date(2027, 1, 8), [2, 2, 2, 2, 2, 2, 1, 1, 0]),
        (DAY, [1, 2, 1, 2, 1, 1, 1, 0, 0]),
    ):
        when = dt.datetime.combine(day, dt.time(8, 20), tzinfo=ZONE)
        scale_record(
            course=courses["RIP-0002"],
            scale="phq9",
            items={f"item{i}": v for i, v in enumerate(items, start=1)},
            administered_at=when,
            by=clinician,
            now=at("09:00"),
        )
    return {
        "course": courses["RIP-0002"].pk,
        "jordan_patient": courses["RIP-0002"].patient_id,
        "alex": alex.pk,
        "casey": casey.pk,
        "taylor_course": courses["RIP-0005"].pk,
        "riley": Patient.objects.get(mrn="RIP-0004").pk,
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(url: str, proc: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit("runserver exited early")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"runserver did not answer at {url}")


def log_in(page, who: str) -> None:
    page.goto("/accounts/login/?next=/")
    page.get_by_label("Username").fill(who)
    page.get_by_label("Password").fill(f"demo-{who}")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")


def photograph(base: str, ids: dict[str, int]) -> list[Path]:
    from playwright.sync_api import expect, sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    shots: list[Path] = []
    day = DAY.isoformat()

    def shot(page, name: str, **kwargs) -> None:
        path = OUT / f"{name}.png"
        page.screenshot(path=path, full_page=True, **kwargs)
        shots.append(path)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

        def context(who: str, width: int = 1180, height: int = 820):
            page = browser.new_page(base_url=base, viewport={"width": width, "height": height})
            log_in(page, who)
            return page

        page = context("nurse")
        page.goto(f"/?date={day}")
        # Taylor Schmidt has no TMS safety screen yet: the board says why check-in is refused.
        row = page.locator("tr", has_text="Taylor Schmidt")
        row.get_by_role("button", name="Check in").click()
        expect(page.get_by_role("alert")).to_be_visible()
        shot(page, "day-board")
        page.goto(f"/courses/{ids['course']}/")
        shot(page, "course", clip={"x": 0, "y": 0, "width": 1180, "height": 1150})
        page.close()

        # The nurse's pages, tablet-sized.
        page = context("nurse", 768, 1024)
        page.goto("/nurse/")
        shot(page, "nurse-day")
        page.goto(f"/courses/{ids['taylor_course']}/screening/")
        page.locator("input[name=cochlear_implant][value=yes]").check()
        shot(page, "screening", clip={"x": 0, "y": 0, "width": 768, "height": 1100})
        page.goto(f"/sessions/{ids['alex']}/observation/")
        page.locator("#id_discharge-bp__systolic").fill("171")
        shot(page, "observation")
        page.close()

        page = context("nurse", 375, 740)
        page.goto(f"/sessions/{ids['alex']}/observation/")
        shot(page, "phone-observation", clip={"x": 0, "y": 0, "width": 375, "height": 1400})
        page.close()

        # The scheduler's pages.
        page = context("scheduler")
        page.goto(f"/grid/?date={day}")
        shot(page, "resource-grid")
        page.goto(f"/book/?patient={ids['riley']}")
        page.get_by_label("Protocol").select_option(label="Standard 10 Hz rTMS (L-DLPFC) (v1)")
        page.get_by_label("Start date").fill("2027-01-18")
        page.get_by_label("Preferred time (site time)").fill("13:00")
        page.get_by_role("button", name="Preview schedule").click()
        shot(page, "booking", clip={"x": 0, "y": 0, "width": 1180, "height": 1600})
        page.goto("/patients/?q=lee")
        shot(page, "patient-search")
        page.goto(f"/patients/{ids['jordan_patient']}/")
        shot(page, "patient", clip={"x": 0, "y": 0, "width": 1180, "height": 1200})
        page.goto(f"/courses/{ids['course']}/")
        page.locator("tbody tr").nth(4).get_by_role("link").first.click()
        page.get_by_label("Reason for cancelling").fill("Patient travelling")
        page.locator("#cancel-h + form").get_by_role("button", name="Show what happens").click()
        shot(page, "session-cancel")
        page.goto("/site/")
        page.get_by_label("Day to close").fill("2027-01-13")
        page.get_by_label("Reason").fill("Power maintenance")
        page.get_by_role("button", name="Show what moves").click()
        shot(page, "site-close-day")
        page.close()

        # The clinician's pages.
        page = context("clinician")
        page.goto("/alerts/")
        shot(page, "alerts")
        page.goto(f"/courses/{ids['course']}/outcomes/")
        shot(page, "outcomes", clip={"x": 0, "y": 0, "width": 1180, "height": 900})
        page.goto(f"/sessions/{ids['casey']}/parameters/")
        shot(page, "parameters")
        page.close()
        browser.close()
    return shots


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="clinic-shots-") as tmp:
        env = {
            **os.environ,
            "DEBUG": "1",
            "DATABASE_URL": f"sqlite:///{tmp}/db.sqlite3",
            "DJANGO_SETTINGS_MODULE": "config.settings",
            # The pages' clock (DEBUG only): mid-morning of the photographed day.
            "CLINIC_NOW": at("10:20").isoformat(),
        }
        for args in (
            ["migrate", "--noinput", "-v", "0"],
            ["load_protocols"],
            ["load_form_templates"],
            ["seed_demo"],
        ):
            manage(env, *args)
        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        ids = stage()
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_for(f"{base}/accounts/login/", server)
            for path in photograph(base, ids):
                print(f"wrote {path.relative_to(ROOT)}")
        finally:
            server.terminate()
            server.wait(timeout=10)


if __name__ == "__main__":
    main()
