"""The import graph of python/fastinit: how many levels it has and which imports run back up.

A module's level is 1 if it imports nothing of fastinit at module level, else 1 + the highest
level among what it imports at module level (a module sits above everything it imports).
Imports inside functions (lazy ones) are not layered: one that reaches a module of the same or
a higher level than its importer runs back up the layers, and is listed. Importing a package
counts as importing its __init__.

    python tools/import_graph.py            # levels, the modules on each, the imports back up
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "python" / "fastinit"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path, modules: set[str]) -> tuple[set[str], set[str]]:
    """(module-level imports, imports inside functions) of fastinit modules by `path`."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    top: set[str] = set()
    lazy: set[str] = set()
    tree = ast.parse(path.read_text())

    def targets(node: ast.AST) -> set[str]:
        found: set[str] = set()
        if isinstance(node, ast.Import):
            found = {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            # "from pkg import sub" imports the submodule; "from mod import name" the module
            found = {f"{mod}.{a.name}" if f"{mod}.{a.name}" in modules else mod for a in node.names}
        return {m for m in found if m in modules}

    def visit(node: ast.AST, inside_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                if isinstance(child, ast.ImportFrom) and child.module == "__future__":
                    continue
                (lazy if inside_function else top).update(targets(child))
            elif isinstance(child, ast.If) and _is_type_checking(child):
                continue  # annotations only
            else:
                visit(child, inside_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)))

    visit(tree, False)
    top.discard(name)
    lazy.discard(name)
    return top, lazy - top


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def graph() -> tuple[dict[str, int], list[tuple[str, str]]]:
    paths = {module_name(p): p for p in PACKAGE.rglob("*.py")}
    modules = set(paths) | {"fastinit._core"}
    edges = {m: imports(p, modules) for m, p in paths.items()}
    edges["fastinit._core"] = (set(), set())
    level: dict[str, int] = {}

    def depth(m: str, seen: tuple[str, ...] = ()) -> int:
        if m in level:
            return level[m]
        if m in seen:
            raise SystemExit(f"module-level import cycle: {' -> '.join((*seen, m))}")
        below = [depth(t, (*seen, m)) for t in edges[m][0]]
        level[m] = 1 + max(below, default=0)
        return level[m]

    for m in edges:
        depth(m)
    back_up = sorted((m, t) for m, (_, lazy) in edges.items() for t in lazy if level[t] >= level[m])
    return level, back_up


def main() -> int:
    level, back_up = graph()
    for n in range(1, max(level.values()) + 1):
        print(f"level {n}: {', '.join(sorted(m for m, k in level.items() if k == n))}")
    print(f"\n{max(level.values())} levels; {len(back_up)} imports back up:")
    for m, t in back_up:
        print(f"  {m} (level {level[m]}) -> {t} (level {level[t]})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
