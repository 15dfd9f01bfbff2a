"""What keeps the product readable by a newcomer: modules and functions of a size read in one sitting,
and tests that reach the product through its public names only."""

import ast
from pathlib import Path

from tests.test_architecture import LAYERS, ROOT

PRODUCT = [*LAYERS, "igny8"]
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def product_files() -> list[Path]:
    return [
        path
        for package in PRODUCT
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts and "management" not in path.parts
    ]


def test_no_product_module_is_longer_than_a_sitting():
    long = {
        str(path.relative_to(ROOT)): lines
        for path in product_files()
        if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_no_product_function_is_longer_than_a_screenful():
    long = {}
    for path in product_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = node.end_lineno - node.lineno + 1
                if lines > MAX_FUNCTION_LINES:
                    long[f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"] = lines
    assert long == {}


def product_module(name: str) -> bool:
    return name.split(".")[0] in PRODUCT


def test_tests_import_no_private_name_of_the_product():
    private = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and product_module(node.module):
                private += [
                    f"{path.relative_to(ROOT)}: {node.module}.{alias.name}"
                    for alias in node.names
                    if alias.name.startswith("_")
                    or any(part.startswith("_") for part in node.module.split("."))
                ]
    assert private == []


def test_tests_patch_no_global_of_a_product_module():
    """Tests change behaviour through settings and public hooks, not by replacing a module's names."""
    patched = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        tree = ast.parse(path.read_text())
        modules = {
            alias.asname or alias.name: alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
            if product_module(alias.name)
        }
        modules.update(
            {
                alias.asname or alias.name: f"{node.module}.{alias.name}"
                for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and node.module and product_module(node.module)
                for alias in node.names
                if (ROOT / node.module.replace(".", "/") / f"{alias.name}.py").exists()
            }
        )
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "setattr"
                and node.args
                and isinstance(node.args[0], ast.Name)
                and node.args[0].id in modules
            ):
                patched.append(f"{path.relative_to(ROOT)}:{node.lineno} {modules[node.args[0].id]}")
    assert patched == []
