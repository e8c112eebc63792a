"""Connection reuse and the concurrency bound on the aiohttp transport, and a proxy
named in the environment (HTTP_PROXY / HTTPS_PROXY / ALL_PROXY), which requests go through."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path

import pytest

from batch_uploader.models import Status
from batch_uploader.vtex.limiter import Pacer
from batch_uploader.vtex.retry import RetryPolicy
from batch_uploader.vtex.sender import Sender, build_client
from batch_uploader.vtex.target import Credentials

from .raw_servers import TOKEN, RawServer, carrier_file, ok_answer, read_head, run_cli

CREDENTIALS = Credentials("vtexappkey-test", TOKEN)


def slow_ok(conn: socket.socket) -> None:
    while read_head(conn):
        time.sleep(0.05)
        conn.sendall(ok_answer())


def test_no_more_connections_than_the_concurrency_and_they_are_reused() -> None:
    from tests.test_deadlines import update

    async def go(base_url: str) -> list[Status]:
        async with build_client(base_url, CREDENTIALS, concurrency=3, timeout=10) as client:
            sender = Sender(
                client, pacer=Pacer(10000), concurrency=3, policy=RetryPolicy(max_attempts=1),
                redactor=CREDENTIALS.redactor(), timeout=10,
            )  # fmt: skip
            deliveries = await asyncio.gather(*(sender.send(update(f"{n}-01")) for n in range(60)))
            return [delivery.status for delivery in deliveries]

    with RawServer(slow_ok) as server:
        statuses = asyncio.run(go(server.base_url))
    assert set(statuses) == {Status.SENT}
    assert server.most_open <= 3
    assert server.accepted <= 3


def test_the_cli_honours_the_concurrency_bound(tmp_path: Path) -> None:
    with RawServer(slow_ok) as server:
        outcome = run_cli(
            "upload", str(carrier_file(tmp_path, rows=40)), "--base-url", server.base_url,
            "--journal", str(tmp_path / "j.sqlite3"), "--results", str(tmp_path / "r.csv"),
            "--concurrency", "4", "--rate", "1000",
        )  # fmt: skip
    assert outcome.returncode == 0, outcome.stderr
    assert server.most_open <= 4
    assert server.accepted <= 4


class FakeProxy(RawServer):
    """An HTTP proxy that answers every request itself (as a proxy that forwards would) and
    records the request lines it was given."""

    def __init__(self) -> None:
        self.lines: list[bytes] = []
        super().__init__(self._proxy)

    def _proxy(self, conn: socket.socket) -> None:
        while head := read_head(conn):
            self.lines.append(head.split(b"\r\n")[0])
            if head.startswith(b"CONNECT"):
                conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
                return
            conn.sendall(ok_answer())


@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY"])
def test_a_proxy_set_in_the_environment_is_used_or_refused_not_bypassed(
    tmp_path: Path, variable: str
) -> None:
    direct: list[bytes] = []

    def target(conn: socket.socket) -> None:
        while head := read_head(conn):
            direct.append(head.split(b"\r\n")[0])
            conn.sendall(ok_answer())

    proxy = FakeProxy()
    with proxy, RawServer(target) as server:
        # "localhost" rather than 127.0.0.1: no NO_PROXY rule of the machine applies to it.
        outcome = run_cli(
            "upload", str(carrier_file(tmp_path, rows=2)),
            "--base-url", f"http://localhost:{server.port}",
            "--journal", str(tmp_path / "j.sqlite3"), "--results", str(tmp_path / "r.csv"),
            env={variable: proxy.base_url, "NO_PROXY": "", "no_proxy": ""},
        )  # fmt: skip
    # Every request goes through the proxy, none straight to the target.
    assert direct == [], f"bypassed the proxy {variable}: {direct}; proxy saw {proxy.lines}"
    assert proxy.lines, outcome.stderr
