"""The tests build their data one way: one wall-clock helper (tests/support/clock.py `local`),
one set of factories (tests/support/factories.py) and one `book` through the booking service
(tests/scheduling/booking_support.py). Copies grow apart (there were eleven local-time helpers
with four signatures, four course factories and five `book`), so a copy fails here."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent
CLOCK = "support/clock.py"
FACTORIES = "support/factories.py"
HOMES = {
    "local": CLOCK,
    "make_site": FACTORIES,
    "make_user": FACTORIES,
    "make_patient": FACTORIES,
    "make_protocol": FACTORIES,
    "builtin_protocol": FACTORIES,
    "make_course": FACTORIES,
    "make_session": FACTORIES,
    "book": "scheduling/booking_support.py",
}


def _modules() -> list[tuple[str, ast.Module]]:
    return [
        (path.relative_to(TESTS).as_posix(), ast.parse(path.read_text(), filename=str(path)))
        for path in sorted(TESTS.rglob("*.py"))
    ]


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _builds_aware_datetime_from(function: ast.FunctionDef) -> bool:
    """True when the function makes an aware datetime out of its own arguments: a call with
    `tzinfo=` (not None) whose arguments use a parameter, e.g. `datetime(day.year, ...,
    tzinfo=NY)` or `naive.replace(tzinfo=zone)` after `naive` was built from `day`."""
    params = {a.arg for a in function.args.args + function.args.kwonlyargs}
    derived = set(params)
    for node in ast.walk(function):  # names assigned from a parameter count as the parameter
        if isinstance(node, ast.Assign) and _names(node.value) & derived:
            derived |= {n for t in node.targets for n in _names(t)}
    for node in ast.walk(function):
        if not isinstance(node, ast.Call):
            continue
        tz = [k for k in node.keywords if k.arg == "tzinfo"]
        if not tz or (isinstance(tz[0].value, ast.Constant) and tz[0].value.value is None):
            continue
        if _names(node) & derived:
            return True
    return False


def _only_rewraps_local(function: ast.FunctionDef) -> bool:
    """True for `def at(site, hhmm): return local(site, DAY, hhmm)`: a second name for it."""
    body = [n for n in function.body if not isinstance(n, ast.Expr)]  # docstrings aside
    return (
        len(body) == 1
        and isinstance(body[0], ast.Return)
        and isinstance(body[0].value, ast.Call)
        and isinstance(body[0].value.func, ast.Name)
        and body[0].value.func.id == "local"
    )


def test_each_factory_and_the_clock_helper_is_defined_once_in_its_home():
    found: dict[str, list[str]] = {}
    for path, tree in _modules():
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name in HOMES:
                found.setdefault(node.name, []).append(path)
    misplaced = {name: paths for name, paths in found.items() if paths != [HOMES[name]]} | {
        name: [] for name in HOMES if name not in found
    }
    assert not misplaced, f"define these only in their home and import them from there: {misplaced}"


def _is_fixture(function: ast.FunctionDef) -> bool:
    return any("fixture" in ast.unparse(d) for d in function.decorator_list)


def test_no_other_helper_turns_a_wall_clock_time_into_an_instant():
    """Tests use `local(site_or_zone, day, "HH:MM")`; a fixed instant is a constant or a
    fixture."""
    helpers = [
        f"{path}:{node.lineno} {node.name}"
        for path, tree in _modules()
        if path != CLOCK
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef)
        and not node.name.startswith("test_")
        and not _is_fixture(node)
        and (_builds_aware_datetime_from(node) or _only_rewraps_local(node))
    ]
    assert not helpers, f"use tests.support.clock.local instead of: {helpers}"


def test_the_guard_sees_the_helpers_it_forbids():
    tree = ast.parse(
        "def at(day, hh, mm=0):\n"
        "    return dt.datetime(day.year, day.month, day.day, hh, mm, tzinfo=NY)\n"
        "def local(site, day, hhmm):\n"
        "    naive = dt.datetime.fromisoformat(f'{day}T{hhmm}')\n"
        "    return naive.replace(tzinfo=ZoneInfo(site.timezone)).astimezone(dt.UTC)\n"
        "def naive(value):\n"
        "    return value.replace(tzinfo=None)\n"
        "def fixed():\n"
        "    return dt.datetime(2026, 3, 9, tzinfo=dt.UTC)\n"
    )
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    assert [_builds_aware_datetime_from(f) for f in functions] == [True, True, False, False]
    wrapper = ast.parse("def at(site, hhmm):\n    return local(site, DAY, hhmm)\n").body[0]
    assert isinstance(wrapper, ast.FunctionDef) and _only_rewraps_local(wrapper)
