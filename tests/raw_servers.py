"""Helpers of the transport and disk tests: raw servers on 127.0.0.1 run in a thread (so
that a CLI run in a subprocess can reach them), a small carrier file, and the CLI run as a user
runs it."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
TOKEN = "app-token-9c1f-Qz7w-kV3xSECRETSECRET"
ENV_CREDENTIALS = {"VTEX_APP_KEY": "vtexappkey-test", "VTEX_APP_TOKEN": TOKEN}
RECEIPT = json.dumps({"date": "2026-11-24T19:05:01+00:00", "orderId": "1-01", "receipt": "r1"})


def ok_answer(body: str = RECEIPT) -> bytes:
    return (
        f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n{body}"
    ).encode()


def read_head(conn: socket.socket) -> bytes:
    """The request's head and body (Content-Length) read off ``conn``; b'' at its end."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return b""
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            break
        rest += chunk
    return head


class RawServer:
    """A TCP (or TLS) server on 127.0.0.1 handing each connection to ``handle`` in a thread
    of its own; counts the connections open at once."""

    def __init__(self, handle: Callable[[socket.socket], None], tls: ssl.SSLContext | None = None):
        self.handle = handle
        self.tls = tls
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(256)
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.open = 0
        self.most_open = 0
        self.accepted = 0
        self.heads: list[bytes] = []
        self.closing = False
        self.thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def base_url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self.closing:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        with self.lock:
            self.accepted += 1
            self.open += 1
            self.most_open = max(self.most_open, self.open)
        try:
            if self.tls is not None:
                try:
                    conn = self.tls.wrap_socket(conn, server_side=True)
                except (ssl.SSLError, OSError):
                    return
            self.handle(conn)
        except OSError:
            pass
        finally:
            with self.lock:
                self.open -= 1
            with contextlib.suppress(OSError):
                conn.close()

    def __enter__(self) -> RawServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.closing = True
        self.listener.close()


def carrier_file(folder: Path, rows: int = 3, name: str = "loggi.csv") -> Path:
    path = folder / name
    lines = [f"{1300000 + n}-01;{n:06d};LGI{n:08d}BR" for n in range(rows)]
    path.write_text("Pedido;NF;Rastreio\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def cli_environment() -> dict[str, str]:
    """The environment of a ``batch_uploader`` subprocess: the test credentials, this tree's
    code, and no proxy nor VTEX setting of the machine."""
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.upper().endswith("_PROXY") and not key.startswith("VTEX_")
    }
    environ.update(ENV_CREDENTIALS)
    environ["PYTHONPATH"] = str(REPO)
    return environ


def run_cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """``python -m batch_uploader ARGS`` in a subprocess, with the test credentials."""
    environ = cli_environment()
    environ.update(env or {})
    return subprocess.run(
        [PYTHON, "-m", "batch_uploader", *args],
        capture_output=True,
        text=True,
        env=environ,
        cwd=cwd or REPO,
        timeout=timeout,
    )


def everything_written(folder: Path) -> str:
    """All the bytes of every file under ``folder``, as text (for looking for a secret)."""
    parts = []
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            parts.append(path.read_bytes().decode("latin-1"))
    return "\n".join(parts)
