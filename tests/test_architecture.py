"""The package's shape, read from the AST: imports run one way, no private name crosses a
module, and a command module is imported by the CLI only (docs/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "nivomigrate"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_nodes(tree: ast.AST):
    """Every node, at any depth, except those under `if TYPE_CHECKING:` (never executed)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            continue
        yield node
        yield from _runtime_nodes(node)


def _imports(path: Path) -> list[tuple[str, tuple[str, ...]]]:
    """Every import that runs, at any depth (function-local ones included)."""
    module = _module_name(path)
    found = []
    for node in _runtime_nodes(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(alias.name, ()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.split(".")[: -node.level or None]
                if path.name == "__init__.py":
                    package = module.split(".")[: len(module.split(".")) - node.level + 1]
                base = ".".join([*package, base] if base else package)
            found.append((base, tuple(alias.name for alias in node.names)))
    return found


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for base, names in _imports(path):
            targets = {f"{base}.{n}" for n in names if f"{base}.{n}" in modules}
            if base in modules and (not names or len(targets) < len(names)):
                targets.add(base)
            graph[name].update(targets - {name})
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_no_import_cycle_counting_function_local_imports():
    graph = _graph()
    # A package's __init__ importing its own modules (the checks registry) is not a cycle.
    for name in graph:
        graph[name] = {t for t in graph[name] if not name.startswith(t + ".")}
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_no_private_name_is_imported_from_another_module():
    offenders = [f"{_module_name(path)} imports {base}.{name}"
                 for path in PACKAGE.rglob("*.py")
                 for base, names in _imports(path) if base.startswith("nivomigrate")
                 for name in names if name.startswith("_") and not name.startswith("__")]
    assert offenders == []


def test_layers_import_only_downwards():
    """cli → steps → engine → checks → the rest → catalog; a lower floor never imports a
    higher one (the catalog floor, the one reader of the schema's catalog, imports none)."""
    floors = ["nivomigrate.__main__", "nivomigrate.cli", "nivomigrate.steps", "nivomigrate.engine",
              "nivomigrate.checks", "", "nivomigrate.catalog"]

    def floor(name: str) -> int:
        return next((i for i, prefix in enumerate(floors)
                     if prefix and (name == prefix or name.startswith(prefix + "."))),
                    floors.index(""))

    upward = [f"{name} imports {target}" for name, targets in _graph().items()
              for target in targets if floor(target) < floor(name)]
    assert upward == []
