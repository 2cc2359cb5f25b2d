"""Architecture contracts, checked on the source with `ast` (nothing is imported or run).

- Layering: which top-level Hotline package may import which (DESIGN.md and the common brief):
  `config` imports no other Hotline package; `acd` only `config` (and never SQLAlchemy or FastAPI);
  `crm_core` may import `acd`, `config`; `telephony` may import `acd`, `config`, `crm_core`;
  `reporting` may import `crm_core`, `acd`, `config`; `agent_ui` may import everything.
- No import cycle between the top-level packages.
- No wall-clock reads (`time.time()`, `datetime.now()`, ...) outside `acd/clock.py` in the
  packages that must run under a virtual clock.

Every import counts: module level, inside functions, under `if TYPE_CHECKING:`, relative imports
(resolved against the importing module), and `importlib.import_module("...")` / `__import__("...")`
with a literal name. Each checker takes the repository root, so tests can run it on a synthetic
tree.
"""

from __future__ import annotations

import ast
import itertools
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

PACKAGES = ("config", "acd", "crm_core", "telephony", "reporting", "agent_ui")

ALLOWED_HOTLINE_IMPORTS: Mapping[str, frozenset[str]] = {
    "config": frozenset(),
    "acd": frozenset({"config"}),
    "crm_core": frozenset({"acd", "config"}),
    "telephony": frozenset({"acd", "config", "crm_core"}),
    "reporting": frozenset({"crm_core", "acd", "config"}),
    "agent_ui": frozenset(PACKAGES),
}
FORBIDDEN_THIRD_PARTY: Mapping[str, frozenset[str]] = {
    "acd": frozenset({"sqlalchemy", "fastapi"}),
}

CLOCK_FREE_PACKAGES = ("acd", "telephony", "reporting", "crm_core")
CLOCK_MODULE = Path("acd/clock.py")
WALL_CLOCK_CALLS = frozenset(
    {
        "time.time",
        "time.time_ns",
        "datetime.datetime.now",
        "datetime.datetime.utcnow",
        "datetime.datetime.today",
        "datetime.date.today",
        # as written, when the name's import cannot be resolved
        "datetime.now",
        "datetime.utcnow",
        "datetime.today",
        "date.today",
    }
)
_DYNAMIC_IMPORTERS = frozenset({"importlib.import_module", "__import__"})


@dataclass(frozen=True, slots=True)
class ImportRef:
    """One imported module name (absolute), where it is imported."""

    path: Path  # relative to the repository root
    line: int
    module: str

    @property
    def top(self) -> str:
        """The top-level package or module imported."""
        return self.module.split(".")[0]

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: imports {self.module}"


@dataclass(frozen=True, slots=True)
class ClockCall:
    """One direct read of the wall clock."""

    path: Path
    line: int
    call: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: calls {self.call}()"


def python_files(root: Path, packages: tuple[str, ...] = PACKAGES) -> Iterator[Path]:
    """Every .py file under the given top-level packages, relative to `root`, sorted."""
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            yield path.relative_to(root)


