"""A protocol's observation window and its observation form's minimum are checked against each
other when either is loaded or saved (charting registers the check with protocols)."""

from __future__ import annotations

import copy
import io
import json

import pytest
from django.core.management import CommandError, call_command

from charting.form_templates import LIBRARY_DIR as FORMS_DIR
from charting.form_templates import template_save
from clinic.errors import DomainError
from protocols.builtin_library import LIBRARY_DIR as PROTOCOLS_DIR
from protocols.models import Protocol
from protocols.services import protocol_spec_validate


def esketamine_spec(observation_minutes: int) -> dict:
    data = json.loads((PROTOCOLS_DIR / "esketamine-trd.json").read_text())["spec"]
    data["timing"]["observation_minutes"] = observation_minutes
    return data


@pytest.fixture
def forms(db):
    call_command("load_form_templates", stdout=io.StringIO())


def test_a_protocol_shorter_than_its_forms_minimum_is_refused(forms):
    with pytest.raises(DomainError) as err:
        protocol_spec_validate(spec=esketamine_spec(90))
    assert err.value.code == "observation_window_mismatch"
    assert "at least 120 min" in err.value.message and "only 90 min" in err.value.message


def test_the_same_protocol_with_a_long_enough_window_passes(forms):
    assert protocol_spec_validate(spec=esketamine_spec(120)).timing.observation_minutes == 120


def test_the_api_refuses_it_with_the_code(forms, api_as, clinician):
    body = {"slug": "short-esk", "name": "Short", "indication": "TRD", "spec": esketamine_spec(60)}
    response = api_as(clinician).post("protocols", body)
    assert response.status_code == 422
    assert response.json()["code"] == "observation_window_mismatch"
    assert not Protocol.objects.filter(slug="short-esk").exists()


def test_load_protocols_refuses_a_mismatched_library(forms, tmp_path):
    data = json.loads((PROTOCOLS_DIR / "esketamine-trd.json").read_text())
    data["spec"]["timing"]["observation_minutes"] = 60
    (tmp_path / "esketamine-trd.json").write_text(json.dumps(data))
    with pytest.raises(CommandError, match="observation"):
        call_command("load_protocols", "--library", str(tmp_path), stdout=io.StringIO())
    assert not Protocol.objects.filter(slug="esketamine-trd").exists()


def test_a_form_whose_minimum_outgrows_a_protocol_is_refused(db):
    call_command("load_protocols", stdout=io.StringIO())
    data = json.loads((FORMS_DIR / "esketamine-post-dose.json").read_text())
    longer = copy.deepcopy(data)
    longer["minimum_observation_minutes"] = 180
    for checkpoint in longer["checkpoints"]:
        checkpoint["offset_minutes"] = max(checkpoint["offset_minutes"], 0)
        if checkpoint.get("discharge"):
            checkpoint["offset_minutes"] = 180
    with pytest.raises(DomainError) as err:
        template_save(data=longer)
    assert err.value.code == "observation_window_mismatch"
    assert "esketamine" in err.value.message.lower()
    template_save(data=data)  # the library's own version fits
