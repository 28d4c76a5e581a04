"""Form templates: list them, read one version with its full spec."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from ninja import Path

from charting.api.common import _ERRORS, ChartingRouter, _reader
from charting.api.schemas import TemplateOut, TemplateSummaryOut
from charting.models import FormTemplate
from clinic.errors import NotFound

router = ChartingRouter()

# Django slug characters: anything else (a NUL byte) cannot name a template, so it is a 422.
TemplateSlug = Annotated[str, Path(pattern=r"^[-a-zA-Z0-9_]+$", max_length=64)]


@router.get("/templates", response={200: list[TemplateSummaryOut], **_ERRORS})
def list_templates(request: HttpRequest):
    _reader(request)
    return [
        {
            "slug": t.slug,
            "version": t.version,
            "name": t.name,
            "kind": t.kind,
            "modality": t.modality,
            "builtin": t.builtin,
        }
        for t in FormTemplate.objects.order_by("slug", "-version")
    ]


@router.get("/templates/{slug}", response={200: TemplateOut, **_ERRORS})
def get_template(request: HttpRequest, slug: TemplateSlug, version: int | None = None):
    """The newest version of a template (or `?version=`), with its full spec."""
    _reader(request)
    qs = FormTemplate.objects.filter(slug=slug)
    t = (qs.filter(version=version) if version else qs.order_by("-version")).first()
    if t is None:
        raise NotFound(f"No form template {slug!r}.", code="template_not_found")
    return {
        "slug": t.slug,
        "version": t.version,
        "name": t.name,
        "kind": t.kind,
        "modality": t.modality,
        "builtin": t.builtin,
        "spec": t.spec,
    }
