"""The statuses every operation can return because of the layers around its handler, added to
the OpenAPI document so a client generator sees all of them.

A handler declares what it answers itself (`response={201: ..., 409: ErrorOut}`). Around every
handler the service can also answer, in the one error shape (`ErrorOut`):

- 401 unauthenticated, 403 forbidden (roles; csrf_failed for session writes) and 429
  too_many_attempts (failed API token attempts, clinic/login_limits.py) when the operation
  needs a login;
- 404 for an id or slug (in the path, query or body) that names nothing the caller can see;
- 422 when a parameter or the body fails validation;
- for writes (clinic/api/http_errors.py): 400 invalid_json / invalid_encoding, 413
  body_too_large, 415 unsupported_media_type;
- 503 database_unavailable with Retry-After (config/request_failures.py), on any operation.
"""

from __future__ import annotations

from typing import Any

WRITE_METHODS = frozenset({"post", "put", "patch", "delete"})

DESCRIPTIONS = {
    400: "The body is not valid JSON or not UTF-8 (invalid_json, invalid_encoding)",
    401: "Not logged in and no valid API token (unauthenticated)",
    403: "The user's role or sites do not allow this (forbidden, role_forbidden, csrf_failed)",
    404: "Nothing the caller can see has an id or slug the request names",
    413: "The body is larger than the limit (body_too_large)",
    415: "The body is not JSON (unsupported_media_type)",
    422: "A parameter or the body is invalid (the message names the field)",
    429: "Too many failed API token attempts from this address; see Retry-After",
    503: "The database is unavailable or a timeout fired; nothing was changed; see Retry-After",
}


def edge_statuses(method: str, operation: dict[str, Any]) -> list[int]:
    """The statuses the layers around this operation's handler can answer."""
    statuses = [503]
    if operation.get("security"):
        statuses += [401, 403, 429]
    if operation.get("parameters") or operation.get("requestBody"):
        # Ids in the path, the query or the body may name nothing the caller can see.
        statuses += [404, 422]
    if method in WRITE_METHODS:
        statuses += [400, 413, 415, 422]
    return sorted(set(statuses))


def declare_edge_statuses(document: dict[str, Any], error_schema: str = "ErrorOut") -> None:
    """Add every edge status, answered with `error_schema`, to each operation (in place).
    Statuses an operation already declares keep their own description and schema."""
    content = {"application/json": {"schema": {"$ref": f"#/components/schemas/{error_schema}"}}}
    for methods in document.get("paths", {}).values():
        for method, operation in methods.items():
            responses = operation.setdefault("responses", {})
            # ninja keys responses by int status; the JSON document has them as strings.
            declared = {int(status) for status in responses}
            for status in edge_statuses(method, operation):
                if status not in declared:
                    responses[status] = {"description": DESCRIPTIONS[status], "content": content}
            operation["responses"] = dict(sorted(responses.items(), key=lambda kv: int(kv[0])))
