"""The wheel, as a user without the checkout gets it: it carries the intent model, the wake
classifier and the example config; `voice-agent init` writes that config and `parse`
understands with the shipped model, from a folder that is not the checkout."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import ROOT


def _run(args: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=300, **kw)  # type: ignore[call-overload, no-any-return]


def test_a_pip_install_of_the_wheel_works_without_the_checkout(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    built = _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps",
                  "--no-build-isolation", "-w", str(wheels), str(ROOT)])  # fmt: skip
    assert built.returncode == 0, built.stderr
    (wheel,) = wheels.glob("voice_agent-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for shipped in (
        "agent/bundled/intent-minilm/model.int8.onnx",
        "agent/bundled/intent-minilm/tokenizer.json",
        "agent/bundled/intent-minilm/labels.json",
        "agent/bundled/wake-hey-computer/wake.int8.onnx",
        "agent/bundled/wake-hey-computer/wake.json",
        "agent/bundled/agent.example.yaml",
    ):
        assert shipped in names
    assert not any(n.endswith("model.fp32.onnx") for n in names)  # the training copy stays
    site = tmp_path / "site"
    installed = _run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                      "--target", str(site), str(wheel)])  # fmt: skip
    assert installed.returncode == 0, installed.stderr

    home = tmp_path / "home"  # a user's: nothing of the checkout's on the path or beside it
    env = {**os.environ, "PYTHONPATH": str(site), "XDG_CONFIG_HOME": str(home / ".config")}
    env.pop("VOICE_AGENT_CONFIG", None)
    where = _run(
        [sys.executable, "-c", "import agent; print(agent.__file__)"], env=env, cwd=home.parent
    )
    assert where.stdout.startswith(str(site)), where
    init = _run([sys.executable, "-m", "agent", "init"], env=env, cwd=tmp_path)
    config = home / ".config" / "voice-agent" / "config.yaml"
    assert init.returncode == 0 and init.stdout.startswith(f"wrote {config}"), init
    assert f"model: {site}/agent/bundled/intent-minilm" in config.read_text()
    again = _run([sys.executable, "-m", "agent", "init"], env=env, cwd=tmp_path)
    assert again.returncode == 2
    assert (
        again.stderr == f"voice-agent: {config} exists; edit it, or move it away to start again\n"
    )
    parsed = _run([sys.executable, "-m", "agent", "parse"], env=env, cwd=tmp_path,
                  input="could you get the kitchen lit up for me\n")  # fmt: skip
    assert parsed.returncode == 0, parsed.stderr
    line = json.loads(parsed.stdout)
    assert (line["intent"], line["tier"]) == ("turn_on", "model"), line
    assert line["targets"] == ["light.kitchen_ceiling", "light.kitchen_counter"]
