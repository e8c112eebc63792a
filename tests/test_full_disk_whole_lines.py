"""A real full disk (a small tmpfs, as tests/test_full_disk.py makes one) under the
results and the rows to fix: what is left there must not be cut short mid-line."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

from batch_uploader.jobs.report import ExitStatus
from batch_uploader.sandbox.oms import Sandbox, SandboxConfig

from .conftest import SANDBOX_ENV
from .test_full_disk import carrier_file, needs_mount


@needs_mount
def test_the_files_left_on_a_full_disk_end_with_whole_lines(tmp_path: Path) -> None:
    rows = 3000
    source = carrier_file(tmp_path, rows=rows)
    mount, kept = tmp_path / "disk", tmp_path / "kept"
    mount.mkdir()
    # Every other order unknown: the rows to fix grow beside the results.
    unknown = frozenset(f"{1300000 + n}-01" for n in range(0, rows, 2))
    with Sandbox(SandboxConfig(unknown_orders=unknown)) as sandbox:
        command = (
            f"{shlex.quote(sys.executable)} -m batch_uploader upload {source} --base-url "
            f"{sandbox.base_url} --journal {tmp_path}/journal.sqlite3 --results "
            f"{mount}/results.csv --rate 5000 --concurrency 32 --stop-after-failures 0"
        )
        script = f"""
            mount -t tmpfs -o size=200k tmpfs {mount}
            {command} > {tmp_path}/out 2> {tmp_path}/err; echo $? > {tmp_path}/status
            cp -a {mount} {kept}
        """
        env = {**os.environ, **SANDBOX_ENV, "PYTHONPATH": str(Path(__file__).parents[1])}
        subprocess.run(["unshare", "-Urm", "sh", "-c", script], env=env, check=True, timeout=300)
    error = (tmp_path / "err").read_text()
    assert int((tmp_path / "status").read_text()) == ExitStatus.CANNOT_WRITE, error
    assert "Traceback" not in error
    cut = {
        path.name: path.read_bytes()[-80:]
        for path in kept.iterdir()
        if path.suffix == ".csv" and not path.read_bytes().endswith(b"\r\n")
    }
    assert cut == {}, f"left cut short mid-line: {cut}; stderr: {error}"
