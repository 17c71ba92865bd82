"""
The emissions layer's imports: no cycles, and ``ecoroute.vehicles`` only re-exports.

Imports inside functions count: a cycle hidden in a function is still a cycle
a reader has to untangle. Imports under ``if TYPE_CHECKING:`` do not run and
are left out.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import ecoroute
import ecoroute.emissions

PACKAGE = Path(ecoroute.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every ecoroute module ``path`` imports, anywhere in the file, resolved to a module."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text())
    typing_only = {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING")
        for inner in ast.walk(node)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {
        name: {m for m in _imports(path) if m in modules} - {name} for name, path in modules.items()
    }


def _reaches(graph: dict[str, set[str]], start: str, goal: str) -> bool:
    seen, stack = set(), [start]
    while stack:
        node = stack.pop()
        for nxt in graph.get(node, ()):
            if nxt == goal:
                return True
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return False


def test_emission_modules_are_in_no_import_cycle():
    graph = _graph()
    mine = [m for m in graph if m.startswith("ecoroute.emissions") or m == "ecoroute.vehicles"]
    assert "ecoroute.emissions.vehicle" in mine
    in_cycle = [m for m in mine if _reaches(graph, m, m)]
    assert in_cycle == []


def test_emissions_never_import_the_layers_above():
    graph = _graph()
    above = {"ecoroute.routing", "ecoroute.hierarchy", "ecoroute.fleet", "ecoroute.batch",
             "ecoroute.cli", "ecoroute.vehicles"}  # fmt: skip
    for module, targets in graph.items():
        if module.startswith("ecoroute.emissions"):
            assert not {t for t in targets if t.partition(".")[0] and t in above}, module


def test_vehicles_module_only_re_exports_the_emissions_layer():
    vehicles = importlib.import_module("ecoroute.vehicles")
    for name in vehicles.__all__:
        obj = getattr(vehicles, name)
        assert obj is getattr(ecoroute.emissions, name)
    assert ecoroute.vehicle is ecoroute.emissions.vehicle
    assert ecoroute.Vehicle.__module__ == "ecoroute.emissions.vehicle"
