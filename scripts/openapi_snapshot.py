"""Write the API's OpenAPI document to tests/openapi_snapshot.json.

Run it only when the API changes on purpose (a new endpoint, a new field), and review the diff:
tests/test_openapi_snapshot.py fails whenever the generated document differs from the snapshot,
because operation ids and schema names are public (generated clients name methods after them).

    ALLOW_INSECURE_KEY=1 .venv/bin/python scripts/openapi_snapshot.py
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT / "tests" / "openapi_snapshot.json"


def main() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from config.root_api import api

    # The same call the snapshot test makes; sorted keys keep the diff readable.
    # The root path the served /api/v1/openapi.json uses (reversed from the URLconf).
    document = api.get_openapi_schema()
    SNAPSHOT.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n")
    print(f"wrote {SNAPSHOT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
