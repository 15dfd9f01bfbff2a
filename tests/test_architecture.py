"""The layout DESIGN.md promises: imports flow one way, no module imports itself back in a circle."""

import ast
import inspect
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = [
    "tenancy",
    "events",
    "billing",
    "planner",
    "writer",
    "ai",
    "automation",
    "publishing",
    "operations",
    "dashboard",
]
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


# The stage count has one source, `automation.stages.STAGES`; these are the shapes it was written in.
LITERAL_STAGE_COUNT = re.compile(r"max_value(=|\": )7\b|range\(1, [78]\)|\bof 7\b|_lte=7\b")


def product_source_files() -> list[Path]:
    files = []
    for package in [*LAYERS, "igny8"]:
        for suffix in ("*.py", "*.js", "*.html"):
            files += [path for path in (ROOT / package).rglob(suffix) if "migrations" not in path.parts]
    return files


def test_no_product_file_writes_the_stage_count_as_a_literal():
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in product_source_files()
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if LITERAL_STAGE_COUNT.search(line)
    ]
    assert found == []


def test_the_models_stage_count_is_the_number_of_stages():
    from automation.models import STAGE_COUNT
    from automation.stages import STAGES

    assert len(STAGES) == STAGE_COUNT
    assert [stage.number for stage in STAGES] == list(range(1, STAGE_COUNT + 1))


@pytest.mark.parametrize("app", ["automation", "events", "publishing"])
def test_the_task_names_the_settings_import_are_plain_python(app):
    # The settings import them before Django has loaded any app.
    tree = ast.parse((ROOT / app / "task_names.py").read_text())
    assert not [node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)]


SQL_HOMES = {"igny8/sql.py", "billing/sql.py", "ai/sql.py", "automation/sql.py"}
# What only the SQL homes may touch: a cursor, the ORM's query internals, a model instance's state.
SQL_ONLY = re.compile(r"connection\.cursor\(|\._state\.|alias_refcount|where\.children|\.query\b")


def product_files() -> dict[str, str]:
    return {
        path.relative_to(ROOT).as_posix(): path.read_text()
        for name, path in project_modules().items()
        if not name.startswith("devtools")
    }


def test_hand_written_sql_and_query_internals_live_only_in_the_sql_homes():
    allowed = {"operations/health.py": {"connection.cursor("}}  # its readiness probe: `SELECT 1`
    found = {
        (path, match)
        for path, text in product_files().items()
        if path not in SQL_HOMES
        for match in SQL_ONLY.findall(text)
        if match not in allowed.get(path, ())
    }
    assert found == set()


STACK_DIFFERENCES = ("connection.vendor", "ALWAYS_EAGER", "always_eager", "in_atomic_block")


def test_the_stacks_are_told_apart_by_the_capabilities_only():
    allowed = {"igny8/capabilities.py"}
    assert [
        path
        for path, text in product_files().items()
        if any(word in text for word in STACK_DIFFERENCES) and path not in allowed | {"igny8/settings.py"}
    ] == []


def test_the_automation_services_package_gives_no_second_name_but_its_face():
    """Callers import a service from its job's module; `AutomationService` is the one other name."""
    import automation.services as package

    names = {
        name for name, value in vars(package).items() if inspect.isfunction(value) or inspect.isclass(value)
    }
    assert names - {"AutomationConfig", "AutomationRun", "TriggerType", "Site"} == {"AutomationService"}
