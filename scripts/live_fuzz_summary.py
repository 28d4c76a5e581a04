"""Summarise one schemathesis run (its NDJSON events report) for scripts/live_fuzz.sh.

Prints the requests made, the statuses answered, and each failure of the three checks the live
fuzz holds the API to, with a curl command, the payload sent and the answer received. Exits 1 if
there is any failure or error, or if the run did not finish.

Usage: live_fuzz_summary.py ROLE EVENTS.ndjson
"""

from __future__ import annotations

import base64
import json
import sys
from collections import Counter
from typing import Any

WATCHED = {
    "not_a_server_error": "5xx",
    "status_code_conformance": "undocumented status",
    "negative_data_rejection": "accepted invalid request",
}


def decoded(payload: Any) -> str:
    """A recorded body: schemathesis stores bytes as {"$base64": ...}."""
    if isinstance(payload, dict) and "$base64" in payload:
        return base64.b64decode(payload["$base64"]).decode("utf-8", "replace")
    return "" if payload is None else str(payload)


def answer_text(response: dict[str, Any]) -> str:
    """The answer's body, or its size and type when it is not text (a PDF, a calendar)."""
    headers = {name.lower(): values for name, values in (response.get("headers") or {}).items()}
    content_type = (headers.get("content-type") or [""])[0]
    body = decoded(response.get("content"))
    if "json" in content_type or content_type.startswith("text/"):
        return body[:600]
    return f"<{len(body)} characters of {content_type or 'unknown type'}>"


def summarise(role: str, events_path: str) -> int:
    requests = 0
    statuses: Counter[int] = Counter()
    failures: dict[tuple[str, str, int | None], dict[str, Any]] = {}
    errors: list[str] = []
    finished = False
    with open(events_path) as events:
        for line in events:
            kind, payload = next(iter(json.loads(line).items()))
            if kind == "NonFatalError":
                value = payload.get("value") or {}
                label = payload.get("label")
                errors.append(f"{label}: {value.get('type')}: {value.get('message')}")
            elif kind == "EngineFinished":
                finished = True
            elif kind == "ScenarioFinished":
                recorder = payload.get("recorder") or {}
                interactions = recorder.get("interactions") or {}
                for interaction in interactions.values():
                    if interaction.get("response") is not None:
                        requests += 1
                        statuses[interaction["response"]["status_code"]] += 1
                for case_id, checks in (recorder.get("checks") or {}).items():
                    for check in checks:
                        if check.get("status") != "failure" or check.get("name") not in WATCHED:
                            continue
                        info = check.get("failure_info") or {}
                        failure = info.get("failure") or {}
                        interaction = interactions.get(case_id) or {}
                        request = interaction.get("request") or {}
                        response = interaction.get("response") or {}
                        status = response.get("status_code")
                        key = (check["name"], recorder.get("label", "?"), status)
                        failures.setdefault(
                            key,
                            {
                                "title": failure.get("title", ""),
                                "message": failure.get("message", ""),
                                "request": f"{request.get('method')} {request.get('uri')}",
                                "body": decoded(request.get("body"))[:600],
                                "answer": answer_text(response),
                                "curl": info.get("code_sample", ""),
                            },
                        )
    found = Counter(check for check, _operation, _status in failures)
    print(f"== {role}: {requests} requests; statuses {dict(sorted(statuses.items()))}")
    for check, label in WATCHED.items():
        print(f"   {label}: {found[check]} distinct failure(s) ({check})")
    for (check, operation, status), failure in failures.items():
        print(f"   - [{check}] {operation} -> {status}: {failure['title']}")
        if failure["message"]:
            print("     " + failure["message"].replace("\n", "\n     "))
        print(f"     request: {failure['request']}")
        if failure["body"]:
            print(f"     body:    {failure['body']}")
        print(f"     answer:  {failure['answer']}")
        if failure["curl"]:
            print("     " + failure["curl"].replace("\n", "\n     "))
    for error in errors:
        print(f"   ! error (the operation was not fully tested): {error}")
    if not finished:
        print("   ! the run did not finish; see the text log beside the report")
    return 0 if finished and not failures and not errors else 1


if __name__ == "__main__":
    sys.exit(summarise(sys.argv[1], sys.argv[2]))
