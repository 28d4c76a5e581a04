"""gunicorn's settings for this service (docs/deployment.md, "Web: gunicorn"):

    gunicorn -c gunicorn.conf.py config.wsgi:application

Values from the environment where a deployment differs; the log settings are fixed, because
tests/clinic/test_gunicorn_access_log.py holds them: the access log names the path, never the
query string (gunicorn's default `%(r)s` is the whole request line), and is written through
clinic/gunicorn_logging.py, which escapes control characters (no forged lines through `%0A`)
and redacts tokens.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
# Above DB_REQUEST_DEADLINE_SECONDS (15): the last resort for a request stuck outside the
# database; it does not stop a thread of a threaded worker.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")

accesslog = "-"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(B)s %(L)s'
logger_class = "clinic.gunicorn_logging.AccessLogger"
