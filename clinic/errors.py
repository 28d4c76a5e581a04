"""One error family for the whole service.

Services raise DomainError subclasses; the API maps them to `{"code", "message"}` with their
status. Codes are stable strings that clients and tests rely on: never change one, add a new one.
"""

from __future__ import annotations

from typing import Any

from clinic.error_codes import (
    ERR_BAD_REQUEST,
    ERR_CONFLICT,
    ERR_FORBIDDEN,
    ERR_INVALID,
    ERR_NOT_FOUND,
    ERR_UNAUTHENTICATED,
)


class DomainError(Exception):
    status = 400
    code = ERR_BAD_REQUEST

    def __init__(self, message: str, *, code: str | None = None, **details: Any):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.details:
            body["details"] = self.details
        return body


class InvalidInput(DomainError):
    status = 422
    code = ERR_INVALID


class Unauthenticated(DomainError):
    status = 401
    code = ERR_UNAUTHENTICATED


class NotFound(DomainError):
    status = 404
    code = ERR_NOT_FOUND


class Forbidden(DomainError):
    status = 403
    code = ERR_FORBIDDEN


class Conflict(DomainError):
    status = 409
    code = ERR_CONFLICT
