"""Django's PostgreSQL backend, with one change: a connection opened during a request takes at
most what is left of the request's database deadline (clinic/db_deadline.py), and none is
opened once it has passed.

Why here: when a kept connection is found dead (the health check before a request's first
query, CONN_HEALTH_CHECKS), Django opens a new one at once, below any execute wrapper; to a
frozen server that connect would wait the full `connect_timeout` after the deadline.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.postgresql import base

from clinic.db_deadline import connect_timeout


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        configured = conn_params.get("connect_timeout")
        timeout = connect_timeout(int(configured) if configured else None)
        if timeout is not None:
            conn_params = {**conn_params, "connect_timeout": timeout}
        return super().get_new_connection(conn_params)
