"""The clinic's phone number (shown on patients' pages) is set by a site admin on /site/, not
only in the Django admin (issue 18 point 4: "the clinic's phone number and hours (site
settings)"). Other roles are refused with a reason; a number that does not read as one is a
422 on the same page with nothing saved; a double submit saves once."""

from __future__ import annotations

import pytest

from clinic.models import Site
from clinic.submissions import new_key
from tests.pages.test_page_roles import client_for

pytestmark = pytest.mark.django_db


def set_phone(client, site, phone: str, key: str | None = None):
    return client.post(
        "/site/phone/", {"form_key": key or new_key(), "site": str(site.pk), "phone": phone}
    )


def test_admin_sets_the_phone_shown_on_the_site_and_patient_pages(admin_user, site):
    client = client_for(admin_user)
    assert 'id="site-phone-form"' in client.get("/site/").content.decode()

    response = set_phone(client, site, " (555) 010-0199 ")
    assert response.status_code == 302
    assert response["Location"].endswith(f"/site/?site={site.pk}#site-phone")
    assert Site.objects.get(pk=site.pk).phone == "(555) 010-0199"
    assert "<strong>(555) 010-0199</strong>" in client.get("/site/").content.decode()


def test_a_bad_number_is_a_422_on_the_page_and_nothing_is_saved(admin_user, site):
    Site.objects.filter(pk=site.pk).update(phone="555-0100")
    response = set_phone(client_for(admin_user), site, "call us")
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="phone-error"' in html and "write a phone number" in html
    assert 'value="call us"' in html  # what was typed comes back to be corrected
    assert Site.objects.get(pk=site.pk).phone == "555-0100"


@pytest.mark.parametrize("who", ["scheduler", "nurse", "clinician"])
def test_other_roles_may_not_change_it(who, request, site):
    user = request.getfixturevalue(who)
    client = client_for(user)
    assert 'id="site-phone-form"' not in client.get("/site/").content.decode()
    response = set_phone(client, site, "555-0199")
    assert response.status_code == 403
    assert "change the clinic" in response.content.decode()
    assert Site.objects.get(pk=site.pk).phone == ""


def test_another_sites_phone_is_a_404(admin_user, other_site):
    assert set_phone(client_for(admin_user), other_site, "555-0199").status_code == 404
    assert Site.objects.get(pk=other_site.pk).phone == ""


def test_blank_clears_it(admin_user, site):
    Site.objects.filter(pk=site.pk).update(phone="555-0100")
    assert set_phone(client_for(admin_user), site, "").status_code == 302
    assert Site.objects.get(pk=site.pk).phone == ""
