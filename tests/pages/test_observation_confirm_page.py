"""The observation form's out-of-range confirmation and checkpoint order (issue 18 point 3):
the 422 keeps the values and puts the flags and the confirm checkbox inside that checkpoint's
form, which the form's action scrolls to; recorded checkpoints are folded, the next due first,
and the discharge sign-off stays after them."""

from __future__ import annotations

import re

import pytest

from charting.models import Alert, ObservationEntry
from tests.charting.helpers import POST_40_VALUES
from tests.pages.conftest import DAY
from tests.pages.test_observation_pages import dosed, values
from tests.pages.test_page_roles import client_for
from tests.support.clock import local

pytestmark = pytest.mark.django_db

CONFIRM = "I have checked the out-of-range values and they are correct"


def _section(page: str, key: str) -> str:
    start = page.index('<section class="checkpoint')
    sections = page[start:].split("</section>")
    return next(s for s in sections if f'id="cp-{key}"' in s)


def _post_40(session, **extra):
    return {
        "form_key": extra.pop("form_key", "nurse-confirm-key-0001"),
        "post_40-bp__systolic": "186",
        "post_40-bp__diastolic": "112",
        "post_40-spo2": "96",
        "post_40-taken-taken_at": f"{DAY}T09:21",
        **extra,
    }


def test_the_422_keeps_the_values_and_asks_inside_the_checkpoint(
    settings, site, nurse, esk_session, now
):
    dosed(esk_session, nurse, site, now)
    settings.CLINIC_NOW = local(site, DAY, "09:21")
    client = client_for(nurse)
    url = f"/sessions/{esk_session.pk}/observation/post_40/"
    response = client.post(url, _post_40(esk_session))
    assert response.status_code == 422
    page = response.content.decode()
    section = _section(page, "post_40")
    form = section[section.index("<form") :]
    # The flags name the value and its range, beside the kept values, in the same form.
    assert 'value="186"' in form and 'value="112"' in form and 'value="96"' in form
    assert "Blood pressure 186/112 mmHg: systolic 186 mmHg is above 180" in form
    assert CONFIRM in form
    assert 'id="cp-post_40-check"' in form
    assert re.search(r'<input[^>]*name="post_40-taken-confirm"[^>]*autofocus', form)
    assert f'action="{url}#cp-post_40-check"' in form
    assert page.count(CONFIRM) == 1  # nowhere else on the page
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    assert not ObservationEntry.objects.filter(checkpoint__key="post_40").exists()

    response = client.post(
        url,
        _post_40(esk_session, form_key="nurse-confirm-key-0002", **{"post_40-taken-confirm": "on"}),
    )
    assert response.status_code == 302
    entry = ObservationEntry.objects.get(checkpoint__key="post_40", field_key="bp")
    assert entry.value == {"systolic": 186, "diastolic": 112}
    assert Alert.objects.filter(session=esk_session).count() == 1


def test_a_form_error_points_the_page_at_that_checkpoints_form(
    settings, site, nurse, esk_session, now
):
    dosed(esk_session, nurse, site, now)
    settings.CLINIC_NOW = local(site, DAY, "09:21")
    response = client_for(nurse).post(
        f"/sessions/{esk_session.pk}/observation/post_40/",
        {"form_key": "nurse-confirm-key-0003", "post_40-spo2": "lots"},
    )
    assert response.status_code == 422
    section = _section(response.content.decode(), "post_40")
    assert re.search(r'<form[^>]*id="cp-post_40-check"', section)
    assert 'value="lots"' in section


def test_recorded_checkpoints_fold_and_the_next_due_is_first(
    settings, site, nurse, esk_session, now
):
    record = dosed(esk_session, nurse, site, now)  # pre-dose recorded 08:32, dose 08:40
    settings.CLINIC_NOW = local(site, DAY, "09:21")
    page = client_for(nurse).get(f"/sessions/{esk_session.pk}/observation/").content.decode()
    order = re.findall(r'<section class="checkpoint[^"]*" id="cp-([a-z0-9_]+)"', page)
    assert order == ["post_40", "discharge", "pre_dose"]
    pre = _section(page, "pre_dose")
    assert '<details class="folded">' in pre  # closed
    summary = pre[pre.index("<summary>") : pre.index("</summary>")]
    assert "Before dosing" in summary and "recorded 08:32" in summary
    assert "132/84 mmHg" in summary
    assert "<details" not in _section(page, "post_40")
    assert page.index('id="sign-h"') > page.index('id="cp-pre_dose"')

    values(record, nurse, "post_40", POST_40_VALUES, local(site, DAY, "09:22"))
    page = client_for(nurse).get(f"/sessions/{esk_session.pk}/observation/").content.decode()
    order = re.findall(r'<section class="checkpoint[^"]*" id="cp-([a-z0-9_]+)"', page)
    assert order == ["discharge", "pre_dose", "post_40"]
    assert 'class="checkpoint next' in _section(page, "discharge")


def test_a_scheduler_may_not_record_values(site, scheduler, nurse, esk_session, now):
    dosed(esk_session, nurse, site, now)
    response = client_for(scheduler).post(
        f"/sessions/{esk_session.pk}/observation/post_40/", _post_40(esk_session)
    )
    assert response.status_code == 403
