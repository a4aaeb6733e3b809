"""The floors of the house, read from the imports (``ast``, nothing is imported).

Ground floor (errors, model, geo, i18n, _version, progress) < readers (``zoning.io``) <
core steps < writers (``zoning.export``) < the command line (``zoning.cli``).  Readers
import only the ground floor and other readers; writers import no core step (type hints
of core objects only under ``if TYPE_CHECKING:``); nothing below the command line imports
the package ``zoning`` itself or ``zoning.cli``; no module imports itself in a circle.
And the size of a room: no module over 600 lines, no command module over 200 (the few
still over are listed in ``OVERSIZE`` with the reason, and the list can only shrink).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "zoning"

#: The ground floor: the vocabulary and the plumbing every floor may use.
GROUND = (
    "zoning.errors",
    "zoning.model",
    "zoning.geo",
    "zoning.i18n",
    "zoning._version",
    "zoning.progress",
    "zoning.quantities",  # units of measure of grids (issue 11, item 2), where it exists
    "zoning.grid",  # the one Grid type (cell areas, windows)
    "zoning.sampling",  # point sampling and cell-centre labels on a Grid
    "zoning.cellindex",  # the cell index of polygons (point-in-polygon, cell labels)
    "zoning.sites",  # the site of each geometry (type, presence, x, y), read once
)
#: Modules that still break a rule, each with the reason and who removes the entry.
PENDING: dict[str, str] = {}


_MODULE_TEXT = re.compile(r"zoning\.cli(?:\.[a-z_]+)*")


def _name(path: Path, root: Path = ROOT) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    t = node.test
    return (isinstance(t, ast.Name) and t.id == "TYPE_CHECKING") or (
        isinstance(t, ast.Attribute) and t.attr == "TYPE_CHECKING"
    )


def _imports(path: Path, root: Path = ROOT) -> list[tuple[int, str]]:
    """(line, module) of every ``zoning`` import in the file, at any depth (functions
    too), except those under ``if TYPE_CHECKING:``; ``from zoning import x`` gives
    ``zoning`` (it runs the package), ``importlib.import_module("zoning.cli.x")`` and a
    text naming a CLI module (``"zoning.cli.x"``) that text."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    module = _name(path, root)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: list[tuple[int, str]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            out.extend((node.lineno, a.name) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            out.append((node.lineno, name))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "import_module"
            and node.args
        ):
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                out.append((node.lineno, arg.value))
            elif isinstance(arg, ast.JoinedStr) and arg.values:
                head = arg.values[0]
                if isinstance(head, ast.Constant) and isinstance(head.value, str):
                    out.append((node.lineno, head.value.rstrip(".")))
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and _MODULE_TEXT.fullmatch(node.value)
        ):  # a module named in text, e.g. a table of steps imported later by name
            out.append((node.lineno, node.value))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return [(line, m) for line, m in out if m == "zoning" or m.startswith("zoning.")]


MODULES: dict[str, Path] = {_name(p): p for p in sorted(ROOT.rglob("*.py"))}
IMPORTS: dict[str, list[tuple[int, str]]] = {m: _imports(p) for m, p in MODULES.items()}


