"""No app reads a higher app's reverse relation (docs/architecture.md, "Layers").

`protocol.courses` in protocols code depends on scheduling as surely as `import scheduling`,
and tests/test_import_layers.py cannot see it: no import statement names it. A relation field on
a model of app A pointing at a model of a lower app gives that model a reverse accessor (its
`related_name`, or `<model>_set`) and a reverse query name; both belong to A. So in the code of
that lower app, and of any app between it and A, this test refuses:

- the accessor as an attribute of an expression (`latest.courses.exists()`);
- the query name as the first step of an ORM lookup: a keyword of `filter`, `exclude`, `get`,
  `Q` and the like (`courses__status=...`), or a path string given to `prefetch_related`,
  `select_related`, `Prefetch`, `values`, `order_by`, `Count`, `F` and the like.

The list of names comes from Django's model meta, so a new relation is covered the day it is
added. Four rules keep generic names (`alerts`, `observation`) precise rather than exempted:
an app below the related model's own app holds none of its rows, so the name is free there (a
protocol spec's `early_review`); an attribute of a module (`clinician_views.alerts`, a view
function) is not a relation; nor is `self.<name>` in a class that defines `<name>` itself (a
dataclass field, an attribute set in `__init__`), or `<var>.<name>` where `<var>` was made by
calling such a class of the same module (`planner = _Planner(...)`). Not seen:
`getattr(obj, "courses")` and lookups built at run time.
"""

from __future__ import annotations

import ast
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from django.apps import apps
from django.db.models.fields.related import RelatedField

from tests.test_import_layers import LAYERS, ROOT

LOOKUP_KEYWORD_CALLS = {"filter", "exclude", "get", "get_or_create", "update_or_create", "Q"}
LOOKUP_PATH_CALLS = {
    "prefetch_related",
    "select_related",
    "Prefetch",
    "values",
    "values_list",
    "order_by",
    "only",
    "defer",
    "distinct",
    "F",
    "OuterRef",
    "Count",
    "Sum",
    "Min",
    "Max",
    "Avg",
}


@dataclass(frozen=True)
class Reverse:
    owner: str  # the app whose model declares the relation field
    field: str  # app.Model.field, for the message


Names = dict[str, dict[str, list[Reverse]]]  # app -> name -> the relations it is the reverse of


def _reverse_names() -> tuple[Names, Names]:
    """Per app: the reverse accessors and the reverse query names it may not use."""
    accessors: Names = {app: {} for app in LAYERS}
    queries: Names = {app: {} for app in LAYERS}
    for model in apps.get_models():
        owner = model._meta.app_label
        if owner not in LAYERS:
            continue
        for field in model._meta.get_fields():
            if not isinstance(field, RelatedField) or not isinstance(field.related_model, type):
                continue
            target = field.related_model._meta.app_label
            if target not in LAYERS or LAYERS.index(target) >= LAYERS.index(owner):
                continue
            if field.remote_field.hidden:  # related_name="+": no accessor, no query name
                continue
            why = Reverse(owner, f"{owner}.{model.__name__}.{field.name}")
            # From the target's app up to the owner's: an app below the target holds none of
            # its rows, so there the same name is something else (a spec's `early_review`).
            accessor = field.remote_field.get_accessor_name()
            assert accessor is not None
            for app in LAYERS[LAYERS.index(target) : LAYERS.index(owner)]:
                accessors[app].setdefault(accessor, []).append(why)
                queries[app].setdefault(field.related_query_name(), []).append(why)
    return accessors, queries


