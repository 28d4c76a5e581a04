"""Every error code is a named constant, and docs/api/errors.md lists them all.

Codes live in one module per app (`<app>/error_codes.py`, each `ERR_<CODE> = "<code>"`; a code
more than one app raises lives in the lowest of them). Both directions are held here: every
constant is listed in the doc under its app and every listed code is a constant; every constant
is imported by app code outside its module (ruff refuses an unused import, so imported means
raised or answered: a code nothing raises is deleted, not kept); and no app code names a code
with a bare string where an error is raised, answered or matched, so no code can escape the doc.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "api" / "errors.md"
CODES_MODULE = "error_codes.py"
# Django's own validation codes (forms, model fields): the API answers these as `invalid`.
NOT_API_ERRORS = {"ValidationError"}
# Callables whose `code` is not an error code (protocols/adjustments.py's placement reasons).
NOT_ERROR_CODES = {"Reason"}


def _app_dirs() -> list[Path]:
    return sorted(
        p.parent for p in ROOT.glob("*/__init__.py") if p.parent.name not in ("tests", ".venv")
    )


def _app_modules() -> Iterator[tuple[Path, ast.Module]]:
    for app in _app_dirs():
        for path in sorted(app.rglob("*.py")):
            if "migrations" in path.parts:
                continue
            yield path, ast.parse(path.read_text(), filename=str(path))


def _constants() -> dict[str, tuple[str, str]]:
    """code -> (app, constant name), from every app's error_codes.py."""
    out: dict[str, tuple[str, str]] = {}
    for app in _app_dirs():
        path = app / CODES_MODULE
        if not path.is_file():
            continue
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
                continue  # the docstring
            assert isinstance(node, ast.Assign), f"{path}:{node.lineno}: only ERR_ constants"
            (target,) = node.targets
            assert isinstance(target, ast.Name) and isinstance(node.value, ast.Constant)
            code = node.value.value
            assert isinstance(code, str) and re.fullmatch(r"[a-z][a-z0-9_]*", code), code
            assert target.id == f"ERR_{code.upper()}", f"{path}: {target.id} = {code!r}"
            assert code not in out, f"{code!r} is defined in {out[code][0]} and {app.name}"
            out[code] = (app.name, target.id)
    return out


def _documented() -> dict[str, tuple[str, str]]:
    """code -> (app section, status cell) from the doc's tables."""
    out: dict[str, tuple[str, str]] = {}
    app = None
    for line in DOC.read_text().splitlines():
        heading = re.match(r"^## `?(\w+)", line)
        if heading:
            app = heading.group(1)
            continue
        row = re.match(r"^\| `([a-z0-9_]+)` \| ([^|]+) \| ([^|]+) \|$", line)
        if row:
            code = row.group(1)
            assert app is not None, f"{code} is listed before any app heading"
            assert code not in out, f"{code} is listed twice"
            assert re.fullmatch(r"(\d{3}|4xx)( or \d{3})*", row.group(2).strip()), line
            assert row.group(3).strip(), f"{code} has no meaning"
            out[code] = (app, row.group(2).strip())
    return out


def test_every_code_constant_is_listed_under_its_app_and_every_listed_code_is_defined():
    defined = {code: app for code, (app, _name) in _constants().items()}
    listed = {code: app for code, (app, _status) in _documented().items()}
    assert sorted(set(defined) - set(listed)) == [], "defined but not in docs/api/errors.md"
    assert sorted(set(listed) - set(defined)) == [], "in docs/api/errors.md but not defined"
    misplaced = {c: (listed[c], defined[c]) for c in defined if listed[c] != defined[c]}
    assert misplaced == {}, "listed under another app than the one defining it"


def test_every_code_constant_is_raised_by_app_code():
    imported: set[tuple[str, str]] = set()
    for path, tree in _app_modules():
        if path.name == CODES_MODULE:
            continue
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom) or node.module is None:
                continue
            if node.module.endswith(".error_codes"):
                imported.update((node.module.split(".")[0], a.name) for a in node.names)
    unused = sorted(
        f"{app}.{name}" for app, name in _constants().values() if (app, name) not in imported
    )
    assert unused == [], "defined but never raised: delete them (and their rows in the doc)"