def module_name(path: Path) -> str:
    """Dotted module name of a file path relative to the root (a package for __init__.py)."""
    parts = list(path.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _parse(root: Path, path: Path) -> ast.Module:
    return ast.parse((root / path).read_text(encoding="utf-8"), filename=str(path))


def _resolve_from(path: Path, node: ast.ImportFrom) -> str:
    """The absolute module a `from ... import` names (relative levels resolved)."""
    if node.level == 0:
        return node.module or ""
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package.pop()  # a module's package is its parent
    # Going above the top-level package fails at run time; resolving as far as possible still
    # shows what the line meant to import.
    base = package[: max(0, len(package) - (node.level - 1))]
    if node.module:
        base.append(node.module)
    return ".".join(base)


def _dotted(node: ast.expr) -> str | None:
    """`a.b.c` for a chain of attribute lookups on a name, else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _dynamic_import(node: ast.Call) -> str | None:
    name = _dotted(node.func)
    if name not in _DYNAMIC_IMPORTERS or not node.args:
        return None
    first = node.args[0]
    if isinstance(first, ast.Constant) and isinstance(first.value, str):
        return first.value
    return None


def imports_in(root: Path, path: Path) -> list[ImportRef]:
    """Every module the file imports, wherever the import statement sits."""
    refs: list[ImportRef] = []
    for node in ast.walk(_parse(root, path)):
        if isinstance(node, ast.Import):
            refs += [ImportRef(path, node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve_from(path, node)
            for alias in node.names:
                # `from . import x` and `from pkg import sub` may name submodules: keep the name.
                full = alias.name if not base else f"{base}.{alias.name}"
                refs.append(ImportRef(path, node.lineno, base if alias.name == "*" else full))
        elif isinstance(node, ast.Call) and (target := _dynamic_import(node)):
            refs.append(ImportRef(path, node.lineno, target))
    return sorted(refs, key=lambda r: (str(r.path), r.line, r.module))


def all_imports(root: Path) -> list[ImportRef]:
    """Imports of every file in the six top-level packages."""
    return [ref for path in python_files(root) for ref in imports_in(root, path)]


def layering_violations(root: Path) -> list[ImportRef]:
    """Imports that break the allowed direction between packages (or pull in banned libraries)."""
    bad: list[ImportRef] = []
    for ref in all_imports(root):
        owner = ref.path.parts[0]
        allowed = ALLOWED_HOTLINE_IMPORTS[owner] | {owner}
        banned = FORBIDDEN_THIRD_PARTY.get(owner, frozenset())
        if (ref.top in PACKAGES and ref.top not in allowed) or ref.top in banned:
            bad.append(ref)
    return bad


def package_graph(root: Path) -> dict[str, dict[str, ImportRef]]:
    """Top-level package -> package it imports -> the first import line that creates the edge."""
    graph: dict[str, dict[str, ImportRef]] = defaultdict(dict)
    for ref in all_imports(root):
        owner = ref.path.parts[0]
        if ref.top in PACKAGES and ref.top != owner:
            graph[owner].setdefault(ref.top, ref)
    return dict(graph)


def find_cycles(graph: Mapping[str, Mapping[str, object]]) -> list[list[str]]:
    """Elementary cycles found by depth-first search, each as a path [a, b, ..., a]."""
    found: dict[tuple[str, ...], list[str]] = {}

    def visit(node: str, stack: list[str]) -> None:
        for nxt in sorted(graph.get(node, {})):
            if nxt in stack:
                cycle = [*stack[stack.index(nxt) :], nxt]
                found.setdefault(_canonical(cycle[:-1]), cycle)
            else:
                visit(nxt, [*stack, nxt])

    for start in sorted(graph):
        visit(start, [start])
    return list(found.values())


def _canonical(cycle: list[str]) -> tuple[str, ...]:
    """The same cycle starting anywhere gives the same key: rotate to its smallest member."""
    i = cycle.index(min(cycle))
    return tuple(cycle[i:] + cycle[:i])


def cycle_reports(root: Path) -> list[str]:
    """One line per import cycle between packages: the path, then the import behind each edge."""
    graph = package_graph(root)
    reports = []
    for cycle in find_cycles(graph):
        edges = "; ".join(str(graph[a][b]) for a, b in itertools.pairwise(cycle))
        reports.append(f"{' -> '.join(cycle)} ({edges})")
    return reports


def _import_aliases(tree: ast.Module) -> dict[str, str]:
    """Local name -> qualified name for every import in the file (`t` -> `time`, ...)."""
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                local = alias.asname or alias.name.split(".")[0]
                aliases[local] = alias.name if alias.asname else local
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return aliases


def clock_calls_in(root: Path, path: Path) -> list[ClockCall]:
    """Direct wall-clock reads in one file, as written or through import aliases."""
    tree = _parse(root, path)
    aliases = _import_aliases(tree)
    calls = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or (written := _dotted(node.func)) is None:
            continue
        head, _, rest = written.partition(".")
        resolved = aliases.get(head, head) + (f".{rest}" if rest else "")
        if written in WALL_CLOCK_CALLS or resolved in WALL_CLOCK_CALLS:
            calls.append(ClockCall(path, node.lineno, written))
    return sorted(calls, key=lambda c: (str(c.path), c.line))


def wall_clock_violations(root: Path) -> list[ClockCall]:
    """Wall-clock reads in the clock-free packages, outside the clock module itself."""
    return [
        call
        for path in python_files(root, CLOCK_FREE_PACKAGES)
        if path != CLOCK_MODULE
        for call in clock_calls_in(root, path)
    ]
