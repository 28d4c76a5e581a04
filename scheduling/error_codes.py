"""Error codes of the scheduling app, which clients and tests rely on (never change one); a code
it shares with charting lives here (docs/api/errors.md lists every code)."""

# Booking and moving sessions.
ERR_SLOT_TAKEN = "slot_taken"
ERR_UNPLACEABLE = "unplaceable"
ERR_INVALID_TRANSITION = "invalid_transition"
ERR_PROTOCOL_RULE = "protocol_rule"
ERR_NO_SHOW_TOO_EARLY = "no_show_too_early"
ERR_NOT_SESSION_DAY = "not_session_day"
ERR_OUTSIDE_CHECK_IN_WINDOW = "outside_check_in_window"
ERR_CLOSURE_UNRESOLVED = "closure_unresolved"
ERR_ALREADY_CLOSED = "already_closed"
ERR_START_IN_PAST = "start_in_past"
ERR_SITE_CLOSED = "site_closed"
ERR_OUTSIDE_OPENING_HOURS = "outside_opening_hours"
ERR_REASON_REQUIRED = "reason_required"

# Enrolment.
ERR_PROTOCOL_NOT_ACTIVE = "protocol_not_active"
ERR_PROTOCOL_RETIRED = "protocol_retired"
ERR_PATIENT_NOT_AT_SITE = "patient_not_at_site"
ERR_PRESCRIBER_INVALID = "prescriber_invalid"
ERR_RESOURCE_NOT_AT_SITE = "resource_not_at_site"
ERR_RESOURCE_NOT_USABLE = "resource_not_usable"
ERR_REMS_PATIENT_NOT_ENROLLED = "rems_patient_not_enrolled"
ERR_REMS_SITE_NOT_CERTIFIED = "rems_site_not_certified"
ERR_OVERLAPPING_COURSE = "overlapping_course"

# Reads: what does not exist (or is another site's) and malformed ranges.
ERR_COURSE_NOT_FOUND = "course_not_found"
ERR_SESSION_NOT_FOUND = "session_not_found"
ERR_RESOURCE_NOT_FOUND = "resource_not_found"
ERR_STAFF_NOT_FOUND = "staff_not_found"
ERR_UNKNOWN_KIND = "unknown_kind"
ERR_INVALID_RANGE = "invalid_range"
ERR_RANGE_TOO_LONG = "range_too_long"
ERR_INVALID_MINUTES = "invalid_minutes"
ERR_INVALID_STEP = "invalid_step"

# Re-planning offers.
ERR_OFFER_NOT_FOUND = "offer_not_found"
ERR_OFFER_DECIDED = "offer_decided"

# Calendar feeds.
ERR_FEED_NOT_FOUND = "feed_not_found"
ERR_FEED_REVOKED = "feed_revoked"
ERR_FEED_EXISTS = "feed_exists"
ERR_TOO_MANY_COMPANION_FEEDS = "too_many_companion_feeds"
ERR_INVALID_FEED_OWNER = "invalid_feed_owner"

# Course changes from the course page (issue 18): extend, discontinue from a date.
ERR_PHASE_NOT_IN_PROTOCOL = "phase_not_in_protocol"
ERR_EXTEND_COUNT_OUT_OF_RANGE = "extend_count_out_of_range"
ERR_EFFECTIVE_DATE_OUT_OF_RANGE = "effective_date_out_of_range"
# Patients' change requests (scheduling/change_requests.py).
ERR_CHANGE_REQUEST_NOT_FOUND = "change_request_not_found"
ERR_CHANGE_REQUEST_EXISTS = "change_request_exists"
ERR_CHANGE_REQUEST_CLOSED = "change_request_closed"
ERR_SESSION_NOT_CHANGEABLE = "session_not_changeable"
# Session page changes (issue 18).
ERR_OUTSIDE_WINDOW = "outside_window"
ERR_NOT_RESTORABLE = "not_restorable"
ERR_HOLDS_TAKEN = "holds_taken"
