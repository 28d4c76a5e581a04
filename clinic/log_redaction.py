"""Bearer tokens never reach a log: a filter on every log handler (settings.LOGGING) and the
gunicorn access log (clinic/gunicorn_logging.py) rewrite them before anything is written.

Calendar feed and patient-link tokens travel in the URL path (`/calendar/<token>.ics`,
`/p/<token>/...`), so every line Django writes about such a request would hold a live secret:
`Not Found: /p/icf_.../`, `Service Unavailable: /calendar/icf_....ics`, CSRF refusals,
tracebacks. A token is kept to its first 4 characters after the prefix (the part the admin
shows as the API token's prefix), enough to tell tokens apart, useless to replay.

Pure (no Django import): gunicorn's master loads it before Django is set up.
"""

from __future__ import annotations

import logging
import re

# The prefixes of clinic/tokens.py's new_token() callers: API tokens (clinic/services.py
# API_TOKEN_PREFIX) and calendar feed / patient-link tokens (scheduling/feed_tokens.py
# TOKEN_PREFIX); a test holds them equal. Not imported: this module must stay pure, and clinic
# may not import scheduling.
TOKEN_PREFIXES = ("ict", "icf")
KEPT_CHARACTERS = 4
_TOKEN = re.compile(
    # Not inside a word ("strict_mode" holds "ict_"), but after "/" even when URL-encoded.
    r"(?:(?<![A-Za-z0-9])|(?<=%2F)|(?<=%2f))"
    rf"(?P<prefix>{'|'.join(TOKEN_PREFIXES)})_(?P<body>[A-Za-z0-9_-]+)"
)
REDACTED = "[redacted]"

# LogRecord's own attributes; anything else on a record came in through `extra=`.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
}


def redact(text: str) -> str:
    """`text` with each token cut to its prefix and first characters.

    >>> redact("Not Found: /p/icf_AbCdEfGh1234/reports/")
    'Not Found: /p/icf_AbCd[redacted]/reports/'
    """

    def cut(match: re.Match[str]) -> str:
        return f"{match['prefix']}_{match['body'][:KEPT_CHARACTERS]}{REDACTED}"

    return _TOKEN.sub(cut, text)


def redact_record(record: logging.LogRecord) -> None:
    """Rewrite a record in place: its message with the arguments merged in, the formatted
    exception and stack, and any string passed in `extra`."""
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: keep what there is, redacted
        message = f"{record.msg} {record.args}"
    record.msg = redact(message)
    record.args = None
    if record.exc_info and not record.exc_text:
        # Formatters use this cached text rather than format the exception again.
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    for name, value in list(vars(record).items()):
        if name not in _RECORD_ATTRIBUTES and isinstance(value, str):
            setattr(record, name, redact(value))


class RedactTokens(logging.Filter):
    """The logging filter of settings.LOGGING: every handler has it."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True
