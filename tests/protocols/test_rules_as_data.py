"""Rules that vary by treatment are protocol data: the missed-session rule and the REMS gate."""

from __future__ import annotations

import json

import pytest

from protocols.builtin_library import LIBRARY_DIR
from protocols.spec import MissedSession, parse_spec

BASE = {
    "phases": [{"name": "a", "sessions": 4, "sessions_per_week": 2}],
    "timing": {"procedure_minutes": 30, "procedure_holds": ["monitoring_chair"]},
}


@pytest.mark.parametrize(
    ("modality", "missed", "rems"),
    [
        ("tms", MissedSession.APPEND_MAKEUP, False),
        ("ect", MissedSession.KEEP_SPACING, False),
        ("esketamine", MissedSession.CONTINUE, True),
    ],
)
def test_a_stored_spec_without_the_fields_gets_its_modality_defaults(modality, missed, rems):
    spec = parse_spec({**BASE, "modality": modality})
    assert (spec.missed_session, spec.requires_rems) == (missed, rems)


def test_a_spec_may_choose_its_own_rule():
    spec = parse_spec({**BASE, "modality": "tms", "missed_session": "continue"})
    assert spec.missed_session is MissedSession.CONTINUE


def test_an_unknown_rule_is_refused_by_path():
    from protocols.spec import SpecError

    with pytest.raises(SpecError) as err:
        parse_spec({**BASE, "modality": "tms", "missed_session": "double_up"})
    assert err.value.problems[0].startswith("missed_session:")


def test_every_built_in_protocol_states_both_rules_explicitly():
    for path in sorted(LIBRARY_DIR.glob("*.json")):
        spec = json.loads(path.read_text())["spec"]
        assert "missed_session" in spec and "requires_rems" in spec, path.name
