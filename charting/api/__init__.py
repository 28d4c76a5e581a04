"""Charting API, mounted at /api/v1/charting (see docs/api/charting.md).

Handlers are thin: load the object within the caller's sites (404 otherwise), call one service,
return an explicit Out schema. Role rules live in the services; reads need any staff role.
Nothing clinical is deletable: there are no DELETE routes.

One module per area, each with its own router, mounted below under /charting in the order the
docs list them (which is also the order of the operations in the OpenAPI document). Schemas are
in charting/api/schemas.py, the dict builders in charting/api/builders.py, and loading within
the caller's sites in charting/api/common.py.
"""

from __future__ import annotations

from ninja import Router

from charting.api import (
    alerts,
    documents,
    monitoring_forms,
    observations,
    parameters,
    scales,
    screening,
    session_chart,
    templates,
)

router = Router(tags=["charting"])
for _area in (
    templates,
    session_chart,
    screening,
    observations,
    parameters,
    scales,
    alerts,
    monitoring_forms,
    documents,
):
    router.add_router("", _area.router)

routers: list[tuple[str, Router]] = [("/charting", router)]