def _under(module: str, *prefixes: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _violations(modules, allowed) -> list[str]:
    bad = []
    for m in modules:
        for line, target in IMPORTS[m]:
            if not allowed(target):
                bad.append(f"{MODULES[m].relative_to(ROOT.parent)}:{line} imports {target}")
    return bad


def test_the_parser_finds_imports_and_skips_type_hints(tmp_path):
    pkg = tmp_path / "zoning" / "export"
    pkg.mkdir(parents=True)
    f = pkg / "x.py"
    f.write_text(
        "from typing import TYPE_CHECKING\n"
        "from zoning.i18n import VERDICTS\n"
        "from . import _atomic\n"
        "if TYPE_CHECKING:\n"
        "    from zoning.screen import ScreeningResult\n"
        "def f():\n"
        "    from zoning import __version__\n"
        "    importlib.import_module(f'zoning.cli.{name}')\n"
        "STEPS = ['zoning.cli.conflicts', 'see zoning.cli.x']\n",
        encoding="utf-8",
    )
    found = [m for _, m in _imports(f, tmp_path / "zoning")]
    assert found == ["zoning.i18n", "zoning.export", "zoning", "zoning.cli", "zoning.cli.conflicts"]


def test_the_ground_floor_imports_only_the_ground_floor():
    ground = [m for m in MODULES if _under(m, *GROUND)]
    assert {"zoning.model", "zoning.model.rules", "zoning.i18n", "zoning._version"} <= set(ground)
    assert _violations(ground, lambda t: _under(t, *GROUND)) == []


def test_readers_import_only_the_ground_floor_and_readers():
    readers = [m for m in MODULES if _under(m, "zoning.io")]
    assert "zoning.io.rulefile" in readers and "zoning.io.facilities" in readers
    assert _violations(readers, lambda t: _under(t, *GROUND, "zoning.io")) == []


def test_writers_import_no_core_step():
    writers = [m for m in MODULES if _under(m, "zoning.export")]
    assert "zoning.export.report" in writers
    allowed = (*GROUND, "zoning.io", "zoning.export")
    assert _violations(writers, lambda t: _under(t, *allowed)) == []


def test_nothing_below_the_command_line_imports_the_package_or_the_cli():
    below = [m for m in MODULES if m != "zoning" and not _under(m, "zoning.cli")]
    bad = _violations(
        [m for m in below if m not in PENDING],
        lambda t: t != "zoning" and not _under(t, "zoning.cli"),
    )
    assert bad == []


@pytest.mark.parametrize("module", sorted(PENDING))
def test_pending_exceptions_are_still_needed(module):
    """An entry of PENDING whose module keeps the rule now must go (so it cannot hide a
    new break)."""
    bad = _violations([module], lambda t: t != "zoning" and not _under(t, "zoning.cli"))
    assert bad, f"{module} keeps the rule now: remove it from PENDING ({PENDING[module]})"


def _cycles(imports=None, modules=None) -> list[list[str]]:
    """Circles among modules (Tarjan's strongly connected components of size > 1; a
    package importing itself by name, as ``zoning.cli`` does to list its modules, is no
    circle); an import of ``a.b.c`` is an edge to the nearest module
    named so (a name imported from a module is not a module)."""
    imports = IMPORTS if imports is None else imports
    modules = MODULES if modules is None else modules
    graph: dict[str, set[str]] = {}
    for m, lines in imports.items():
        edges = set()
        for _, target in lines:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != "zoning":
                edges.add(target)
        graph[m] = edges
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out


def test_no_circle():
    assert _cycles() == []


def test_a_circle_is_found():
    imports = {
        "zoning.a": [(1, "zoning.b.f")],  # a name imported from zoning.b
        "zoning.b": [(1, "zoning.c")],
        "zoning.c": [(3, "zoning.a")],
        "zoning.d": [(1, "zoning.d"), (2, "zoning")],
    }
    assert _cycles(imports, dict.fromkeys(imports)) == [["zoning.a", "zoning.b", "zoning.c"]]


#: The size of a room: no module under zoning/ over MODULE_LINES lines, no command module
#: of zoning/cli over COMMAND_LINES (issue 11).  ``data/generate.py`` (the demo data's
#: generator) lives outside the package and is not counted.
MODULE_LINES = 600
COMMAND_LINES = 200
#: Modules still over their limit, each with the reason and who shrinks it; an entry whose
#: module fits now must go (test_size_exceptions_are_still_needed), so the list only
#: shrinks.
OVERSIZE: dict[str, str] = {
    "zoning.export.report_page": "the reports engineer's (page texts apart from sections)",
}


def _lines(module: str) -> int:
    return len(MODULES[module].read_text(encoding="utf-8").splitlines())


def _is_command(module: str) -> bool:
    """A module of zoning/cli that defines a command (``command = ...`` or ``def
    command``), not the group, the shared options or a private options module."""
    if not _under(module, "zoning.cli") or module.rpartition(".")[2].startswith("_"):
        return False
    if module in ("zoning.cli", "zoning.cli.options"):
        return False
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    return any(
        (isinstance(n, ast.FunctionDef) and n.name == "command")
        or (isinstance(n, ast.Assign) and any(getattr(t, "id", "") == "command" for t in n.targets))
        for n in tree.body
    )


def _oversize() -> dict[str, tuple[int, int]]:
    """module → (lines, limit) of every module over its limit."""
    out = {}
    for m in MODULES:
        limit = COMMAND_LINES if _is_command(m) else MODULE_LINES
        if _lines(m) > limit:
            out[m] = (_lines(m), limit)
    return out


def test_no_module_over_its_size_limit():
    assert {"zoning.cli.screen", "zoning.cli.conflicts"} <= {m for m in MODULES if _is_command(m)}
    assert not _is_command("zoning.cli._afforest_options") and not _is_command("zoning.cli")
    over = {m: v for m, v in _oversize().items() if m not in OVERSIZE}
    assert over == {}, "split these by job (check -> compute -> assemble): " + ", ".join(
        f"{m} has {n} lines (limit {lim})" for m, (n, lim) in sorted(over.items())
    )


@pytest.mark.parametrize("module", sorted(OVERSIZE))
def test_size_exceptions_are_still_needed(module):
    assert module in MODULES, f"{module} is gone: remove it from OVERSIZE"
    assert module in _oversize(), f"{module} fits now: remove it from OVERSIZE"
