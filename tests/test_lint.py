"""Lint and types are part of the suite: ruff, mypy --strict, shellcheck, vulture (dead
code), and the size of modules and functions."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys

from tests.conftest import ROOT

SCRIPTS = ["install.sh", "quickstart.sh", "scripts/bootstrap.sh", "scripts/test.sh", ".ci/run"]


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)


def test_ruff() -> None:
    result = _run(sys.executable, "-m", "ruff", "check", "agent", "tests", "bench")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict() -> None:
    result = _run(sys.executable, "-m", "mypy")
    assert result.returncode == 0, result.stdout + result.stderr


def test_shellcheck() -> None:
    exe = shutil.which("shellcheck")
    assert exe, "shellcheck is not installed (scripts/bootstrap.sh --dev installs it)"
    result = _run(exe, *SCRIPTS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_dead_code() -> None:
    """vulture over the project, with the names only libraries use listed apart."""
    result = _run(sys.executable, "-m", "vulture", "agent", "tests", "bench",
                  "scripts/dead_code_allowed.py", "--min-confidence", "60")  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


MAX_LINES = 400  # a module
MAX_FUNCTION = 60  # a function, with its docstring


def test_modules_and_functions_stay_small() -> None:
    too_long = []
    for path in sorted((ROOT / "agent").rglob("*.py")):
        text = path.read_text()
        name = path.relative_to(ROOT)
        if len(text.splitlines()) > MAX_LINES:
            too_long.append(f"{name}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                if size > MAX_FUNCTION:
                    too_long.append(f"{name}:{node.lineno}: {node.name} is {size} lines")
    assert too_long == []


def test_the_readme_layout_names_every_module() -> None:
    """The README's layout section matches the tree: each of agent/'s modules and rooms."""
    readme = (ROOT / "README.md").read_text()
    layout = readme[readme.index("## Layout") :]
    names = [p.name for p in (ROOT / "agent").iterdir() if not p.name.startswith("_")]
    rooms = [f"{n}/" for n in names if (ROOT / "agent" / n).is_dir() and n != "bundled"]
    modules = [n for n in names if n.endswith(".py")]
    missing = [
        n for n in rooms + modules if n not in layout and n.removesuffix(".py") not in layout
    ]
    assert missing == []
