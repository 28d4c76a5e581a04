"""Error codes of the scheduling services that clients and tests rely on (never change one)."""

ERR_SLOT_TAKEN = "slot_taken"
ERR_UNPLACEABLE = "unplaceable"
ERR_INVALID_TRANSITION = "invalid_transition"
ERR_PROTOCOL_RULE = "protocol_rule"
ERR_NO_SHOW_TOO_EARLY = "no_show_too_early"
ERR_NOT_SESSION_DAY = "not_session_day"
ERR_CLOSURE_UNRESOLVED = "closure_unresolved"
