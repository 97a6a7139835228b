"""The architecture is kept true by this test (ARCHITECTURE.md, "The layers are the folders").

Every import counts, at module level or inside a function (a late import is still a dependency);
only imports under ``if TYPE_CHECKING:`` are left out, since they never run.

- ``slamon/core`` is pure: it imports only the standard library, ``holidays`` and ``slamon.core``;
- SQLModel and Alembic are imported only by ``slamon/adapters/store``; SQLAlchemy only by the
  store, by the SQL source that reads the platform's database, and by the demo that builds a demo
  platform;
- the driving adapters (``slamon/cli``, ``slamon/web``) reach the store only through the service
  layer; the driven adapters (``slamon/adapters``) never import the service layer or a driving one;
- no function is over 80 lines;
- no module is over 400 lines;
- the modules import each other without cycles.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "slamon"
MAX_LINES = 400
MAX_FUNCTION_LINES = 80
CORE_THIRD_PARTY = {"holidays"}
SQLALCHEMY_ALLOWED = ("slamon.adapters.store", "slamon.adapters.sources.sql", "slamon.demo")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(path: Path, here: str | None = None) -> set[str]:
    """Every module ``path`` imports at run time (absolute names; relative ones resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = here or module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            found.add(base)
            # "from slamon.x import y" may import the submodule slamon.x.y
            found.update(f"{base}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}
IMPORTS = {name: imports_of(path) for name, path in MODULES.items()}


def _top(name: str) -> str:
    return name.split(".")[0]


def _internal(name: str) -> str | None:
    """The slamon module an import name refers to (dropping imported attributes)."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def violations_core_purity(imports: dict[str, set[str]]) -> list[str]:
    stdlib = sys.stdlib_module_names
    bad = []
    for mod, names in imports.items():
        if not mod.startswith("slamon.core"):
            continue
        for n in sorted(names):
            top = _top(n)
            if top in stdlib or top in CORE_THIRD_PARTY or top == "__future__":
                continue
            if n.startswith("slamon.core") or n == "slamon":
                continue
            bad.append(f"{mod} imports {n}")
    return bad


def violations_database(imports: dict[str, set[str]]) -> list[str]:
    bad = []
    for mod, names in imports.items():
        for n in sorted(names):
            top = _top(n)
            if top in ("sqlmodel", "alembic") and not mod.startswith("slamon.adapters.store"):
                bad.append(f"{mod} imports {n}")
            if top == "sqlalchemy" and not mod.startswith(SQLALCHEMY_ALLOWED):
                bad.append(f"{mod} imports {n}")
    return bad


def violations_cli(imports: dict[str, set[str]]) -> list[str]:
    """The CLI and the web dashboard reach the store only through the service layer."""
    return [
        f"{mod} imports {n}"
        for mod, names in imports.items()
        if mod.startswith(("slamon.cli", "slamon.web"))
        for n in sorted(names)
        if n.startswith("slamon.adapters.store")
    ]


DRIVING = ("slamon.cli", "slamon.web")


def violations_driven(imports: dict[str, set[str]]) -> list[str]:
    """A driven adapter (store, sources, mail, render, ...) is called; it never calls upward."""
    return [
        f"{mod} imports {n}"
        for mod, names in imports.items()
        if mod.startswith("slamon.adapters")
        for n in sorted(names)
        if n.startswith(("slamon.service", *DRIVING))
    ]


def long_functions(path: Path, limit: int = MAX_FUNCTION_LINES) -> list[str]:
    """Functions (methods and nested ones included) longer than ``limit`` lines."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        f"{path.name}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1} 行)"
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and node.end_lineno - node.lineno + 1 > limit
    ]


def import_cycles(imports: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    graph = {
        mod: {t for n in names if (t := _internal(n)) and t != mod and t in imports}
        for mod, names in imports.items()
    }
    # a package's __init__ importing its own submodules is not a cycle of concern
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    counter = 0

    def strong(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return groups


def test_core_is_pure():
    assert violations_core_purity(IMPORTS) == []


def test_only_the_store_talks_to_the_database_library():
    assert violations_database(IMPORTS) == []


def test_cli_goes_through_the_service_layer():
    assert violations_cli(IMPORTS) == []


def test_no_module_is_over_400_lines():
    long = {
        name: n
        for name, path in MODULES.items()
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_driven_adapters_never_call_upward():
    assert violations_driven(IMPORTS) == []


def test_no_function_is_over_80_lines():
    roots = [PACKAGE, PACKAGE.parent / "tests", PACKAGE.parent / "benchmarks"]
    long = [
        f for root in roots for path in sorted(root.rglob("*.py")) for f in long_functions(path)
    ]
    assert long == []


def test_no_import_cycles():
    assert import_cycles(IMPORTS) == []


# -- the checks themselves fail when they should ------------------------------------------------


@pytest.mark.parametrize(
    ("module", "imported", "check"),
    [
        ("slamon.core.sla", "sqlalchemy", violations_core_purity),
        ("slamon.core.deadline", "slamon.adapters.store.db", violations_core_purity),
        ("slamon.service.status", "sqlalchemy.orm", violations_database),
        ("slamon.service.poll", "sqlmodel", violations_database),
        ("slamon.cli.store_cmds", "slamon.adapters.store.db", violations_cli),
        ("slamon.web.pages", "slamon.adapters.store.runs", violations_cli),
        ("slamon.adapters.render.digest", "slamon.service.reports", violations_driven),
        ("slamon.adapters.mail.mailer", "slamon.web.app", violations_driven),
    ],
)
def test_a_forbidden_import_is_caught(module, imported, check):
    tampered = {k: set(v) for k, v in IMPORTS.items()}
    tampered[module].add(imported)
    assert check(tampered) == [f"{module} imports {imported}"]


def test_a_cycle_is_caught():
    tampered = {k: set(v) for k, v in IMPORTS.items()}
    tampered["slamon.core.vocabulary"].add("slamon.core.sla")  # sla imports vocabulary
    cycles = import_cycles(tampered)
    assert any({"slamon.core.sla", "slamon.core.vocabulary"} <= set(c) for c in cycles)


def test_function_level_imports_count(tmp_path):
    source = tmp_path / "probe.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    import sqlmodel\n"
        "def f():\n    import sqlalchemy\n",
        encoding="utf-8",
    )
    found = imports_of(source, here="slamon.probe")
    assert "sqlalchemy" in found and "sqlmodel" not in found


def test_a_long_function_is_caught(tmp_path):
    source = tmp_path / "probe.py"
    body = "".join(f"    x{i} = {i}\n" for i in range(MAX_FUNCTION_LINES))
    source.write_text(f"def short():\n    return 1\n\n\ndef long():\n{body}", encoding="utf-8")
    assert long_functions(source) == [f"probe.py:5 long ({MAX_FUNCTION_LINES + 1} 行)"]
