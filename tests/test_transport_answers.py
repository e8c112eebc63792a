"""Answers aiohttp reads differently from httpx's own pool. A reason phrase that is not
UTF-8 (a Latin-1 "Serviço Indisponível" from a proxy or load balancer) must fail its row, not
the run; a malformed answer must not be named as if VTEX had answered 400."""

from __future__ import annotations

import asyncio
import csv
import socket
from pathlib import Path

from batch_uploader.models import Status
from batch_uploader.scripting import check_access
from batch_uploader.vtex.target import Credentials

from .raw_servers import TOKEN, RawServer, carrier_file, read_head, run_cli
from .test_transport_deadlines import send_to

LATIN1_503 = "HTTP/1.1 503 Serviço Indisponível\r\nContent-Length: 0\r\n\r\n".encode("latin-1")


def latin1_reason(conn: socket.socket) -> None:
    while read_head(conn):
        conn.sendall(LATIN1_503)


def test_a_latin1_reason_phrase_fails_the_row_not_the_sender() -> None:
    with RawServer(latin1_reason) as server:
        delivery = asyncio.run(send_to(server.base_url))  # raised UnicodeEncodeError
    assert delivery.status is Status.FAILED
    assert delivery.http_status == 503


def test_a_latin1_reason_phrase_does_not_end_the_upload_as_an_internal_error(
    tmp_path: Path,
) -> None:
    results = tmp_path / "r.csv"
    with RawServer(latin1_reason) as server:
        outcome = run_cli(
            "upload", str(carrier_file(tmp_path, rows=3)), "--base-url", server.base_url,
            "--journal", str(tmp_path / "j.sqlite3"), "--results", str(results),
            "--max-attempts", "1",
        )  # fmt: skip
    assert "internal error" not in outcome.stderr, outcome.stderr
    assert outcome.returncode != 70
    with results.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.DictReader(handle))
    assert len(lines) == 3  # every row counted


def test_check_says_what_a_latin1_reason_phrase_means() -> None:
    with RawServer(latin1_reason) as server:
        verdict = check_access(server.base_url, Credentials("vtexappkey-test", TOKEN), timeout=5)
    assert verdict.exit_status != 70


def bad_header(conn: socket.socket) -> None:
    while read_head(conn):
        conn.sendall(b"HTTP/1.1 200 OK\r\nX-A: b\x00c\r\nContent-Length: 0\r\n\r\n")


def test_a_malformed_answer_is_named_a_protocol_error_not_a_400() -> None:
    with RawServer(bad_header) as server:
        delivery = asyncio.run(send_to(server.base_url))
    assert delivery.error_code == "connection-error"
    message = delivery.error_message or ""
    # The 400 is aiohttp's own code for a parse failure: nothing answered 400.
    assert "400" not in message, message
    assert message.startswith("connection failed: RemoteProtocolError"), message
