"""bench/measure.py: rounds are interleaved (each candidate once per round, in turn) and the
warm-up round is not counted, so a burst of load on a shared machine lands on every candidate."""

from __future__ import annotations

from bench.measure import interleaved, ratio_table


def test_rounds_interleave_candidates_and_skip_the_warmup():
    calls: list[str] = []

    def record(name: str):
        return lambda: calls.append(name)

    timings = interleaved({"floor": record("floor"), "op": record("op")}, rounds=3, warmup=1)
    assert calls == ["floor", "op"] * 4
    assert [len(t.samples) for t in timings.values()] == [3, 3]


def test_the_table_names_each_candidate_with_its_ratio_and_goal():
    timings = interleaved({"floor": lambda: None, "op": lambda: sum(range(20000))}, rounds=3)
    table = ratio_table(timings, floor="floor", goal={"op": 20})
    assert "<= 20x" in table.splitlines()[2]
    assert table.splitlines()[1].split()[-1] == "1.00"