def _code_parameters(trees: list[tuple[Path, ast.Module]]) -> dict[str, set[int]]:
    """Callable name -> positions a code takes: functions and exceptions with a `code`
    parameter, dataclasses with a `code` field (e.g. charting/spec.py's Problem)."""
    out: dict[str, set[int]] = {}
    for _path, tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                names = [a.arg for a in node.args.posonlyargs + node.args.args]
                if "code" not in names:
                    continue
                index = names.index("code")
                if node.name == "__init__":
                    continue  # counted with its class below
                out.setdefault(node.name, set()).add(index)
            elif isinstance(node, ast.ClassDef) and node.name not in NOT_ERROR_CODES:
                for item in node.body:
                    if isinstance(item, ast.FunctionDef) and item.name == "__init__":
                        names = [a.arg for a in item.args.posonlyargs + item.args.args]
                        if "code" in names:
                            out.setdefault(node.name, set()).add(names.index("code") - 1)
                fields = [
                    item.target.id
                    for item in node.body
                    if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
                ]
                dataclass = any("dataclass" in ast.unparse(d) for d in node.decorator_list)
                if dataclass and "code" in fields:
                    out.setdefault(node.name, set()).add(fields.index("code"))
    return out


def _is_text(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _values(node: ast.expr) -> Iterator[ast.expr]:
    """What an expression may evaluate to: both branches of `a if c else b`, the values of a
    dict or the items of a collection (not the arguments of a call)."""
    if isinstance(node, ast.IfExp):
        yield from _values(node.body)
        yield from _values(node.orelse)
    elif isinstance(node, ast.BoolOp | ast.Dict):
        for value in node.values:
            yield from _values(value)
    elif isinstance(node, ast.Tuple | ast.List | ast.Set):
        for item in node.elts:
            yield from _values(item)
    else:
        yield node


def _bare_codes(tree: ast.Module, positions: dict[str, set[int]]) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = ast.unparse(node.func).rsplit(".", 1)[-1]
            if name in NOT_API_ERRORS:
                continue
            for keyword in node.keywords:
                if keyword.arg == "code" and _is_text(keyword.value):
                    yield node.lineno, f"{name}(code={ast.unparse(keyword.value)})"
            for index in positions.get(name, ()):
                if index < len(node.args) and _is_text(node.args[index]):
                    yield node.lineno, f"{name}(... {ast.unparse(node.args[index])} ...)"
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and key.value == "code" and _is_text(value):
                    yield node.lineno, f'{{"code": {ast.unparse(value)}}}'
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = {
                t.attr if isinstance(t, ast.Attribute) else getattr(t, "id", "") for t in targets
            }
            if names & {"code", "codes"} and node.value is not None:
                for value in _values(node.value):
                    if _is_text(value):
                        yield node.lineno, f"code = ... {ast.unparse(value)} ..."
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(isinstance(s, ast.Attribute) and s.attr == "code" for s in sides):
                for side in sides:
                    if _is_text(side):
                        yield node.lineno, f".code compared with {ast.unparse(side)}"


def test_no_app_code_raises_or_answers_a_code_as_a_bare_string():
    trees = list(_app_modules())
    positions = _code_parameters(trees)
    # The scan must see the ways codes are given today, or it proves nothing.
    for callable_name in ("ValueProblem", "ScoreError", "Problem", "SpecProblem", "api_error"):
        assert callable_name in positions, callable_name
    bare = [
        f"{path.relative_to(ROOT)}:{line}: {what}"
        for path, tree in trees
        if path.name != CODES_MODULE
        for line, what in _bare_codes(tree, positions)
    ]
    assert bare == [], "name the code with its ERR_ constant from <app>/error_codes.py"


def test_err_constants_are_defined_only_in_the_error_codes_modules():
    stray = []
    for path, tree in _app_modules():
        if path.name == CODES_MODULE:
            continue
        for node in tree.body:
            targets = node.targets if isinstance(node, ast.Assign) else []
            stray += [
                f"{path.relative_to(ROOT)}:{node.lineno}: {t.id}"
                for t in targets
                if isinstance(t, ast.Name) and t.id.startswith("ERR_")
            ]
    assert stray == []
