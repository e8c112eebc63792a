"""Delivery events stream: a file of 300,000 lines (100,000 parcels) whose lines are ordered by
date, as carriers write them, so that each parcel's three lines stand 100,000 lines apart,
runs in bounded memory (peak RSS under 200 MiB; held whole, it takes more than twice that).

The peak is measured on a child process: a small wrapper starts ``batch-uploader events`` and
reports its peak RSS (``RUSAGE_CHILDREN``, in KiB on Linux), so that no other process the
tests started counts.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from batch_uploader.sandbox.oms import Sandbox

from .raw_servers import PYTHON, cli_environment

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss is in KiB on Linux")

PARCELS = 100_000
LINES = 3 * PARCELS
LIMIT_KIB = 200 * 1024

# Runs ARGV[3:], sends it SIGINT after ARGV[1] seconds (0: never), and prints its peak RSS
# and exit status; its output goes to the file ARGV[2].
_MEASURE = """
import resource, signal, subprocess, sys
with open(sys.argv[2], "wb") as output:
    child = subprocess.Popen(sys.argv[3:], stdout=output, stderr=output)
    delay = float(sys.argv[1])
    if delay:
        try:
            child.wait(delay)
        except subprocess.TimeoutExpired:
            child.send_signal(signal.SIGINT)
    child.wait()
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, child.returncode)
"""


def events_by_date(path: Path, parcels: int) -> Path:
    """An events file of ``parcels`` parcels of three lines, ordered by date: all the first
    events, then all the second ones, then the deliveries."""
    steps = (("20", "Objeto postado", "não"), ("21", "Em trânsito", "não"),
             ("22", "Entregue", "sim"))  # fmt: skip
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write("Pedido;NF;Data do evento;Cidade;UF;Ocorrência;Entregue\n")
        for day, step, delivered in steps:
            handle.writelines(
                f"{1300000 + n}-01;{n:06d};{day}/11/2026 08:00;Cajamar;SP;{step};{delivered}\n"
                for n in range(parcels)
            )
    return path


def peak_rss(tmp_path: Path, args: list[str], stop_after: float = 0) -> tuple[int, int, str]:
    """The peak RSS (KiB) and exit status of ``batch-uploader ARGS``, and what it printed."""
    output = tmp_path / "output.txt"
    measured = subprocess.run(
        [PYTHON, "-c", _MEASURE, str(stop_after), str(output),
         PYTHON, "-m", "batch_uploader", *args],
        capture_output=True, text=True, env=cli_environment(), cwd=tmp_path, timeout=120,
        check=True,
    )  # fmt: skip
    peak, status = measured.stdout.split()
    return int(peak), int(status), output.read_text(encoding="utf-8", errors="replace")


def results_rows(path: Path) -> list[str]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [line["row"] for line in csv.DictReader(handle)]


def test_a_dry_run_of_lines_ordered_by_date_stays_in_bounded_memory(tmp_path: Path) -> None:
    source = events_by_date(tmp_path / "eventos.csv", PARCELS)
    results = tmp_path / "r.csv"

    peak, status, output = peak_rss(
        tmp_path, ["events", str(source), "--dry-run", "--results", str(results)]
    )

    assert status == 0, output
    assert peak < LIMIT_KIB, f"peak RSS {peak // 1024} MiB"
    assert results_rows(results) == [str(n) for n in range(2, LINES + 2)]


def test_an_upload_of_lines_ordered_by_date_stays_in_bounded_memory(tmp_path: Path) -> None:
    """The same layout with half the parcels (150,000 lines: held whole, as a dry run shows,
    they take more than 200 MiB), uploaded to the sandbox and stopped by SIGINT after 8
    seconds: the sandbox could not answer 50,000 requests within a test, and the lines a stop
    leaves are decided unsent, one by one in the journal. By then parcels are being sent (each
    once its last line is read, two thirds into the file); the rest is read and decided in
    order, every line waiting as in a whole upload."""
    parcels = PARCELS // 2
    source = events_by_date(tmp_path / "eventos.csv", parcels)
    results = tmp_path / "r.csv"

    with Sandbox() as sandbox:
        peak, status, output = peak_rss(
            tmp_path,
            ["events", str(source), "--base-url", sandbox.base_url, "--rate", "500",
             "--journal", str(tmp_path / "journal.sqlite3"), "--results", str(results)],
            stop_after=8,
        )  # fmt: skip

    assert status == 130, output
    assert peak < LIMIT_KIB, f"peak RSS {peak // 1024} MiB"
    assert results_rows(results) == [str(n) for n in range(2, 3 * parcels + 2)]
