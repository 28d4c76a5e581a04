"""Imports run one way: clinic <- protocols <- scheduling <- charting <- demo <- config, with
no exemption (docs/architecture.md, "Layers"). config/ (settings, the URL configuration, the API
root) is the project's own floor: it may import anything, and nothing imports it back.

Checked on the source (every import statement, also those inside functions), so an upward
import cannot hide in a function body or behind a lazy `apps.get_model`. No module imports
itself round a circle, not even through an import inside a function.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ["clinic", "protocols", "scheduling", "charting", "demo", "config"]
APPS = LAYERS[: LAYERS.index("config")]


def _modules() -> dict[str, Path]:
    out = {}
    for app in LAYERS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            rel = path.relative_to(ROOT).with_suffix("")
            name = ".".join(rel.parts).removesuffix(".__init__")
            out[name] = path
    return out


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def _layer(module: str) -> int | None:
    head = module.split(".")[0]
    return LAYERS.index(head) if head in LAYERS else None


def test_apps_import_only_their_own_layer_or_below():
    upward = []
    for name, path in _modules().items():
        mine = _layer(name)
        for line, target in _imports(path):
            theirs = _layer(target)
            if theirs is not None and mine is not None and theirs > mine:
                upward.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    assert upward == []


def test_nothing_imports_the_project_floor_back():
    """The settings, URL configuration and API root are read by Django by name, never imported
    by an app (the layer rule above says so too; this names the rule on its own)."""
    back = []
    for name, path in _modules().items():
        if name.split(".")[0] == "config":
            continue
        for line, target in _imports(path):
            if target.split(".")[0] == "config":
                back.append(f"{path.relative_to(ROOT)}:{line} imports {target}")
    assert back == []


def test_every_app_is_on_a_floor():
    """An installed app of ours missing from LAYERS would be checked by nothing above."""
    from django.conf import settings

    ours = {app for app in settings.INSTALLED_APPS if (ROOT / app / "apps.py").is_file()}
    assert ours == set(APPS)


def test_no_private_name_is_imported_from_another_module():
    private = []
    for path in [
        *(p for app in LAYERS for p in (ROOT / app).rglob("*.py")),
        *ROOT.glob("tests/**/*.py"),
    ]:
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and _layer(node.module) is not None:
                for alias in node.names:
                    if alias.name.startswith("_"):
                        private.append(f"{path.relative_to(ROOT)}:{node.lineno} {alias.name}")
    assert private == []


def test_no_model_reflection_across_apps():
    """`_meta.get_field(...).related_model` reaches another app's model without importing it."""
    hits = []
    for path in _modules().values():
        if "related_model" in path.read_text():
            hits.append(str(path.relative_to(ROOT)))
    assert hits == []


def _module_graph() -> dict[str, set[str]]:
    """Module -> the project modules it imports, every import statement counted (a circle
    broken only by an import inside a function is still a circle in the design)."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for _line, target in _imports(path):
            # `from a.b import c` names a.b.c: a module when c is one, else a name in a.b.
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name and not name.startswith(target + "."):
                graph[name].add(target)
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_circles():
    graph = _module_graph()
    # The graph must hold the project's imports, or an empty one would pass.
    assert "scheduling.booking_change" in graph["scheduling.enrolment"]
    assert _circles(graph) == []


def test_the_circle_finder_sees_a_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _circles(graph) == [["a", "b", "c"]]
