"""The package's import structure: no cycles, and dependencies pointing one way (docs/design.md,
"Layout"): mechanisms below the model, the model below outputs and applications.

Imports are read from the source (``ast``), at module level and inside functions alike; imports
under ``if TYPE_CHECKING:`` are annotations only and do not count.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "loyaltysim"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _resolve(name: str) -> str | None:
    """The package module ``name`` refers to (the longest prefix that is a module), if any."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(module: str) -> set[str]:
    """Package modules that ``module`` imports at run time."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                for alt in child.orelse:
                    visit(alt)
                continue
            if isinstance(child, ast.Import):
                targets = [alias.name for alias in child.names]
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - child.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                targets = [f"{base}.{alias.name}" for alias in child.names]
                if not all(target in MODULES for target in targets):
                    targets.append(base)  # names taken from the module itself
            else:
                visit(child)
                continue
            for target in targets:
                resolved = _resolve(target)
                if resolved is not None and resolved != module and resolved.startswith("loyaltysim"):
                    found.add(resolved)

    visit(tree)
    return found


GRAPH = {module: imports_of(module) for module in MODULES}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return found


def test_the_package_has_no_import_cycles():
    assert _cycles(GRAPH) == []


def test_the_cycle_finder_finds_a_planted_cycle():
    planted = {k: set(v) for k, v in GRAPH.items()}
    planted["loyaltysim.mechanisms.choice"].add("loyaltysim.model")
    assert any("loyaltysim.model" in c and "loyaltysim.mechanisms.choice" in c for c in _cycles(planted))


#: Layers bottom-up: a module may import only modules of its own layer or below.
LAYERS = [
    (
        "foundations",
        [
            "loyaltysim.codes",
            "loyaltysim.parameters",
            "loyaltysim.rng",
            "loyaltysim.tallies",
            "loyaltysim.mechanisms",
        ],
    ),
    (
        "model",
        [
            "loyaltysim.schema",
            "loyaltysim.startup_keys",
            "loyaltysim.shipped",
            "loyaltysim.limits",
            "loyaltysim.scenario_errors",
            "loyaltysim.scenario_access",
            "loyaltysim.scenario",
            "loyaltysim.model_args",
            "loyaltysim.state",
            "loyaltysim.population",
            "loyaltysim.network",
            "loyaltysim.kernels",
            "loyaltysim.staff",
            "loyaltysim.agents",
            "loyaltysim.measure",
            "loyaltysim.metrics",
            "loyaltysim.engines",
            "loyaltysim.events",
            "loyaltysim.model",
        ],
    ),
    (
        "outputs",
        [
            "loyaltysim.simulate",
            "loyaltysim.transactions",
            "loyaltysim.btyd",
            "loyaltysim.runs",
            "loyaltysim.counterfactual",
            "loyaltysim.plots",
            "loyaltysim.report",
            "loyaltysim.paramdoc",
            "loyaltysim.argtypes",
            "loyaltysim.extras",
        ],
    ),
    (
        "applications",
        [
            "loyaltysim.validation",
            "loyaltysim.validation.plausibility",
            "loyaltysim.sweep",
            "loyaltysim.calibration",
            "loyaltysim.ui",
            "loyaltysim.replicate",
            "loyaltysim.cli",
            "loyaltysim.__main__",
            "loyaltysim",
        ],
    ),
]


def layer_of(module: str) -> int:
    best, level = -1, None
    for k, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            nested = module.startswith(prefix + ".") and prefix != "loyaltysim"  # the package:
            if (module == prefix or nested) and len(prefix) > best:  # only its __init__
                best, level = len(prefix), k
    if level is None:
        raise AssertionError(f"{module} is in no layer of tests/test_architecture.py: add it")
    return level


@pytest.mark.parametrize("module", sorted(MODULES))
def test_dependencies_point_down(module):
    upward = sorted(dep for dep in GRAPH[module] if layer_of(dep) > layer_of(module))
    assert upward == [], f"{module} ({LAYERS[layer_of(module)][0]}) imports higher layers"


def test_mechanisms_depend_only_on_foundations():
    for module, deps in GRAPH.items():
        if module.startswith("loyaltysim.mechanisms"):
            assert all(layer_of(dep) == 0 for dep in deps), (module, deps)


def test_kernel_twins_share_one_body():
    """Every serial/parallel pair of kernels is compiled from one function (``kernels.twins``), so
    an edit to one twin cannot miss the other; the parallel one really is compiled parallel, and
    each has its own name (numba's disk cache tells functions apart by qualified name only)."""
    import importlib

    pairs = 0
    for name in ("loyaltysim.kernels.choice", "loyaltysim.kernels.experience", "loyaltysim.kernels.network"):
        module = importlib.import_module(name)
        for attr in dir(module):
            if not attr.endswith("_parallel") or not hasattr(module, attr[: -len("parallel")] + "serial"):
                continue
            parallel = getattr(module, attr)
            serial = getattr(module, attr[: -len("parallel")] + "serial")
            assert parallel.py_func.__code__ is serial.py_func.__code__, f"{name}.{attr}"
            assert parallel.targetoptions.get("parallel") is True, f"{name}.{attr}"
            assert not serial.targetoptions.get("parallel"), f"{name}.{attr}"
            assert parallel.py_func.__qualname__ != serial.py_func.__qualname__
            pairs += 1
    assert pairs >= 7  # choose, convenience, live week, survey and the network's four
