"""Form templates: list them, read one version with its full spec."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Path, Router

from charting.api.builders import template_out, template_summary_out
from charting.api.schemas import ERRORS, TemplateOut, TemplateSummaryOut
from charting.selectors.chart import template_get, template_list
from clinic.api.fields import Int
from clinic.permissions import acting_user

router = Router()

# Django slug characters: anything else (a NUL byte) cannot name a template, so it is a 422.
TemplateSlug = Annotated[str, Path(pattern=r"^[-a-zA-Z0-9_]+$", max_length=64)]


@router.get(
    "/templates",
    response={200: list[TemplateSummaryOut], **ERRORS},
    operation_id="charting_api_list_templates",
)
def list_templates(request: HttpRequest) -> list[dict[str, Any]]:
    return [template_summary_out(t) for t in template_list(user=acting_user(request))]


@router.get(
    "/templates/{slug}",
    response={200: TemplateOut, **ERRORS},
    operation_id="charting_api_get_template",
)
def get_template(
    request: HttpRequest, slug: TemplateSlug, version: Int | None = None
) -> dict[str, Any]:
    """The newest version of a template (or `?version=`), with its full spec."""
    return template_out(template_get(user=acting_user(request), slug=slug, version=version))
