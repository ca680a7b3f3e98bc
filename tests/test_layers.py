"""The floors: each package imports only the floors below it, and no module imports itself round a circle.

From the top: `bot/` (everything), `handlers/` and `conversations/` (Telegram only: services and core),
`services/` (the use cases: storage and core), `storage/` (core), `core/` (nothing of ours). Every import
counts: at module level, inside functions, and under `TYPE_CHECKING`.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "handlers", "conversations", "services", "storage", "core")
MAY_IMPORT = {
    "core": {"core"},
    "storage": {"storage", "core"},
    "services": {"services", "storage", "core"},
    "handlers": {"handlers", "conversations", "services", "core"},
    "conversations": {"handlers", "conversations", "services", "core"},
    "bot": set(PACKAGES),
}

# Telegram and Matrix are known above `services/` only.
TRANSPORTS = ("telegram", "nio")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {
        _module_name(path): path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
    }


def _imported_names(path: Path) -> list[str]:
    """Every absolute module name `path` imports, third-party ones included."""
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.append(node.module)
    return names


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules of ours that `path` imports (for `from a import b`, `a.b` when it is a module)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names
            ]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    known = set(modules)
    return {name: _imports(name, path, known) for name, path in modules.items()}


def _floor(module: str) -> str:
    return module.split(".")[0]


def test_every_package_imports_only_the_floors_below_it() -> None:
    upward = sorted(
        f"{module} imports {target}"
        for module, targets in _graph().items()
        for target in targets
        if _floor(target) not in MAY_IMPORT[_floor(module)]
    )
    assert upward == []


def test_nothing_below_the_handlers_knows_telegram_or_matrix() -> None:
    knowing = sorted(
        f"{name} imports {imported}"
        for name, path in _modules().items()
        if _floor(name) in {"services", "storage", "core"}
        for imported in _imported_names(path)
        if imported.split(".")[0] in TRANSPORTS
    )
    assert knowing == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_imports_itself_round_a_circle() -> None:
    assert _cycles(_graph()) == []


def test_the_walk_sees_upward_imports_and_circles() -> None:
    """The checks above can fail: a planted upward import and a planted circle are found."""
    graph = {"storage.a": {"handlers.b"}, "handlers.b": {"storage.a"}, "core.c": set()}
    assert _cycles(graph) == [["handlers.b", "storage.a"]]
    assert "handlers" not in MAY_IMPORT["storage"]
    assert {"handlers.context", "bot.app"} <= set(_graph())
