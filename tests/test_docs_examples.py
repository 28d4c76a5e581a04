"""The enrolment example of docs/scheduling.md works against the demo clinic as written: the
patient it searches for exists and has no course, and its body (with the shell variables filled
in as the example fills them) books a dry run."""

from __future__ import annotations

import datetime as dt
import json
import re
from io import StringIO
from pathlib import Path

from django.core.management import call_command
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent


def test_the_enrolment_example_books_on_the_demo_clinic(db):
    for command in ("load_protocols", "load_form_templates"):
        call_command(command, stdout=StringIO())
    call_command("seed_demo", force=True, stdout=StringIO(), stderr=StringIO())
    text = (ROOT / "docs" / "scheduling.md").read_text()
    block = text.split("## Enrol a patient", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    token_match = re.search(r"TOKEN=(\S+)", block)
    assert token_match is not None
    token = token_match.group(1)
    client = Client(headers={"Authorization": f"Bearer {token}"})
    query_match = re.search(r"-d '(\{\"q\": [^']+\})'", block)
    assert query_match is not None
    query = json.loads(query_match.group(1))
    found = client.post("/api/v1/patients/search", query, content_type="application/json")
    patient = found.json()["items"][0]["id"]
    site = client.get("/api/v1/me").json()["sites"][0]["id"]
    today = dt.date.today()
    start = today + dt.timedelta(days=7 - today.weekday())  # date -d 'next monday'
    body = block.rsplit("-d '", 1)[1].rsplit("'", 1)[0]
    body = (
        body.replace("'\"$PATIENT\"'", str(patient))
        .replace("'\"$SITE\"'", str(site))
        .replace("'\"$START\"'", start.isoformat())
    )
    response = client.post("/api/v1/courses", json.loads(body), content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["id"] is None  # dry run


def test_docs_stand_alone_no_path_outside_the_repository():
    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        text = doc.read_text()
        assert "/work/" not in text and "../shared" not in text, doc
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if re.match(r"^[a-z]+:", target):
                continue  # a web address
            assert (doc.parent / target).exists(), f"{doc.name} links to missing {target}"


def test_the_clinical_reference_has_every_section_the_code_cites():
    text = (ROOT / "docs" / "clinical.md").read_text()
    for number, title in [(1, "TMS"), (2, "ECT"), (3, "Esketamine"), (4, "Rating scales")]:
        assert f"## {number}. {title}" in text
    assert "## Sources" in text


def test_make_test_checks_formatting():
    recipe = (ROOT / "Makefile").read_text().split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert "ruff format --check" in recipe
