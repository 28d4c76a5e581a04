"""`{% early_review_box course %}`: the early-improvement review and its decision, for pages
outside charting (the course page), without scheduling importing charting."""

from __future__ import annotations

from typing import Any

from django import template

from charting.selectors.patient_reports import course_early_review

register = template.Library()


@register.inclusion_tag("charting/early_review_box.html")
def early_review_box(course: Any) -> dict[str, Any]:
    return {"review": course_early_review(course=course), "course": course}
