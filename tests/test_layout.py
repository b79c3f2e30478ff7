"""The codebase's shape, as docs/architecture.md promises it: one package in FlaskApp/ beside the
two entry points, nothing that edits the import path, and modules and functions kept short."""

from __future__ import annotations

import ast
import re
import subprocess

from tests.support import ROOT

PACKAGE = ROOT / "FlaskApp" / "drawadigit"
MAX_MODULE_LINES, MAX_FUNCTION_LINES = 350, 40  # a function's lines include its docstring
SUBPACKAGES = {"web", "corrections", "reading", "model", "training", "data", "evaluation"}


def tracked(*patterns: str) -> list[str]:
    """The files git tracks that match `patterns` (paths relative to the checkout)."""
    done = subprocess.run(
        ["git", "ls-files", *patterns], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return done.stdout.split()


def test_flaskapp_holds_the_two_entry_points_and_one_package():
    modules = sorted(p.name for p in (ROOT / "FlaskApp").glob("*.py"))
    assert modules == ["flaskapp.py", "kerasModel.py"]
    for name in modules:
        assert len((ROOT / "FlaskApp" / name).read_text().splitlines()) <= 30, name
    found = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert found == SUBPACKAGES


def test_nothing_edits_the_import_path():
    pattern = re.compile(r"sys\.path\.(insert|append|extend)|sys\.path\s*=|pythonpath|PYTHONPATH")
    offenders = []
    for name in tracked("*.py", "*.toml", "*.cfg", "*.ipynb", "Makefile", ".ci/run", "*.md"):
        if name == "tests/test_layout.py":
            continue
        text = (ROOT / name).read_text(errors="replace")
        offenders += [f"{name}: {m.group(0)}" for m in pattern.finditer(text)]
    assert offenders == []


def test_modules_and_functions_stay_short():
    long_modules, long_functions = [], []
    for name in tracked("*.py"):
        text = (ROOT / name).read_text()
        if len(text.splitlines()) > MAX_MODULE_LINES:
            long_modules.append(name)
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                if node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES:
                    long_functions.append(f"{name}:{node.name}")
    assert long_modules == [] and long_functions == []


def imported_subpackages(path) -> set[str]:
    """The package's other subpackages (or top modules) a module imports, lazily or not."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("drawadigit"):
            parts = node.module.split(".")
            found |= {parts[1]} if len(parts) > 1 else {a.name for a in node.names}
    return found


def test_the_subpackages_import_each_other_without_cycles():
    graph: dict[str, set[str]] = {name: set() for name in SUBPACKAGES}
    for name in SUBPACKAGES:
        for path in (PACKAGE / name).rglob("*.py"):
            graph[name] |= (imported_subpackages(path) & SUBPACKAGES) - {name}
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, f"import cycle: {' -> '.join((*path, name))}"
        if name not in done:
            for other in sorted(graph[name]):
                visit(other, (*path, name))
            done.add(name)

    for name in sorted(graph):
        visit(name, ())
    assert "model" not in graph["reading"] and "training" not in graph["model"]
