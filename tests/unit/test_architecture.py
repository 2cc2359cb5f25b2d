"""Architecture contracts on the real tree; synthetic trees prove that each check can fail."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]


def _load_checker() -> ModuleType:
    # tests/ is not a package on sys.path, so load the helper from its file.
    name = "hotline_architecture_checks"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO / "tests" / "architecture.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


arch = _load_checker()


def _listing(items: list[object]) -> str:
    return "\n  " + "\n  ".join(str(i) for i in items)


# --- the real tree ------------------------------------------------------------------------------


def test_real_tree_has_all_six_packages() -> None:
    found = {path.parts[0] for path in arch.python_files(REPO)}
    assert found == set(arch.PACKAGES)


def test_real_tree_follows_the_layering() -> None:
    bad = arch.layering_violations(REPO)
    assert not bad, "imports against the layering (see tests/architecture.py):" + _listing(bad)


def test_real_tree_has_no_import_cycle_between_packages() -> None:
    cycles = arch.cycle_reports(REPO)
    assert not cycles, "import cycles between top-level packages:" + _listing(cycles)


def test_real_tree_reads_the_wall_clock_only_in_acd_clock() -> None:
    bad = arch.wall_clock_violations(REPO)
    assert not bad, "read time from an injected acd.clock.Clock instead:" + _listing(bad)


def test_real_clock_module_is_found_reading_the_wall_clock() -> None:
    # The exemption is needed: the clock module itself does read time.time().
    calls = arch.clock_calls_in(REPO, arch.CLOCK_MODULE)
    assert any(c.call == "time.time" for c in calls)


# --- synthetic trees ----------------------------------------------------------------------------


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """A package tree with the six packages (empty) plus the given files."""
    for package in arch.PACKAGES:
        (root / package).mkdir(parents=True, exist_ok=True)
        (root / package / "__init__.py").write_text('"""Package."""\n')
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_clean_synthetic_tree_passes_every_check(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            "acd/router.py": "from config import center\nfrom . import events\n",
            "crm_core/store.py": "import sqlalchemy\nfrom acd.events import Event\n",
            "reporting/live.py": "from crm_core import store\nfrom acd.clock import Clock\n",
            "agent_ui/app.py": "import fastapi\nimport reporting.live\nimport telephony\n",
        },
    )
    assert arch.layering_violations(root) == []
    assert arch.cycle_reports(root) == []
    assert arch.wall_clock_violations(root) == []


@pytest.mark.parametrize(
    ("rel", "source", "line", "module"),
    [
        ("acd/a.py", '"""Doc."""\nimport telephony.sip\n', 2, "telephony.sip"),
        ("acd/a.py", "from agent_ui.cli import app\n", 1, "agent_ui.cli.app"),
        ("acd/a.py", "from crm_core import models\n", 1, "crm_core.models"),
        ("acd/a.py", "import reporting\n", 1, "reporting"),
        ("acd/a.py", "from sqlalchemy.orm import Session\n", 1, "sqlalchemy.orm.Session"),
        ("acd/a.py", "import fastapi\n", 1, "fastapi"),
        ("acd/a.py", "def f():\n    import crm_core.db\n", 2, "crm_core.db"),
        (
            "acd/a.py",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from telephony import x\n",
            3,
            "telephony.x",
        ),
        (
            "acd/a.py",
            "import importlib\nimportlib.import_module('reporting.x')\n",
            2,
            "reporting.x",
        ),
        ("acd/a.py", "from .. import telephony\n", 1, "telephony"),
        ("config/c.py", "from acd import events\n", 1, "acd.events"),
        ("crm_core/m.py", "import agent_ui.api\n", 1, "agent_ui.api"),
        ("crm_core/m.py", "from telephony import sim\n", 1, "telephony.sim"),
        ("reporting/r.py", "from agent_ui import hub\n", 1, "agent_ui.hub"),
        ("reporting/r.py", "import telephony\n", 1, "telephony"),
        ("telephony/t.py", "from reporting import live\n", 1, "reporting.live"),
    ],
)
def test_layering_violation_is_found_with_file_line_and_import(
    tmp_path: Path, rel: str, source: str, line: int, module: str
) -> None:
    root = write_tree(tmp_path, {rel: source})
    bad = arch.layering_violations(root)
    assert [str(v) for v in bad] == [f"{Path(rel)}:{line}: imports {module}"]


@pytest.mark.parametrize(
    ("rel", "source", "expected"),
    [
        ("acd/sub/m.py", "from ..clock import Clock\n", "acd.clock.Clock"),
        ("acd/sub/m.py", "from . import x\n", "acd.sub.x"),
        ("acd/sub/__init__.py", "from .m import y\n", "acd.sub.m.y"),
        ("acd/sub/__init__.py", "from .. import events\n", "acd.events"),
        ("acd/m.py", "from .events import *\n", "acd.events"),
    ],
)
def test_relative_imports_resolve_against_the_importing_module(
    tmp_path: Path, rel: str, source: str, expected: str
) -> None:
    root = write_tree(tmp_path, {rel: source})
    assert [r.module for r in arch.imports_in(root, Path(rel))] == [expected]


def test_cycle_between_packages_is_reported_with_its_path_and_imports(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path,
        {
            "acd/a.py": "import crm_core.b\n",
            "crm_core/b.py": "import reporting.c\n",
            "reporting/c.py": "\n\nfrom acd import a\n",
        },
    )
    assert arch.cycle_reports(root) == [
        "acd -> crm_core -> reporting -> acd ("
        f"{Path('acd/a.py')}:1: imports crm_core.b; "
        f"{Path('crm_core/b.py')}:1: imports reporting.c; "
        f"{Path('reporting/c.py')}:3: imports acd.a)"
    ]


def test_find_cycles_reports_each_cycle_once_and_ignores_acyclic_edges() -> None:
    graph = {"a": {"b": 1}, "b": {"a": 1, "c": 1}, "c": {"d": 1}, "d": {"c": 1}, "e": {"a": 1}}
    assert sorted(arch.find_cycles(graph)) == [["a", "b", "a"], ["c", "d", "c"]]
    assert arch.find_cycles({"a": {"b": 1}, "b": {"c": 1}}) == []


@pytest.mark.parametrize(
    ("source", "line", "call"),
    [
        ("import time\nt = time.time()\n", 2, "time.time"),
        ("import time as t\nx = t.time_ns()\n", 2, "t.time_ns"),
        ("from time import time\nx = time()\n", 2, "time"),
        ("from datetime import datetime\nx = datetime.now()\n", 2, "datetime.now"),
        ("import datetime\nx = datetime.datetime.utcnow()\n", 2, "datetime.datetime.utcnow"),
        ("from datetime import date\nx = date.today()\n", 2, "date.today"),
        ("from datetime import datetime as dt\n\n\nx = dt.now(tz=None)\n", 4, "dt.now"),
        ("def f(d):\n    return datetime.now()\n", 2, "datetime.now"),
    ],
)
@pytest.mark.parametrize("package", ["acd", "telephony", "reporting", "crm_core"])
def test_wall_clock_read_is_found_with_file_and_line(
    tmp_path: Path, package: str, source: str, line: int, call: str
) -> None:
    rel = f"{package}/m.py"
    root = write_tree(tmp_path, {rel: source})
    assert [str(c) for c in arch.wall_clock_violations(root)] == [
        f"{Path(rel)}:{line}: calls {call}()"
    ]


def test_wall_clock_is_allowed_in_the_clock_module_and_in_agent_ui_and_config(
    tmp_path: Path,
) -> None:
    clock_read = "import time\nx = time.time()\n"
    root = write_tree(
        tmp_path,
        {"acd/clock.py": clock_read, "agent_ui/cli.py": clock_read, "config/c.py": clock_read},
    )
    assert arch.wall_clock_violations(root) == []


def test_clock_reads_that_are_not_the_wall_clock_are_not_flagged(tmp_path: Path) -> None:
    source = (
        "import asyncio\nimport time\n"
        "x = asyncio.get_running_loop().time()\n"
        "y = time.monotonic()\n"
        "z = clock.now()\n"
    )
    root = write_tree(tmp_path, {"acd/m.py": source})
    assert arch.wall_clock_violations(root) == []


def test_unparsable_file_fails_loudly_naming_the_file(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"acd/broken.py": "def f(:\n"})
    with pytest.raises(SyntaxError, match=r"broken\.py"):
        arch.layering_violations(root)
