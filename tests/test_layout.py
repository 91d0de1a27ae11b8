"""The layout keeps its habits: every module says what it owns, has its test module, and no import circle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).parents[1] / "src" / "patchplan"
TESTS = Path(__file__).parent

#: Modules whose test module is not named tests/test_<package>_<module>.py (or test_<module>.py).
TESTED_BY = {
    "bench/formats.py": "test_benchfmt.py",
    "broker/brokerage.py": "test_broker.py",
    "broker/demand.py": "test_demand.py",
    "broker/offers.py": "test_offers.py",
    "broker/transfers.py": "test_transfers.py",
    "check/checker.py": "test_check.py",
    "cli/app.py": "test_cli.py",
    # The demand and offers commands are tested beside their domain modules.
    "cli/demand.py": "test_demand.py",
    "cli/offers.py": "test_offers.py",
    "cli/serve.py": "test_service_api.py",
    "core/model.py": "test_model.py",
    "essex/generator.py": "test_scenario.py",
    "geo/geography.py": "test_geo.py",
    "geo/travel.py": "test_travel.py",
    "io/folder.py": "test_io.py",
    "io/schema.py": "test_io.py",
    "io/feed.py": "test_io_inputs.py",
    "io/geojson.py": "test_io_inputs.py",
    "core/events.py": "test_io_inputs.py",
    "patches/partition.py": "test_patches.py",
    "patches/evaluate.py": "test_evaluate.py",
    "report/demo.py": "test_demo.py",
    "rounds/plan.py": "test_rounds.py",
    "rounds/replan.py": "test_replan.py",
    "rounds/day.py": "test_rounds_coverage.py",
    # The solver package's modules are tested together on hand-built routing problems.
    "solver/problem.py": "test_solver.py",
    "solver/construct.py": "test_solver.py",
    "solver/repair.py": "test_solver.py",
    "solver/timing.py": "test_solver.py",
    "solver/_ortools.py": "test_solver.py",
    "solver/pairs.py": "test_solver.py",
}
#: Packages tested as a whole through their public surface (a web service: its HTTP API).
PACKAGE_TESTED_BY = {"service": "test_service_api.py"}
#: Modules still without a test module of their own, and who is writing it.
PENDING = {
    # Exercised through read_scenario / read_roster / read_events in test_io.py and test_io_inputs.py.
    "io/build.py": "inputs session (io)",
    "io/cells.py": "inputs session (io)",
    "io/docs.py": "inputs session (io)",
    "io/events.py": "inputs session (io)",
    "io/roster.py": "inputs session (io)",
    "io/scenario.py": "inputs session (io)",
    "io/tables.py": "inputs session (io)",
    "core/demand.py": "inputs session (io)",
}


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if p.name != "__init__.py" and "data" not in p.parts)


def _key(p: Path) -> str:
    return p.relative_to(SRC).as_posix()


@pytest.mark.parametrize("module", [_key(p) for p in _modules()])
def test_module_has_a_test_module(module: str) -> None:
    """Each module has tests/test_<package>_<module>.py (or its documented name), unless pending."""
    if module in PENDING:
        pytest.skip(f"{module}: test module pending ({PENDING[module]})")
    package, *_, name = module.removesuffix(".py").split("/")
    candidates = [
        TESTED_BY.get(module),
        PACKAGE_TESTED_BY.get(package),
        f"test_{package}_{name.lstrip('_')}.py",
        f"test_{name}.py",
    ]
    assert any(c and (TESTS / c).is_file() for c in candidates), f"{module}: no test module ({candidates[2]})"


@pytest.mark.parametrize("module", [_key(p) for p in SRC.rglob("*.py") if "data" not in p.relative_to(SRC).parts])
def test_module_says_what_it_owns(module: str) -> None:
    """Every module (packages too) opens with a docstring."""
    doc = ast.get_docstring(ast.parse((SRC / module).read_text(encoding="utf-8")))
    assert doc and len(doc.split()) >= 4, f"{module}: no docstring saying what it owns"


def _imports(path: Path) -> set[str]:
    """patchplan modules a module imports at import time (function-local imports excluded)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("patchplan"):
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("patchplan")}
    return out


def test_no_import_circle() -> None:
    """Module-level imports between patchplan's modules form no circle."""
    names = {
        "patchplan." + _key(p).removesuffix(".py").replace("/", ".").removesuffix(".__init__"): p
        for p in SRC.rglob("*.py")
        if "data" not in p.relative_to(SRC).parts
    }
    graph = {name: {m for m in _imports(p) if m in names and m != name} for name, p in names.items()}
    # A package's __init__ importing its own modules is how re-exports work, not a circle.
    for name, deps in graph.items():
        if names[name].name == "__init__.py":
            deps -= {m for m in deps if m.startswith(name + ".")}
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(n: str) -> None:
        state[n] = 1
        path.append(n)
        for m in sorted(graph[n]):
            if state.get(m) == 1:
                raise AssertionError("import circle: " + " -> ".join(path[path.index(m) :] + [m]))
            if m not in state:
                visit(m)
        path.pop()
        state[n] = 2

    for n in sorted(graph):
        if n not in state:
            visit(n)


def test_readme_layout_shows_every_module() -> None:
    """The README's layout section names every package and module of the tree."""
    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## Layout") :].split("\n## ", 1)[0]
    missing = [_key(p) for p in _modules() if p.name not in layout or f"{p.parent.name}/" not in layout]
    assert not missing, f"README layout does not show: {missing}"
