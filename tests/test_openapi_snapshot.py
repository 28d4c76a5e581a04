"""The OpenAPI document is public: generated clients name their methods after its operation ids
and their types after its schema names, so it must not change by accident (moving a handler to
another module changes ninja's default operation id, renaming a schema class renames a type).

When the API changes on purpose, regenerate the snapshot deliberately and review its diff:

    ALLOW_INSECURE_KEY=1 .venv/bin/python scripts/openapi_snapshot.py
"""

import json
import re
from pathlib import Path

from django.test import Client
from django.urls import Resolver404, resolve

from config.root_api import api

SNAPSHOT = Path(__file__).resolve().parent / "openapi_snapshot.json"


def served_document(client: Client) -> dict:
    """The document exactly as /api/v1/openapi.json serves it (the path prefix included: a
    prefix passed by hand once turned every nested charting path into /api/v1charting/...)."""
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return json.loads(response.content)


def test_every_documented_path_is_a_real_url(client: Client) -> None:
    for path in served_document(client)["paths"]:
        concrete = re.sub(r"\{[^}]+\}", "1", path)
        try:
            resolve(concrete)
        except Resolver404:
            raise AssertionError(f"{path} is documented but no URL serves it") from None


def test_openapi_document_equals_the_committed_snapshot(client: Client):
    generated = served_document(client)
    expected = json.loads(SNAPSHOT.read_text())

    def operations(doc):
        return {
            (method, path): op.get("operationId")
            for path, methods in doc["paths"].items()
            for method, op in methods.items()
        }

    # The two narrower checks first, for a readable failure; then the whole document.
    assert operations(generated) == operations(expected)
    assert sorted(generated["components"]["schemas"]) == sorted(expected["components"]["schemas"])
    assert generated == expected, "regenerate with scripts/openapi_snapshot.py if intended"


def test_every_operation_id_is_unique():
    ids = [
        op["operationId"]
        for methods in api.get_openapi_schema()["paths"].values()
        for op in methods.values()
    ]
    assert len(ids) == len(set(ids))
