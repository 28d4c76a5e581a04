"""Error codes of the scheduling services that clients and tests rely on (never change one)."""

ERR_SLOT_TAKEN = "slot_taken"
ERR_UNPLACEABLE = "unplaceable"
ERR_INVALID_TRANSITION = "invalid_transition"
ERR_PROTOCOL_RULE = "protocol_rule"
