"""Names that are shown on one line: in calendar events, email subjects, pages and PDFs.

A site, resource or patient name is shown where a line break breaks things: an email header
cannot hold one (Django refuses to send it), an iCalendar line or an HTTP header would be cut
in two, and a page would show two lines where the reader expects one name. Bidirectional
controls (U+202E RIGHT-TO-LEFT OVERRIDE and its kin) are invisible and make "Chair 1" read
"1 riahC", so one name can pose as another. Neither has any use in a name.

`name_problem` is the rule every input path applies (the model field validator in
clinic/models.py, the API's `DisplayName` type in clinic/api/fields.py, and so every form and
service that validates the model). `display_text` cleans what rows written before the rule
hold, where a name is shown (feeds, email subjects). Pure: no Django import.

Refused: Unicode control characters (category Cc: U+0000-U+001F, U+007F-U+009F, which
includes tab, line feed and carriage return), the line and paragraph separators (U+2028,
U+2029) and the bidirectional formatting characters (U+061C, U+200E, U+200F, U+202A-U+202E,
U+2066-U+2069). Other format characters stay: U+200C ZERO WIDTH NON-JOINER is part of the
correct spelling of many Persian names, U+200D joins emoji.
"""

from __future__ import annotations

import re

# Category Cc is exactly U+0000-U+001F and U+007F-U+009F; with the line and paragraph
# separators these break a line. A regular expression keeps the check fast on a feed of
# hundreds of events.
_BREAKING = "\x00-\x1f\x7f-\x9f\u2028\u2029"
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_FORBIDDEN = re.compile(f"[{_BREAKING}{_BIDI}]")
_BREAKING_RUN = re.compile(f"[{_BREAKING}]")
_BIDI_CHARS = re.compile(f"[{_BIDI}]")
_SPACES = re.compile(r"\s+")


def name_problem(text: str) -> str | None:
    """Why `text` cannot be a name shown on one line, naming the first bad character; or None.

    >>> name_problem("Chair \\u202e1")
    'must not contain control characters, line breaks or bidirectional overrides (U+202E)'
    """
    found = _FORBIDDEN.search(text)
    if found is None:
        return None
    return (
        "must not contain control characters, line breaks or bidirectional overrides "
        f"(U+{ord(found.group()):04X})"
    )


def display_text(text: str) -> str:
    """`text` as one clean line: each control character or line separator becomes a space,
    bidirectional controls are dropped, runs of white space become one space, and the ends are
    trimmed. A name that has no problem comes back unchanged.

    >>> display_text("Riverside\\r\\nClinic\\u202e")
    'Riverside Clinic'
    """
    if _FORBIDDEN.search(text) is None:
        return text
    kept = _BREAKING_RUN.sub(" ", _BIDI_CHARS.sub("", text))
    return _SPACES.sub(" ", kept).strip()


# Resource kinds as a sentence names them (the labels of clinic.models.ResourceKind, which
# tests/clinic/test_display_text.py keeps in step): "no free ECT suite", never "ect_suite".
RESOURCE_KIND_NAMES = {
    "tms_chair": "TMS chair",
    "tms_device": "TMS device",
    "ect_suite": "ECT suite",
    "recovery_bay": "recovery bay",
    "monitoring_chair": "esketamine monitoring chair",
}


def kind_name(kind: str) -> str:
    """A resource kind in words for a message; an unknown kind loses its underscores.

    >>> kind_name("ect_suite")
    'ECT suite'
    """
    return RESOURCE_KIND_NAMES.get(kind, kind.replace("_", " "))


def duration_text(seconds: float) -> str:
    """A span of time as staff read it: "45 s", "12 min 05 s" under an hour, then
    "5 h 00 min" (seconds dropped). Negative spans read as their size. pages.js `durationText`
    says the same for the live countdowns.

    >>> duration_text(17991)
    '4 h 59 min'
    >>> duration_text(725)
    '12 min 05 s'
    """
    total = abs(round(seconds))
    if total < 60:
        return f"{total} s"
    minutes, secs = divmod(total, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def overdue_text(seconds: float) -> str:
    """Seconds until something is due: "in 12 min 05 s", or "overdue by 5 h 00 min"."""
    span = duration_text(seconds)
    return f"in {span}" if seconds >= 0 else f"overdue by {span}"
