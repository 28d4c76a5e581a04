"""Every staff page fits a 768 px tablet and a 375 px phone without sideways scrolling, the
resource grid fits 1280 px, the navigation is one row at 1280 px for every role, and no page
repeats an element id. One browser; one context per role; the viewport is resized, not
relaunched. The list of pages is checked against the URL conf, so a new page is not forgotten."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser

from charting import urls as charting_urls
from clinic import urls as clinic_urls
from scheduling import urls as scheduling_urls
from tests.browser.conftest import DAY, log_in
from tests.pages.conftest import esk_session, now, templates  # noqa: F401 (fixtures)
from tests.support.factories import make_user

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Page name -> its address, given the session s.
STAFF_PAGES = {
    "home": lambda s: f"/?date={DAY}",
    "grid": lambda s: f"/grid/?date={DAY}",
    "patients": lambda s: "/patients/",
    "patient-detail": lambda s: f"/patients/{s.patient_id}/",
    "patient-register": lambda s: "/patients/new/",
    "patient-edit": lambda s: f"/patients/{s.patient_id}/edit/",
    "session-detail": lambda s: f"/sessions/{s.pk}/",
    "course-detail": lambda s: f"/courses/{s.course_id}/",
    "book": lambda s: "/book/",
    "site-page": lambda s: "/site/",
    "nurse-day": lambda s: "/nurse/",
    "session-screening": lambda s: f"/sessions/{s.pk}/screening/",
    "course-screening": lambda s: f"/courses/{s.course_id}/screening/",
    "observation": lambda s: f"/sessions/{s.pk}/observation/",
    "alerts": lambda s: "/alerts/",
    "parameters": lambda s: f"/sessions/{s.pk}/parameters/",
    "course-outcomes": lambda s: f"/courses/{s.course_id}/outcomes/",
    "my-calendar": lambda s: "/my-calendar/",
    "background-work": lambda s: "/background/",
}
# Not staff pages: form targets (POST only), the patient's own pages and feeds (a token).
NOT_PAGES = {
    "patient-feed-issue", "site-feed-create", "feed-rotate", "feed-revoke", "session-change",
    "calendar-feed", "patient-home", "patient-session-ics", "patient-companion-create",
    "patient-companion-revoke", "patient-reminder", "session-action", "observation-anchor",
    "observation-sign", "observation-values", "observation-amend", "alert-ack",
    "screening-override", "screening-review", "course-outcome-baseline",
    "early-review-decision", "course-checkin-setting", "patient-reports", "patient-checkin",
    "patient-export", "patient-questionnaire", "patient-question",
    "patient-questionnaire-review", "patient-change-request", "change-request-handle",
    "course-change", "site-phone",
}  # fmt: skip
ROLES = ("scheduler", "nurse", "clinician", "admin")

MEASURE = """() => {
  const ids = [...document.querySelectorAll('[id]')].map(e => e.id);
  const nav = document.querySelector('header.top nav');
  const link = nav && nav.querySelector('a');
  return {
    scroll: document.documentElement.scrollWidth, inner: window.innerWidth,
    dupes: ids.filter((id, i) => ids.indexOf(id) !== i),
    nav: nav ? nav.getBoundingClientRect().height : 0,
    link: link ? link.getBoundingClientRect().height : 0,
  };
}"""


def _names() -> set[str]:
    patterns = [
        p
        for module in (clinic_urls, scheduling_urls, charting_urls)
        for p in [*module.urlpatterns, *getattr(module, "last_patterns", [])]
    ]
    return {p.name for p in patterns if p.name}


def test_the_page_list_covers_every_staff_page():
    names = _names()
    assert names - set(STAFF_PAGES) - NOT_PAGES == set(), "a new page: add it to STAFF_PAGES"
    assert set(STAFF_PAGES) <= names


@pytest.fixture
def staff(site):
    users = {role: make_user(f"w-{role}", role, site) for role in ROLES}
    users["admin"].is_superuser = True
    users["admin"].save()
    return users


def test_every_staff_page_fits_and_has_unique_ids(
    esk_session,  # noqa: F811
    staff,
    browser: Browser,
    live_server,
):
    urls = {name: build(esk_session) for name, build in STAFF_PAGES.items()}
    problems: list[str] = []
    for role in ROLES:
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": 1280, "height": 800}
        )
        try:
            page = context.new_page()
            log_in(page, staff[role].username, next_path="/")
            m = page.evaluate(MEASURE)
            assert m["link"] > 0, m
            if m["nav"] > 1.5 * m["link"]:
                problems.append(f"{role}: the navigation wraps at 1280 px ({m['nav']} px)")
            if role != "admin":
                continue
            # The admin may open every page: widths and ids, page by page.
            for width in (1280, 768, 375):
                page.set_viewport_size({"width": width, "height": 800})
                # The grid may scroll inside its own box below 1280 px; the page may not.
                for url in urls.values():
                    response = page.goto(url)
                    assert response is not None and response.status == 200, url
                    m = page.evaluate(MEASURE)
                    if m["scroll"] > m["inner"]:
                        problems.append(f"{url} at {width} px: {m['scroll']} px wide")
                    if width == 1280 and m["dupes"]:
                        problems.append(f"{url}: repeated ids {sorted(set(m['dupes']))}")
        finally:
            context.close()
    assert problems == []
