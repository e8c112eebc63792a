"""Running a case in a fresh process, and a sandbox in another one."""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

ROOT = Path(__file__).resolve().parent.parent
_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class Sample:
    """One run of a case: the operation's wall and CPU seconds, the process's peak RSS (from
    inside, ``VmHWM``, and from outside, ``ru_maxrss`` of ``wait4``), the whole process's wall
    time (interpreter start and imports included) and the case's own figures."""

    wall: float
    cpu: float
    peak_rss_kib: int
    maxrss_kib: int
    process_wall: float
    extra: dict[str, Any] = field(default_factory=dict)


class CaseFailed(RuntimeError):
    pass


def run_case(
    case: str, params: dict[str, Any], workdir: Path, *, profile: Path | None = None
) -> Sample:
    """Runs ``case`` in a new Python process and waits for it with ``wait4``, which gives the
    resource usage of that one child (``RUSAGE_CHILDREN`` would be the maximum over every
    child so far)."""
    out = workdir / f"result-{time.monotonic_ns()}.json"
    command = [sys.executable, "-m", "benchmarks.worker", case, json.dumps(params), str(out)]
    if profile is not None:
        command += ["--profile", str(profile)]
    started = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    process_wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise CaseFailed(f"{case} {params} exited with status {child.returncode}")
    result = json.loads(out.read_text(encoding="utf-8"))
    out.unlink()
    return Sample(
        wall=result["wall"],
        cpu=result["cpu"],
        peak_rss_kib=result["peak_rss_kib"],
        maxrss_kib=usage.ru_maxrss,
        process_wall=process_wall,
        extra=result["extra"],
    )


@dataclass(frozen=True, slots=True)
class Spread:
    """The median of several figures, with their minimum and maximum."""

    median: float
    low: float
    high: float
    runs: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        if not values:
            raise ValueError("no values")
        return cls(statistics.median(values), min(values), max(values), len(values))


def process_cpu_seconds(pid: int) -> float:
    """The CPU time (user and system, all threads) a running process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()
    # After the command name: state is field 3, utime field 14 and stime field 15.
    return (int(fields[11]) + int(fields[12])) / _TICKS


def listen_overflows() -> int:
    """The kernel's count of connections dropped because a listening socket's accept queue
    (its backlog) was full (``TcpExtListenOverflows``; system-wide, 0 where unreadable)."""
    try:
        lines = Path("/proc/net/netstat").read_text(encoding="ascii").splitlines()
    except OSError:
        return 0
    for names, values in zip(lines[::2], lines[1::2], strict=False):
        if names.startswith("TcpExt:"):
            found = dict(zip(names.split(), values.split(), strict=False))
            return int(found.get("ListenOverflows", 0))
    return 0


class SandboxProcess:
    """``python -m batch_uploader sandbox --port 0 ...`` in a process of its own, so its CPU is
    not the client's. Its URL is read from the first line it prints."""

    def __init__(self, *options: str) -> None:
        self.options = options
        self.base_url = ""
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> Self:
        command = [sys.executable, "-u", "-m", "batch_uploader", "sandbox", "--port", "0"]
        process = subprocess.Popen(
            [*command, *self.options],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._process = process
        assert process.stdout is not None
        first = process.stdout.readline()
        # "Sandbox OMS on http://127.0.0.1:PORT (Ctrl-C to stop)"
        words = [word for word in first.split() if word.startswith("http://127.0.0.1:")]
        if not words:
            self.__exit__(None, None, None)
            raise CaseFailed(f"the sandbox did not start: {first!r}")
        self.base_url = words[0]
        return self

    @property
    def cpu_seconds(self) -> float:
        assert self._process is not None
        return process_cpu_seconds(self._process.pid)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
