"""gunicorn's access log cannot be forged through the URL, and holds no live token.

gunicorn writes `%(U)s` (PATH_INFO) as it was decoded from the request line, so a path with
`%0A` starts a new, made-up log line. The service's gunicorn settings (gunicorn.conf.py, which
docs/deployment.md starts gunicorn with) log through clinic/gunicorn_logging.py, which escapes
control characters and redacts tokens. This runs gunicorn's own `Logger.access` with them.
"""

from __future__ import annotations

import datetime as dt
import runpy
from pathlib import Path
from types import SimpleNamespace

from gunicorn.config import Config

from clinic.tokens import new_token

ROOT = Path(__file__).resolve().parents[2]


def _access_line(tmp_path: Path, path_info: str, **headers: str) -> str:
    settings = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    cfg = Config()
    for name in ("access_log_format", "logger_class"):
        cfg.set(name, settings[name])
    log_file = tmp_path / "access.log"
    cfg.set("accesslog", str(log_file))
    logger = cfg.logger_class(cfg)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": path_info,
        "PATH_INFO": path_info,
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.7",
    }
    response = SimpleNamespace(status="404 Not Found", sent=10, headers=[])
    request = SimpleNamespace(headers=list(headers.items()))
    logger.access(response, request, environ, dt.timedelta(microseconds=1500))
    for handler in logger.access_log.handlers:
        handler.close()
    return log_file.read_text()


def test_a_newline_in_the_path_cannot_start_a_forged_log_line(tmp_path):
    forged = '/x\n10.6.6.6 [01/Jan/2026:00:00:00 +0000] "GET /admin/" 200 0 0.000001'
    written = _access_line(tmp_path, forged + "\r\x1b[2J\x85\\")
    assert written.count("\n") == 1 and written.endswith("\n"), written
    line = written.removesuffix("\n")
    assert "\\x0a10.6.6.6" in line
    assert "\r" not in line and "\x1b" not in line and "\x85" not in line
    assert "\\x0d\\x1b[2J\\x85\\\\" in line  # the backslash too, so an escape stays readable


def test_a_token_in_the_path_is_redacted_in_the_access_log(tmp_path):
    token = new_token("icf")
    line = _access_line(tmp_path, f"/calendar/{token}.ics")
    assert token not in line
    assert f"/calendar/{token[:8]}[redacted].ics" in line


def test_the_access_log_format_names_no_query_string():
    fmt = runpy.run_path(str(ROOT / "gunicorn.conf.py"))["access_log_format"]
    assert "%(U)s" in fmt
    assert "%(r)s" not in fmt and "%(q)s" not in fmt
    guide = (ROOT / "docs" / "deployment.md").read_text()
    assert "gunicorn -c gunicorn.conf.py config.wsgi:application" in guide
