"""The layout DESIGN.md promises: imports flow one way, no module imports itself back in a circle."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ["tenancy", "events", "billing", "planner", "writer", "ai", "automation", "operations", "dashboard"]
PACKAGES = [*LAYERS, "igny8", "devtools"]


def project_modules() -> dict[str, Path]:
    modules = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path
    return modules


def imports_of(path: Path, modules: dict[str, Path]) -> set[str]:
    """Project modules that `path` imports, at any depth of the file (function-level imports too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from package import submodule` imports the submodule; `from module import name`, the module.
            names = [
                f"{node.module}.{alias.name}" if f"{node.module}.{alias.name}" in modules else node.module
                for alias in node.names
            ]
        else:
            continue
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: imports_of(path, modules) - {name} for name, path in modules.items()}


def test_no_module_imports_a_higher_app(graph):
    upward = [
        (module, imported)
        for module, imports in graph.items()
        for imported in imports
        if module.split(".")[0] in LAYERS
        and imported.split(".")[0] in LAYERS
        and LAYERS.index(imported.split(".")[0]) > LAYERS.index(module.split(".")[0])
    ]
    assert upward == []


def test_there_are_no_import_circles(graph):
    cycles = []

    def visit(module: str, path: list[str], on_path: set[str], done: set[str]) -> None:
        for imported in sorted(graph.get(module, ())):
            if imported in on_path:
                cycles.append(path[path.index(imported) :] + [imported])
            elif imported not in done:
                on_path.add(imported)
                visit(imported, [*path, imported], on_path, done)
                on_path.discard(imported)
        done.add(module)

    done: set[str] = set()
    for module in sorted(graph):
        if module not in done:
            visit(module, [module], {module}, done)
    assert cycles == []


def test_the_product_never_imports_the_test_tooling(graph):
    assert [
        m
        for m, imports in graph.items()
        if not m.startswith("devtools") and any(i.startswith("devtools") for i in imports)
    ] == []


def test_ai_specs_and_offline_generators_are_plain_python():
    plain = [ROOT / "ai" / "specs.py", ROOT / "ai" / "offline.py", ROOT / "ai" / "errors.py"]
    for path in [*plain, *(ROOT / "ai" / "clustering").glob("*.py")]:
        imported = {
            (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Import | ast.ImportFrom)
            for alias in node.names
            if not isinstance(node, ast.ImportFrom) or node.module
        }
        assert not imported & {"django", "rest_framework", *(set(LAYERS) - {"ai"})}, path.name