def _module_names(tree: ast.Module, package: str) -> set[str]:
    """Names the file binds to modules (`import x`, `from pkg import module`)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {(a.asname or a.name.split(".")[0]) for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parts, *([base] if base else [])])
            for a in node.names:
                try:
                    spec = importlib.util.find_spec(f"{base}.{a.name}")
                except (ImportError, ValueError):
                    spec = None
                if spec is not None:
                    names.add(a.asname or a.name)
    return names


def _own_attributes(cls: ast.ClassDef) -> set[str]:
    """What a class defines itself: body assignments, annotations, methods, `self.x = ...`."""
    own = set()
    for node in cls.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            own.add(node.target.id)
        elif isinstance(node, ast.Assign):
            own |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            own.add(node.name)
    for inner in ast.walk(cls):
        targets = (
            inner.targets
            if isinstance(inner, ast.Assign)
            else [inner.target]
            if isinstance(inner, ast.AnnAssign | ast.AugAssign)
            else []
        )
        for t in targets:
            if (
                isinstance(t, ast.Attribute)
                and isinstance(t.value, ast.Name)
                and t.value.id == "self"
            ):
                own.add(t.attr)
    return own


def _call_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    if isinstance(call.func, ast.Name):
        return call.func.id
    return None


def _uses(
    source: str,
    package: str,
    accessors: dict[str, list[Reverse]],
    queries: dict[str, list[Reverse]],
) -> list[tuple[int, str, list[Reverse]]]:
    """(line, what, whose) for each use of a forbidden name in a module of `package`."""
    tree = ast.parse(source)
    modules = _module_names(tree, package)
    own_by_class: dict[int, set[str]] = {}
    enclosing: dict[int, ast.ClassDef] = {}
    for cls in ast.walk(tree):
        if isinstance(cls, ast.ClassDef):
            own_by_class[id(cls)] = _own_attributes(cls)
            for inner in ast.walk(cls):
                enclosing[id(inner)] = cls  # innermost wins: walk visits outer classes first
    # A name bound to an instance of a class of this module (`planner = _Planner(...)`): its
    # attributes are the class's own, not relations.
    classes = {id(c): c for c in ast.walk(tree) if isinstance(c, ast.ClassDef)}
    by_name = {c.name: own_by_class[key] for key, c in classes.items()}
    instances: dict[str, set[str]] = {}
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name)
            and node.value.func.id in by_name
        ):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    instances[target.id] = by_name[node.value.func.id]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in accessors:
            value = node.value
            if isinstance(value, ast.Name) and value.id in modules:
                continue
            if isinstance(value, ast.Name) and node.attr in instances.get(value.id, ()):
                continue
            if isinstance(value, ast.Name) and value.id == "self":
                home = enclosing.get(id(node))
                if home is not None and node.attr in own_by_class[id(home)]:
                    continue
            found.append((node.lineno, ast.unparse(node), accessors[node.attr]))
        elif isinstance(node, ast.Call):
            name = _call_name(node)
            if name in LOOKUP_KEYWORD_CALLS:
                for kw in node.keywords:
                    head = (kw.arg or "").split("__")[0]
                    if head in queries:
                        found.append((node.lineno, f"{name}({kw.arg}=...)", queries[head]))
            if name in LOOKUP_PATH_CALLS:
                for arg in node.args:
                    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                        head = arg.value.split("__")[0]
                        if head in queries:
                            found.append((node.lineno, f"{name}({arg.value!r})", queries[head]))
    return found


def _app_modules(app: str) -> list[tuple[Path, str]]:
    """(path, package) of each of the app's modules, migrations aside."""
    paths = sorted(p for p in (ROOT / app).rglob("*.py") if "migrations" not in p.parts)
    return [(p, ".".join(p.relative_to(ROOT).parts[:-1])) for p in paths]


def test_the_list_of_reverse_names_is_built_from_the_models():
    accessors, queries = _reverse_names()
    # Course.protocol (scheduling -> protocols): `protocol.courses` is scheduling's; so are
    # `patient.courses` and `site.courses`, in clinic and in protocols (which holds those rows).
    assert {r.field for r in accessors["protocols"]["courses"]} == {
        "scheduling.Course.patient",
        "scheduling.Course.site",
        "scheduling.Course.protocol",
    }
    assert "courses" not in accessors["scheduling"]
    # A one-to-one reads as the model name; a hidden one (related_name="+") has none.
    assert [r.owner for r in accessors["scheduling"]["observation"]] == ["charting"]
    assert "course" not in accessors["scheduling"]
    # Below the target's app the name is free: protocols holds no Course.
    assert "early_review" not in accessors["protocols"]
    assert {r.owner for r in queries["clinic"]["sessions"]} == {"scheduling"}


def test_the_scan_sees_accessors_and_lookups_and_not_look_alikes():
    sample = (
        "from clinic import clock\n"
        "def f(latest, rows):\n"
        "    latest.courses.exists()\n"
        "    rows.filter(courses__status='active')\n"
        "    rows.prefetch_related('courses__sessions')\n"
        "    return clock.courses\n"
        "class Box:\n"
        "    courses: int\n"
        "    def g(self):\n"
        "        return self.courses\n"
        "class Other:\n"
        "    def g(self):\n"
        "        return self.courses\n"
    )
    accessors, queries = _reverse_names()
    hits = _uses(sample, "protocols", accessors["protocols"], queries["protocols"])
    assert sorted(line for line, _what, _why in hits) == [3, 4, 5, 13]


def test_no_app_reads_a_higher_apps_reverse_relation():
    accessors, queries = _reverse_names()
    upward = [
        f"{path.relative_to(ROOT)}:{line} {what} (the reverse of {', '.join(r.field for r in why)})"
        for app in LAYERS
        for path, package in _app_modules(app)
        for line, what, why in _uses(path.read_text(), package, accessors[app], queries[app])
    ]
    assert upward == []
