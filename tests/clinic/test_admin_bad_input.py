"""Every admin add/change form answers bad values with a form error, never a 500.

The sweep walks every registered ModelAdmin (one test each): it reads the form the page renders
(main form and inline formsets, with their management forms), then posts it once per field with
each bad value put in that field alone. The answer must be the page again (200, with an error)
or a redirect after a save; anything else, above all a 500, fails with the admin, field and
value.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.db.models import Model
from django.test import Client

# Values that broke or could break a form: zone folders, paths, NUL, huge numbers, junk dates.
BAD_VALUES = [
    "America",
    "\x00",
    "99999999999999999999999",
    "x" * 5000,
]


@pytest.fixture
def admin_client_(admin_user: User) -> Client:
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client = Client(raise_request_exception=False)
    client.force_login(admin_user)
    return client


def _form_data(context: Any) -> dict[str, Any]:
    """The POST data the rendered admin page would submit unchanged."""
    data: dict[str, Any] = {}
    forms = [context["adminform"].form]
    for inline in context.get("inline_admin_formsets", []):
        formset = inline.formset
        forms.append(formset.management_form)
        forms.extend(formset.forms)
    for form in forms:
        for name, field in form.fields.items():
            value = form[name].value()
            if value is None:
                continue
            key = form.add_prefix(name)
            if isinstance(value, list | tuple):
                data[key] = [str(v) for v in value]
            elif isinstance(value, bool):
                if value:
                    data[key] = "on"
            else:
                data[key] = (
                    str(field.prepare_value(value)) if hasattr(field, "prepare_value") else value
                )
    return data


# One test per registered ModelAdmin, so the sweep spreads over pytest-xdist's workers and a
# failure names its admin. Each test sees only the fixtures' objects, as the whole sweep did.
ADMINS = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def _admin_urls(model: type[Model], model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
    base = f"/admin/{model._meta.app_label}/{model._meta.model_name}"
    urls = [(model_admin.__class__.__name__, f"{base}/add/")]
    obj = model._default_manager.order_by("pk").first()
    if obj is not None:
        urls.append((model_admin.__class__.__name__, f"{base}/{obj.pk}/change/"))
    return urls


def test_site_form_refuses_a_time_zone_folder(admin_client_, site):
    page = admin_client_.get(f"/admin/clinic/site/{site.pk}/change/")
    data = _form_data(page.context)
    for folder in ("America", "Etc"):
        data["timezone"] = folder
        response = admin_client_.post(f"/admin/clinic/site/{site.pk}/change/", data)
        assert response.status_code == 200
        assert "is not an IANA time zone" in response.content.decode()
    site.refresh_from_db()
    assert site.timezone == "America/New_York"


@pytest.mark.parametrize(
    ("model", "model_admin"), ADMINS, ids=[model._meta.label for model, _ in ADMINS]
)
def test_every_admin_form_answers_bad_values_without_a_server_error(
    admin_client_, site, patient, model, model_admin
):
    failures = []
    for admin_name, url in _admin_urls(model, model_admin):
        page = admin_client_.get(url)
        if page.status_code == 403:
            continue  # a read-only admin (clinical records are changed through services)
        assert page.status_code == 200, (admin_name, url, page.status_code)
        if page.context is None or "adminform" not in page.context:
            continue
        base = _form_data(page.context)
        # One form of each inline is enough: its siblings have the same fields.
        fields = [
            name
            for name in base
            if not name.endswith(("TOTAL_FORMS", "INITIAL_FORMS"))
            and ("-" not in name or "-0-" in name)
        ]
        fields += [name for name in page.context["adminform"].form.fields if name not in base]
        for field in fields:
            for value in BAD_VALUES:
                response = admin_client_.post(url, {**base, field: value})
                if response.status_code not in (200, 302):
                    failures.append((admin_name, url, field, value[:20], response.status_code))
    assert failures == [], "\n".join(map(str, failures))
