"""Lint and types are part of the suite: ruff, mypy --strict, shellcheck."""

from __future__ import annotations

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
