"""Imports run one way: clinic <- protocols <- scheduling <- charting <- demo <- config, with
no exemption (docs/architecture.md, "Layers"). config/ (settings, the URL configuration, the API
root) is the project's own floor: it may import anything, and nothing imports it back.

Checked on the source (every import statement, also those inside functions), so an upward
import cannot hide in a function body or behind a lazy `apps.get_model`.
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
