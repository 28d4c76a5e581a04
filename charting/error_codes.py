"""Error codes of the charting app, which clients and tests rely on (never change one)
(docs/api/errors.md lists every code). The pure modules' problems (charting/spec.py,
charting/scoring.py) carry these codes too: the services raise them as they are."""

# Answers to a form (charting/spec.py) and rating-scale items (charting/scoring.py).
ERR_INVALID_VALUE = "invalid_value"
ERR_OUT_OF_BOUNDS = "out_of_bounds"
ERR_UNKNOWN_FIELD = "unknown_field"
ERR_MISSING_ANSWER = "missing_answer"
ERR_UNKNOWN_SCALE = "unknown_scale"
ERR_UNKNOWN_ITEM = "unknown_item"
ERR_MISSING_ITEM = "missing_item"
ERR_ITEM_OUT_OF_RANGE = "item_out_of_range"
ERR_INCOMPLETE = "incomplete"
ERR_TIME_IN_FUTURE = "time_in_future"

# Screening and the lifecycle gates (charting/gates.py).
ERR_WRONG_TEMPLATE_KIND = "wrong_template_kind"
ERR_NO_SCREENING_FORM = "no_screening_form"
ERR_SCREENING_EXISTS = "screening_exists"
ERR_COURSE_CLOSED = "course_closed"
ERR_SESSION_NOT_OPEN = "session_not_open"
ERR_NOTHING_TO_OVERRIDE = "nothing_to_override"
ERR_ALREADY_OVERRIDDEN = "already_overridden"
ERR_HARD_STOP_NEEDS_OVERRIDE = "hard_stop_needs_override"
ERR_NOTHING_TO_REVIEW = "nothing_to_review"
ERR_ALREADY_REVIEWED = "already_reviewed"
ERR_SCREENING_HARD_STOP = "screening_hard_stop"
ERR_SCREENING_NEEDS_REVIEW = "screening_needs_review"
ERR_COURSE_SCREENING_REQUIRED = "course_screening_required"
ERR_SESSION_SCREENING_REQUIRED = "session_screening_required"
ERR_OBSERVATION_NOT_SIGNED = "observation_not_signed"

# Observation records.
ERR_RECORD_SIGNED = "record_signed"
ERR_RECORD_NOT_SIGNED = "record_not_signed"
ERR_UNKNOWN_CHECKPOINT = "unknown_checkpoint"
ERR_TIME_BEFORE_CHECK_IN = "time_before_check_in"
ERR_TIME_OUT_OF_SESSION = "time_out_of_session"
ERR_ANCHOR_NOT_RECORDED = "anchor_not_recorded"
ERR_TOO_EARLY_TO_SIGN = "too_early_to_sign"
ERR_CHECKPOINTS_MISSING = "checkpoints_missing"
ERR_DISCHARGE_VALUES_TOO_EARLY = "discharge_values_too_early"
ERR_DISCHARGE_BEFORE_CHECKPOINT = "discharge_before_checkpoint"
ERR_SEVERE_ALERT_OPEN = "severe_alert_open"
ERR_NOTHING_TO_AMEND = "nothing_to_amend"

# Treatment parameters.
ERR_SESSION_NOT_STARTED = "session_not_started"
ERR_PARAMETERS_LOCKED = "parameters_locked"
ERR_INVALID_PARAMETERS = "invalid_parameters"

# Rating scales and the patient's own reports.
ERR_SESSION_NOT_IN_COURSE = "session_not_in_course"
ERR_SELF_REPORT_NOT_FOUND = "self_report_not_found"
ERR_SELF_REPORT_NOT_DUE = "self_report_not_due"
ERR_SELF_REPORT_RECORDED_IN_CLINIC = "self_report_recorded_in_clinic"
ERR_SELF_REPORT_SUBMITTED = "self_report_submitted"
ERR_MOOD_REQUIRED = "mood_required"
ERR_UNKNOWN_SIDE_EFFECT = "unknown_side_effect"
ERR_COURSE_NOT_ACTIVE = "course_not_active"
ERR_CHECKIN_OFF = "checkin_off"
ERR_REQUIRED = "required"
ERR_TOO_LONG = "too_long"

# Alerts, early-improvement reviews and REMS monitoring forms.
ERR_ALREADY_ACKNOWLEDGED = "already_acknowledged"
ERR_NOTE_REQUIRED = "note_required"
ERR_INVALID_DECISION = "invalid_decision"
ERR_ALREADY_DECIDED = "already_decided"
ERR_REVIEW_NOT_NEEDED = "review_not_needed"
ERR_ALREADY_SUBMITTED = "already_submitted"
ERR_MONITORING_FORM_NOT_APPLICABLE = "monitoring_form_not_applicable"

# Form templates.
ERR_INVALID_TEMPLATE = "invalid_template"
ERR_TEMPLATE_IN_USE = "template_in_use"
ERR_TEMPLATE_MISSING = "template_missing"
ERR_OBSERVATION_WINDOW_MISMATCH = "observation_window_mismatch"

# Reads: what does not exist (or is another site's).
ERR_OBSERVATION_NOT_FOUND = "observation_not_found"
ERR_SCREENING_NOT_FOUND = "screening_not_found"
ERR_ALERT_NOT_FOUND = "alert_not_found"
ERR_MONITORING_FORM_NOT_FOUND = "monitoring_form_not_found"
ERR_PARAMETERS_NOT_FOUND = "parameters_not_found"
ERR_TEMPLATE_NOT_FOUND = "template_not_found"
ERR_SCALE_NOT_FOUND = "scale_not_found"
ERR_REVIEW_NOT_FOUND = "review_not_found"
ERR_RUN_SHEET_NOT_FOUND = "run_sheet_not_found"
