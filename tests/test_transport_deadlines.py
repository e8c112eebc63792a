"""Every attempt ends within --timeout, whatever the server does, on the aiohttp
transport (real sockets, TLS included)."""

from __future__ import annotations

import asyncio
import socket
import ssl
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from batch_uploader.models import Delivery, Status
from batch_uploader.vtex.limiter import Pacer
from batch_uploader.vtex.retry import RetryPolicy
from batch_uploader.vtex.sender import Sender, build_client
from batch_uploader.vtex.target import Credentials

from .raw_servers import TOKEN, RawServer, ok_answer, read_head

ONCE = RetryPolicy(max_attempts=1)
TIMEOUT = 1.0
CREDENTIALS = Credentials("vtexappkey-test", TOKEN)


async def send_to(base_url: str, seconds: float = TIMEOUT) -> Delivery:
    from tests.test_deadlines import update

    async with build_client(base_url, CREDENTIALS, concurrency=1, timeout=seconds) as client:
        sender = Sender(
            client, pacer=Pacer(1000), concurrency=1, policy=ONCE,
            redactor=CREDENTIALS.redactor(), timeout=seconds,
        )  # fmt: skip
        return await sender.send(update("1-01"))


def silent(conn: socket.socket) -> None:
    time.sleep(TIMEOUT * 4)


def silent_after_request(conn: socket.socket) -> None:
    read_head(conn)
    time.sleep(TIMEOUT * 4)


def trickled_headers(conn: socket.socket) -> None:
    read_head(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\n")
    for _ in range(40):
        conn.sendall(b"X-A: b\r\n")
        time.sleep(0.1)


def trickled_body(conn: socket.socket) -> None:
    read_head(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
    for _ in range(40):
        conn.sendall(b" ")
        time.sleep(0.1)


def endless_chunked(conn: socket.socket) -> None:
    read_head(conn)
    conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
    for _ in range(40):
        conn.sendall(b"1\r\n \r\n")
        time.sleep(0.1)


Handler = Callable[[socket.socket], None]
HANDLERS: list[Handler] = [silent_after_request, trickled_headers, trickled_body, endless_chunked]


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
         "-out", str(cert), "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def timed(base_url: str) -> tuple[Delivery, float]:
    start = time.monotonic()
    delivery = asyncio.run(send_to(base_url))
    return delivery, time.monotonic() - start


@pytest.mark.parametrize("handle", [silent, *HANDLERS], ids=lambda h: h.__name__)
def test_plain_http_attempt_ends_within_the_timeout(handle: Handler) -> None:
    with RawServer(handle) as server:
        delivery, took = timed(server.base_url)
    assert delivery.status is Status.FAILED
    assert delivery.error_code == "timeout", delivery.error_message
    assert took < TIMEOUT + 0.5


# The sockets these leave open are the subject of test_a_timed_out_tls_attempt_closes_its_socket.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
@pytest.mark.parametrize("handle", [silent, *HANDLERS], ids=lambda h: h.__name__)
def test_tls_attempt_ends_within_the_timeout(
    handle: Handler, tls_files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = tls_files
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    with RawServer(handle, tls=context) as server:
        delivery, took = timed(f"https://localhost:{server.port}")
    assert delivery.status is Status.FAILED
    assert delivery.error_code == "timeout", delivery.error_message
    assert took < TIMEOUT + 0.5


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_a_self_signed_certificate_is_refused_and_nothing_is_sent(
    tls_files: tuple[Path, Path],
) -> None:
    cert, key = tls_files
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    def answer(conn: socket.socket) -> None:
        head = read_head(conn)
        if head:
            heads.append(head)
            conn.sendall(ok_answer())

    heads: list[bytes] = []
    with RawServer(answer, tls=context) as server:
        delivery, _ = timed(f"https://localhost:{server.port}")
        delivery_ip, _ = timed(f"https://127.0.0.1:{server.port}")
    assert heads == []
    for got in (delivery, delivery_ip):
        assert (got.status, got.error_code) == (Status.FAILED, "connection-error")
        assert "CERTIFICATE_VERIFY_FAILED" in (got.error_message or "")


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.filterwarnings("ignore::ResourceWarning")
def test_a_trusted_certificate_for_another_host_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key),
         "-out", str(cert), "-days", "2", "-subj", "/CN=other.example",
         "-addext", "subjectAltName=DNS:other.example"],
        check=True, capture_output=True,
    )  # fmt: skip
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    heads: list[bytes] = []

    def answer(conn: socket.socket) -> None:
        head = read_head(conn)
        if head:
            heads.append(head)
            conn.sendall(ok_answer())

    with RawServer(answer, tls=context) as server:
        delivery, _ = timed(f"https://localhost:{server.port}")
    assert heads == []
    assert delivery.error_code == "connection-error"
    assert "CERTIFICATE_VERIFY_FAILED" in (delivery.error_message or "")


@pytest.mark.parametrize("handle", [silent_after_request, trickled_body], ids=lambda h: h.__name__)
def test_a_timed_out_tls_attempt_closes_its_socket(
    handle: Handler, tls_files: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run's event loop ends with the socket of each TLS attempt that timed out still
    open (aiohttp leaves it to an SSL shutdown the loop never finishes): ResourceWarning
    "unclosed <socket.socket ...>" when it is collected."""
    import gc
    import sys

    cert, key = tls_files
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    gc.collect()
    unraised: list[str] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: unraised.append(f"{u.exc_value}"))
    with RawServer(handle, tls=context) as server:
        for _ in range(3):
            delivery, _ = timed(f"https://localhost:{server.port}")
            assert delivery.error_code == "timeout"
    gc.collect()
    assert [text for text in unraised if "unclosed" in text] == []
