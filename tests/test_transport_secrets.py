"""The app token is never printed or written when aiohttp raises or a server echoes the
request's headers back, in a reason phrase, a body, a malformed answer; --verbose too."""

from __future__ import annotations

import socket
import struct
from pathlib import Path

import pytest

from .raw_servers import (
    TOKEN,
    RawServer,
    carrier_file,
    everything_written,
    read_head,
    run_cli,
)


def echo_line(head: bytes) -> bytes:
    return next(
        line for line in head.split(b"\r\n") if line.lower().startswith(b"x-vtex-api-apptoken")
    )


def token_in_reason(conn: socket.socket) -> None:
    while head := read_head(conn):
        conn.sendall(b"HTTP/1.1 400 echo " + echo_line(head) + b"\r\nContent-Length: 0\r\n\r\n")


def token_in_body(conn: socket.socket) -> None:
    while head := read_head(conn):
        conn.sendall(b"HTTP/1.1 500 Oops\r\nContent-Length: %d\r\n\r\n%s" % (len(head), head))


def token_in_bad_header(conn: socket.socket) -> None:
    while head := read_head(conn):
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nX-Echo: " + echo_line(head) + b"\x00\r\nContent-Length: 0\r\n\r\n"
        )


def token_as_bad_header_name(conn: socket.socket) -> None:
    while head := read_head(conn):
        name, _, value = echo_line(head).partition(b":")
        conn.sendall(
            b"HTTP/1.1 200 OK\r\n" + name + b" :" + value + b"\r\nContent-Length: 0\r\n\r\n"
        )


def token_in_status_line(conn: socket.socket) -> None:
    while head := read_head(conn):
        conn.sendall(b"HTTP/1.1 2x0 " + echo_line(head) + b"\r\n\r\n")


def token_as_whole_answer(conn: socket.socket) -> None:
    while head := read_head(conn):
        conn.sendall(head + b"\r\n\r\n")


def reset(conn: socket.socket) -> None:
    read_head(conn)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def tls_to_plain(conn: socket.socket) -> None:
    conn.recv(65536)
    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")


SERVERS = {
    "reason": (token_in_reason, "http"),
    "body": (token_in_body, "http"),
    "bad-header": (token_in_bad_header, "http"),
    "bad-header-name": (token_as_bad_header_name, "http"),
    "status-line": (token_in_status_line, "http"),
    "request-as-answer": (token_as_whole_answer, "http"),
    "reset": (reset, "http"),
    "tls-to-plain": (tls_to_plain, "https"),
}


@pytest.mark.parametrize("log_format", ["human", "json"])
@pytest.mark.parametrize("name", list(SERVERS))
def test_the_token_is_never_printed_nor_written(tmp_path: Path, name: str, log_format: str) -> None:
    handle, scheme = SERVERS[name]
    source = carrier_file(tmp_path)
    with RawServer(handle) as server:
        base_url = f"{scheme}://{'127.0.0.1' if scheme == 'http' else 'localhost'}:{server.port}"
        outcome = run_cli(
            "--verbose", "--log-format", log_format, "upload", str(source), "--base-url", base_url,
            "--journal", str(tmp_path / "journal.sqlite3"), "--results", str(tmp_path / "r.csv"),
            "--max-attempts", "2", "--timeout", "5",
        )  # fmt: skip
    printed = outcome.stdout + outcome.stderr
    assert server.accepted, "the server was never reached"
    assert "Traceback" not in printed.replace("the fault in full:\nTraceback", "")
    for text in (printed, everything_written(tmp_path)):
        assert TOKEN.lower() not in text.lower()
        assert "Qz7w-kV3xSECRET".lower() not in text.lower()  # a piece of it


def test_a_refused_connection_does_not_print_the_token(tmp_path: Path) -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    outcome = run_cli(
        "--verbose", "upload", str(carrier_file(tmp_path)), "--base-url", f"http://127.0.0.1:{port}",
        "--journal", str(tmp_path / "journal.sqlite3"), "--results", str(tmp_path / "r.csv"),
        "--max-attempts", "1",
    )  # fmt: skip
    assert TOKEN not in outcome.stdout + outcome.stderr + everything_written(tmp_path)
    assert "Traceback" not in outcome.stderr
