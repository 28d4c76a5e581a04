"""gunicorn's access log, safe to read: one request is one line, and it holds no live token.

gunicorn writes each atom as the request gave it, with only `"` escaped; `%(U)s` is the path
after percent-decoding, so `GET /x%0A10.6.6.6%20...` writes a second, made-up line (a forged
login from another address, say), and `\\x1b` sequences reach whoever reads the log in a
terminal. Here every control character (C0, DEL, C1) becomes `\\xHH` and a backslash `\\\\`,
the way nginx escapes its access log, and feed or patient-link tokens in the path are cut
(clinic/log_redaction.py). gunicorn.conf.py names this class as `logger_class`.
"""

from __future__ import annotations

import re
from typing import Any

from gunicorn.glogging import Logger, SafeAtoms

from clinic.log_redaction import redact

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\\]")


def escape(value: str) -> str:
    r"""Control characters as `\xHH`, a backslash doubled.

    >>> escape("/x\n10.6.6.6")
    '/x\\x0a10.6.6.6'
    """
    return _CONTROL.sub(lambda m: "\\\\" if m[0] == "\\" else f"\\x{ord(m[0]):02x}", value)


class EscapedAtoms(SafeAtoms):
    def __init__(self, atoms: dict[str, Any]):
        super().__init__(
            {k: escape(redact(v)) if isinstance(v, str) else v for k, v in atoms.items()}
        )


class AccessLogger(Logger):
    atoms_wrapper_class = EscapedAtoms
