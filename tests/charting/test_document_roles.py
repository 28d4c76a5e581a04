"""Privacy by role on documents (issue 18 point 5): every document endpoint for every role,
against the "Documents by role" table of docs/pages.md (read from there, so the docs and the
rule cannot drift), the table in clinic.permissions.DOCUMENTS, docs/documents.md and the
links on the pages. Another site's user gets 404 whatever the role."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from charting.models import ScreeningResponse
from charting.run_sheets import run_sheet_store
from charting.selectors.patient_reports import PATIENT_REPORT_READERS
from clinic.permissions import CLINICAL_READERS, DOCUMENTS
from tests.charting.documents_support import run_esketamine_session
from tests.support.clock import local
from tests.support.factories import make_user

pytestmark = pytest.mark.django_db

DOCS = Path(settings.BASE_DIR) / "docs"
ROLES = ("scheduler", "nurse", "clinician", "admin")
DAY = "2026-03-09"
# The documents the board and the course page link (the others are API-only).
LINKED = ("course_summary", "session_record", "rems_form", "run_sheet")


def documents_table(path: Path = DOCS / "pages.md") -> dict[str, tuple[str, dict[str, bool]]]:
    """kind -> (endpoint, role -> may open), from the table after "## Documents by role"."""
    text = path.read_text()
    section = text[text.index("## Documents by role") :]
    rows = [line for line in section.splitlines() if line.startswith("| `") and "/api/v1/" in line]
    table = {}
    for line in rows:
        cells = [c.strip() for c in line.strip("|").split("|")]
        kind, _, endpoint, *marks = cells
        assert all(m in ("yes", "no") for m in marks), line
        table[kind.strip("`")] = (
            endpoint.strip("`"),
            dict(zip(ROLES, [m == "yes" for m in marks], strict=True)),
        )
    return table


def table_text(path: Path) -> str:
    text = path.read_text()
    start = text.index("| kind | document | endpoint |")
    return text[start : text.index("\n\n", start)]


@pytest.fixture
def objects(site, nurse, esk):
    course, session = esk
    run_esketamine_session(session, nurse, local(site, DAY, "09:00"))
    run_sheet_store(site=site, day=dt.date(2026, 3, 10), now=local(site, DAY, "18:00"))
    return {
        "course_id": str(course.pk),
        "session_id": str(session.pk),
        "screening_id": str(ScreeningResponse.objects.filter(session=session).get().pk),
        "site_id": str(site.pk),
        "slug": "ect-recovery",
    }


def query_for(endpoint: str, site) -> dict[str, str]:
    if "run-sheet" in endpoint:
        return {"date": "2026-03-10"}
    if "blank.pdf" in endpoint:
        return {"site_id": str(site.pk)}
    return {}


def test_the_docs_table_is_the_rule():
    table = documents_table()
    assert set(table) == set(DOCUMENTS)
    for kind, (_, marks) in table.items():
        roles = DOCUMENTS[kind][1]
        assert {r for r in ROLES if r != "admin" and marks[r]} == set(roles), kind
        assert marks["admin"], kind
    # docs/documents.md writes the same matrix.
    assert table_text(DOCS / "documents.md") == table_text(DOCS / "pages.md")


def test_one_rule_with_patients_own_answers():
    assert PATIENT_REPORT_READERS == CLINICAL_READERS
    clinical = [k for k, (_, roles) in DOCUMENTS.items() if roles == CLINICAL_READERS]
    assert set(clinical) == {"course_summary", "session_record", "screening_checklist", "rems_form"}


def test_the_table_lists_every_document_endpoint(api_as, clinician):
    schema = api_as(clinician).get("openapi.json").json()
    documented = {
        path
        for path, operations in schema["paths"].items()
        for op in operations.values()
        if op.get("operationId", "").startswith("documents_")
    }
    assert documented == {endpoint for endpoint, _ in documents_table().values()}


def test_every_document_for_every_role(
    objects, api_as, site, scheduler, nurse, clinician, admin_user, other_site
):
    users = dict(zip(ROLES, (scheduler, nurse, clinician, admin_user), strict=True))
    strangers = [make_user(f"far-{r}", r, other_site) for r in ROLES]
    seen: dict[tuple[str, str], int] = {}
    for kind, (endpoint, marks) in documents_table().items():
        url = re.sub(r"\{(\w+)\}", lambda m: objects[m.group(1)], endpoint)
        query = query_for(endpoint, site)
        for role, user in users.items():
            response = api_as(user).get(url, **query)
            seen[kind, role] = response.status_code
            if marks[role]:
                assert response.status_code == 200, (kind, role, response.content[:200])
            else:
                assert response.status_code == 403, (kind, role)
                body = response.json()
                assert body["code"] == "role_forbidden"
                assert "nurse or clinician" in body["message"], body
        for stranger in strangers:
            assert api_as(stranger).get(url, **query).status_code == 404, (kind, stranger)
    assert seen["course_summary", "scheduler"] == 403
    assert seen["run_sheet", "scheduler"] == 200


def test_pages_link_only_the_documents_a_role_may_open(objects, site, scheduler, nurse, clinician):
    pages = [f"/?site={site.pk}&date={DAY}", f"/courses/{objects['course_id']}/"]
    table = documents_table()
    for user in (scheduler, nurse, clinician):
        client = Client()
        client.force_login(user)
        body = "".join(client.get(url).content.decode() for url in pages)
        role = user.groups.first().name
        for kind, (endpoint, marks) in table.items():
            if kind in (
                "stored_run_sheets",
                "stored_run_sheet",
                "blank_form",
                "screening_checklist",
            ):
                continue  # not linked from these pages
            url = re.sub(r"\{(\w+)\}", lambda m: objects[m.group(1)], endpoint)
            assert (url in body) == marks[role], (kind, role)
