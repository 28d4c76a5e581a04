"""Template tags for page forms."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from clinic.submissions import KEY_FIELD, new_key

register = template.Library()


@register.simple_tag
def form_key() -> SafeString:
    """A fresh idempotency key as a hidden field (see clinic.submissions)."""
    return format_html('<input type="hidden" name="{}" value="{}">', KEY_FIELD, new_key())
