"""Run a module as `python -m` would and print its peak RSS (VmHWM, in kB) on stderr at exit.

ru_maxrss of a child survives execve, so a child forked from a big benchmark process would
report the parent's size; VmHWM starts afresh with the new program.

    python bench/peak_rss.py agent parse --config ...   # last stderr line: PEAK_RSS_KB <n>
"""

from __future__ import annotations

import atexit
import runpy
import sys


def _report() -> None:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                print(f"PEAK_RSS_KB {line.split()[1]}", file=sys.stderr, flush=True)


def peak_from(stderr: str) -> float:
    """MB from the output of a run under this wrapper."""
    for line in reversed(stderr.splitlines()):
        if line.startswith("PEAK_RSS_KB "):
            return int(line.split()[1]) / 1024
    raise ValueError("no PEAK_RSS_KB line")


if __name__ == "__main__":
    atexit.register(_report)
    module = sys.argv[1]
    sys.argv = [module, *sys.argv[2:]]
    runpy.run_module(module, run_name="__main__", alter_sys=True)
