"""Error codes of the clinic app and of the API's edge, which clients and tests rely on (never
change one). A code more than one app raises lives in the lowest of them: the DomainError
family's defaults (clinic/errors.py), the answers of the ninja exception handlers and of the
middleware, sites and patients. docs/api/errors.md lists every code of every app."""

# The DomainError family's defaults (clinic/errors.py) and the ninja exception handlers.
ERR_BAD_REQUEST = "bad_request"
ERR_INVALID = "invalid"
ERR_UNAUTHENTICATED = "unauthenticated"
ERR_FORBIDDEN = "forbidden"
ERR_NOT_FOUND = "not_found"
ERR_CONFLICT = "conflict"
ERR_ERROR = "error"

# Signing in and roles.
ERR_ROLE_FORBIDDEN = "role_forbidden"
ERR_CSRF_FAILED = "csrf_failed"
ERR_TOO_MANY_ATTEMPTS = "too_many_attempts"

# The edge of /api/v1/: bodies, methods, the database and bugs.
ERR_INVALID_JSON = "invalid_json"
ERR_INVALID_ENCODING = "invalid_encoding"
ERR_BODY_NOT_OBJECT = "body_not_object"
ERR_BODY_TOO_LARGE = "body_too_large"
ERR_UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
ERR_METHOD_NOT_ALLOWED = "method_not_allowed"
ERR_DATABASE_UNAVAILABLE = "database_unavailable"
ERR_SERVER_ERROR = "server_error"

# Requests.
ERR_NAIVE_DATETIME = "naive_datetime"
ERR_PAGE_OUT_OF_RANGE = "page_out_of_range"
ERR_SEARCH_IN_BODY = "search_in_body"
ERR_IDEMPOTENCY_KEY_INVALID = "idempotency_key_invalid"
ERR_IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
ERR_FORM_KEY_MISSING = "form_key_missing"

# Sites, patients, staff and API tokens.
ERR_SITE_NOT_FOUND = "site_not_found"
ERR_CLOSURE_EXISTS = "closure_exists"
ERR_PATIENT_NOT_FOUND = "patient_not_found"
ERR_MRN_TAKEN = "mrn_taken"
ERR_LIKELY_DUPLICATE = "likely_duplicate"
ERR_REMS_ID_WITHOUT_ENROLMENT = "rems_id_without_enrolment"
ERR_CONTACT_MISSING = "contact_missing"
ERR_FIELD_READ_ONLY = "field_read_only"
ERR_UNKNOWN_ROLE = "unknown_role"
ERR_USER_INACTIVE = "user_inactive"
ERR_TOKEN_NOT_FOUND = "token_not_found"
ERR_TOKEN_ALREADY_REVOKED = "token_already_revoked"
