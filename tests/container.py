"""A minimal Debian bookworm booted with systemd inside systemd-nspawn, for the installer's
tests: build the root with mmdebstrap, boot it, run commands in it with nsenter, power it off.
The container shares the host's network, so it reaches a broker on the host's loopback."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
HOST_CA = Path("/etc/ssl/certs/ca-certificates.crt")


def need(*tools: str) -> None:
    for tool in tools:
        if shutil.which(tool) is None:
            raise RuntimeError(
                f"{tool} is not installed (scripts/bootstrap.sh --dev installs mmdebstrap and "
                "systemd-container)"
            )


def build_root(root: Path, arch: str = "amd64") -> Path:
    need("mmdebstrap", "systemd-nspawn", "nsenter")
    subprocess.run(
        [
            "mmdebstrap",
            "--quiet",
            f"--arch={arch}",
            "--variant=minbase",
            "--include=systemd,systemd-sysv,dbus,ca-certificates",
            "bookworm",
            str(root),
        ],
        check=True,
        timeout=900,
    )
    # pip inside must trust what the host trusts (a proxy's CA, where there is one)
    shutil.copy(HOST_CA, root / "root" / "host-ca.crt")
    return root


class Container:
    def __init__(
        self,
        root: Path,
        binds: dict[Path, str],
        extra: list[str] | None = None,
        boot_timeout: float = 180,
    ) -> None:
        args = [
            "timeout",
            "-k",
            "10",
            "1800",
            "systemd-nspawn",
            "-q",
            "--register=no",
            "--keep-unit",
            "-D",
            str(root),
            *[f"--bind-ro={host}:{inside}" for host, inside in binds.items()],
            *(extra or []),
            "-b",
        ]
        self.log = root.parent / f"{root.name}-boot.log"
        self.proc = subprocess.Popen(
            args, stdout=self.log.open("wb"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        self.init = self._find_init()
        self.run("systemctl", "is-system-running", "--wait", check=False, timeout=boot_timeout)

    def _find_init(self, timeout: float = 120) -> int:
        """The container's systemd: a child of systemd-nspawn whose own PID there is 1."""
        deadline = time.monotonic() + timeout
        nspawn = None
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"systemd-nspawn exited:\n{self.log.read_text()}")
            for status in Path("/proc").glob("[0-9]*/status"):
                try:
                    text = status.read_text()
                except OSError:
                    continue
                fields = dict(line.split(":\t", 1) for line in text.splitlines() if ":\t" in line)
                parent = int(fields.get("PPid", "0"))
                if nspawn is None and fields.get("Name") == "systemd-nspawn":
                    nspawn = int(status.parent.name) if parent == self.proc.pid else None
                nspid = fields.get("NSpid", "").split()
                if nspawn is not None and parent == nspawn and nspid[-1:] == ["1"]:
                    return int(status.parent.name)
            time.sleep(0.2)
        raise RuntimeError(f"the container's systemd did not start:\n{self.log.read_text()}")

    def run(
        self,
        *cmd: str,
        env: dict[str, str] | None = None,
        check: bool = True,
        timeout: float = 120,
    ) -> subprocess.CompletedProcess[str]:
        """Run `cmd` inside, with a clean environment (plus `env`)."""
        clean = [f"PATH={PATH}", "LANG=C.UTF-8", *[f"{k}={v}" for k, v in (env or {}).items()]]
        done = subprocess.run(
            ["nsenter", "-t", str(self.init), "-a", "--", "/usr/bin/env", "-i", *clean, *cmd],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and done.returncode != 0:
            raise AssertionError(
                f"{' '.join(cmd)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
            )
        return done

    def unit(self, name: str, *props: str) -> dict[str, str]:
        out = self.run("systemctl", "show", name, *[f"--property={p}" for p in props]).stdout
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    def wait_unit(self, name: str, timeout: float = 60, **want: str) -> dict[str, str]:
        deadline = time.monotonic() + timeout
        while True:
            got = self.unit(name, *want)
            if all(got.get(k) == v for k, v in want.items()) or time.monotonic() > deadline:
                return got
            time.sleep(0.5)

    def poweroff(self) -> None:
        if self.proc.poll() is None:
            self.run("systemctl", "poweroff", check=False, timeout=30)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
