"""One clock (clinic/clock.py): app code asks `clock.now()` - the clinic's instant, which
settings.CLINIC_NOW pins - or, for the machinery, `clock.wall_now()`; never the time directly.
And the API honours the pin the way the pages do."""

from __future__ import annotations

import ast
from pathlib import Path

from django.apps import apps

from scheduling.models import Session
from tests.support.clock import local
from tests.support.factories import make_course, make_session

ROOT = Path(__file__).resolve().parent.parent.parent
CLOCK = ROOT / "clinic" / "clock.py"
# Calls that read the time: `timezone.localdate()` / `localtime()` with no argument mean "now".
READS_NOW = {
    ("timezone", "now"),
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("date", "today"),
}
ARGLESS_READS_NOW = {("timezone", "localdate"), ("timezone", "localtime")}


# Issue 17: these two move to kind folders in another change, which switches them to the clock;
# drop this set when it lands.
def _app_code() -> list[Path]:
    """The project's own modules: every installed app at the repository's top, and the project
    package (`config/`, once it exists), without migrations."""
    roots = {Path(a.path) for a in apps.get_app_configs() if Path(a.path).parent == ROOT}
    if (ROOT / "config").is_dir():
        roots.add(ROOT / "config")
    return sorted(
        p for r in roots for p in r.rglob("*.py") if "migrations" not in p.relative_to(r).parts
    )


def _owner(node: ast.expr) -> str | None:
    """`timezone` for `timezone.now`, `datetime` for `dt.datetime.now`."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _reads_of_the_time(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.timezone":
            found += [(node.lineno, f"imports {a.name}") for a in node.names if a.name == "now"]
        elif (isinstance(node, ast.Attribute) and (_owner(node.value), node.attr) in READS_NOW) or (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and (_owner(node.func.value), node.func.attr) in ARGLESS_READS_NOW
            and not node.args
            and not node.keywords
        ):
            found.append((node.lineno, ast.unparse(node)))
    return [f"{line}: {what}" for line, what in sorted(found)]


def test_only_clinic_clock_reads_the_time():
    files = _app_code()
    assert CLOCK in files
    assert ROOT / "scheduling" / "enrolment.py" in files
    bare = [
        f"{path.relative_to(ROOT)}:{hit}"
        for path in files
        if path != CLOCK
        for hit in _reads_of_the_time(path)
    ]
    assert bare == [], "use clinic.clock.now() (or wall_now() for the machinery, with why)"


def test_the_scan_sees_each_way_of_reading_the_time(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from django.utils import timezone\n"
        "from django.utils.timezone import now\n"
        "a = timezone.now()\n"
        "b = models.DateTimeField(default=timezone.now)\n"
        "c = dt.datetime.now(dt.UTC)\n"
        "d = timezone.localdate()\n"
        "e = timezone.localdate(clock.now())\n"
    )
    assert [hit.split(":")[0] for hit in _reads_of_the_time(sample)] == ["2", "3", "4", "5", "6"]


def _tms_session(site, scheduler, patient):
    course = make_course(patient=patient, modality="tms", booked_by=scheduler)
    # Monday 9 March 2026, 10:00-10:45 local; check-in opens at 08:00 (the site's window).
    return make_session(course=course, start=local(site, "2026-03-09", "10:00"))


def test_an_api_action_honours_the_pinned_clock_as_the_pages_do(
    site, nurse, scheduler, patient, api_as, settings
):
    """The check-in window is judged at the clinic's now. Pinned inside the window, the API
    lets the check-in through it, whatever the real date; pinned before it, it refuses."""
    session = _tms_session(site, scheduler, patient)
    settings.CLINIC_NOW = local(site, "2026-03-09", "07:59")
    early = api_as(nurse).post(f"sessions/{session.pk}/check_in")
    assert (early.status_code, early.json()["code"]) == (409, "outside_check_in_window")

    settings.CLINIC_NOW = local(site, "2026-03-09", "09:55")
    inside = api_as(nurse).post(f"sessions/{session.pk}/check_in")
    # The window lets it through; the TMS course's screening gate is what answers now.
    assert inside.json().get("code") != "outside_check_in_window", inside.json()
    session.refresh_from_db()
    assert session.status == Session.Status.SCHEDULED
