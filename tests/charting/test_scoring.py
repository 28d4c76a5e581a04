"""Scale scoring against worked examples (pure: no database)."""

from __future__ import annotations

import pytest

from charting import scoring


def _phq(*scores: int) -> dict[str, int]:
    return {f"item{i}": s for i, s in enumerate(scores, start=1)}


def test_phq9_worked_example_total_band_and_item9():
    result = scoring.score("phq9", _phq(2, 2, 1, 3, 1, 2, 1, 0, 1))
    assert result.total == 13
    assert result.band == "moderate"
    assert result.safety_positive is True


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately severe"),
        (19, "moderately severe"),
        (20, "severe"),
        (27, "severe"),
    ],
)
def test_phq9_band_edges_follow_kroenke(total, band):
    assert scoring.PHQ9.band(total) == band


def test_phq9_item9_zero_is_not_a_safety_flag():
    result = scoring.score("phq9", _phq(3, 3, 3, 3, 3, 3, 3, 3, 0))
    assert (result.total, result.band, result.safety_positive) == (24, "severe", False)


def test_phq9_embeds_full_item_text():
    assert scoring.PHQ9.items[8].text.startswith("Thoughts that you would be better off dead")
    assert len(scoring.PHQ9.items) == 9


@pytest.mark.parametrize(
    ("scores", "total", "band"),
    [
        ((0, 1, 1, 0, 1, 0, 1), 4, "minimal"),
        ((1, 1, 1, 1, 1, 0, 0), 5, "mild"),
        ((2, 2, 2, 1, 1, 1, 1), 10, "moderate"),
        ((3, 3, 2, 2, 2, 2, 1), 15, "severe"),
        ((3, 3, 3, 3, 3, 3, 3), 21, "severe"),
    ],
)
def test_gad7_cut_points_5_10_15(scores, total, band):
    result = scoring.score("gad7", {f"item{i}": s for i, s in enumerate(scores, start=1)})
    assert (result.total, result.band) == (total, band)


def test_madrs_worked_example():
    items = dict.fromkeys((i.key for i in scoring.MADRS.items), 3)
    items["suicidal_thoughts"] = 2
    items["apparent_sadness"] = 5
    result = scoring.score("madrs", items)
    # 8 items at 3, one at 2, one at 5.
    assert result.total == 31
    assert result.band == "moderate"
    assert scoring.MADRS.band(6) == "normal"
    assert scoring.MADRS.band(35) == "severe"


def test_qids_sr16_scores_domains_by_their_highest_item():
    items = {i.key: 0 for i in scoring.QIDS_SR16.items}
    # Sleep domain: max(1, 3, 2, 0) = 3; weight domain: max(2, 0, 1, 0) = 2;
    # psychomotor: max(1, 2) = 2; then mood 2, concentration 1, self-view 1, suicide 1,
    # interest 2, energy 2 -> 3 + 2 + 2 + 2 + 1 + 1 + 1 + 2 + 2 = 16.
    items.update(
        sleep_onset=1,
        mid_nocturnal=3,
        early_morning=2,
        appetite_decreased=2,
        weight_decreased=1,
        psychomotor_slowed=1,
        psychomotor_agitated=2,
        mood_sad=2,
        concentration=1,
        self_view=1,
        suicidal_ideation=1,
        general_interest=2,
        energy=2,
    )
    result = scoring.score("qids_sr16", items)
    assert result.total == 16
    assert result.band == "severe"


def test_qids_maximum_is_27():
    result = scoring.score("qids_sr16", {i.key: 3 for i in scoring.QIDS_SR16.items})
    assert (result.total, result.band) == (27, "very severe")


@pytest.mark.parametrize(
    ("items", "code"),
    [
        ({**_phq(0, 0, 0, 0, 0, 0, 0, 0, 0), "item10": 1}, "unknown_item"),
        ({f"item{i}": 0 for i in range(1, 9)}, "missing_item"),
        (_phq(0, 0, 0, 0, 0, 0, 0, 0, 4), "item_out_of_range"),
        (_phq(0, 0, 0, 0, 0, 0, 0, 0, -1), "item_out_of_range"),
        ({**_phq(0, 0, 0, 0, 0, 0, 0, 0, 0), "item1": "2"}, "item_out_of_range"),
        ({**_phq(0, 0, 0, 0, 0, 0, 0, 0, 0), "item1": True}, "item_out_of_range"),
        ({**_phq(0, 0, 0, 0, 0, 0, 0, 0, 0), "item1": 1.5}, "item_out_of_range"),
    ],
)
def test_invalid_items_are_refused_with_a_stable_code(items, code):
    with pytest.raises(scoring.ScoreError) as info:
        scoring.score("phq9", items)
    assert info.value.code == code


def test_unknown_scale():
    with pytest.raises(scoring.ScoreError) as info:
        scoring.score("hamd99", {})
    assert info.value.code == "unknown_scale"


def test_outcome_response_at_exactly_half_and_remission():
    # Baseline 20 -> 10 is exactly a 50% drop: response. Not remission (PHQ-9 needs < 5).
    o = scoring.outcome("phq9", [20, 14, 10], baseline_at=0)
    assert (o.baseline, o.latest, o.trajectory) == (20, 10, (20, 14, 10))
    assert o.change_pct == -50.0
    assert o.response is True
    assert o.remission is False
    assert o.latest_band == "moderate"


def test_outcome_just_short_of_response():
    o = scoring.outcome("phq9", [21, 11], baseline_at=0)  # 47.6% drop
    assert o.response is False
    assert o.change_pct == -47.6


def test_outcome_remission_on_madrs_below_10():
    assert scoring.outcome("madrs", [32, 9], baseline_at=0).remission is True
    assert scoring.outcome("madrs", [32, 10], baseline_at=0).remission is False


def test_outcome_baseline_alone_is_neither_response_nor_remission():
    o = scoring.outcome("phq9", [3], baseline_at=0)
    assert (o.response, o.remission, o.change_pct) == (False, False, 0.0)


def test_outcome_zero_baseline_has_no_percentage():
    o = scoring.outcome("gad7", [0, 0], baseline_at=0)
    assert o.change_pct is None
    assert o.response is False
    assert o.remission is True
