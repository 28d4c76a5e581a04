"""Error codes of the protocols app, which clients and tests rely on (never change one); a code
it shares with a higher app lives here (docs/api/errors.md lists every code)."""

ERR_INVALID_SPEC = "invalid_spec"
ERR_MODALITY_CHANGED = "modality_changed"
ERR_INVALID_STATUS = "invalid_status"
ERR_SITE_REQUIRED = "site_required"
ERR_PROTOCOL_NOT_FOUND = "protocol_not_found"
ERR_PROTOCOL_BUILTIN = "protocol_builtin"
ERR_PROTOCOL_SLUG_TAKEN = "protocol_slug_taken"
ERR_PROTOCOL_VERSION_CONFLICT = "protocol_version_conflict"
ERR_UNPLANNABLE = "unplannable"
