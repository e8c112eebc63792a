"""Who may ask the page what: the session's token, the Host header, requests from other
sites, bodies too large, and the headers of every answer (batch_uploader.web.guard)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from batch_uploader.web.app import create_app, page_hosts
from batch_uploader.web.guard import CSP, SESSION_COOKIE, session_cookie
from tests.web_helpers import (
    BASE,
    SAME_ORIGIN,
    TOKEN,
    TestClient,
    app_for,
    client,
    element,
    settings,
)

EXPECTED_HEADERS = {
    "cache-control": "no-store",
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[TestClient]:
    with client(app_for(tmp_path, max_body=1024 * 1024)) as opened:
        yield opened


@pytest.fixture
def stranger(tmp_path: Path) -> Iterator[TestClient]:
    """A browser that never opened the printed address."""
    with TestClient(app_for(tmp_path), base_url=BASE) as opened:
        yield opened


def test_the_printed_address_gives_a_session_cookie_and_leads_to_the_page(
    stranger: TestClient,
) -> None:
    answer = stranger.get(f"/?token={TOKEN}", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}_8765={TOKEN};")
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    page = stranger.get("/")
    assert page.status_code == 200
    assert element(page.text, "check") == "Check the files"


@pytest.mark.parametrize("path", ["/", "/jobs/0123456789abcdef", "/jobs/0123456789abcdef/events"])
def test_without_the_cookie_every_request_is_refused_with_a_page(
    stranger: TestClient, path: str
) -> None:
    answer = stranger.get(path)
    assert answer.status_code == 403
    assert "<h1>Open the page from its address</h1>" in answer.text
    assert "Open that address again." in answer.text


def test_without_the_cookie_only_the_pages_own_files_are_served(stranger: TestClient) -> None:
    # The refusal page loads its stylesheet and scripts: they hold nothing of a person's.
    script = stranger.get("/static/htmx.min.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert stranger.get("/favicon.ico").status_code == 204  # no icon, and no error said
    assert stranger.get("/static/../pages.py").status_code in (403, 404)
    assert stranger.post("/static/htmx.min.js", headers=SAME_ORIGIN).status_code == 403


@pytest.mark.parametrize(
    "others", ['prefs={"theme":"dark"}', "a=b c", "theme=dark mode", 'x="bad', "a@b=1"]
)
def test_another_sites_odd_cookie_beside_the_session_does_not_lock_the_page(
    stranger: TestClient, others: str
) -> None:
    # Cookies of 127.0.0.1 go to every port: another local program's may not be RFC-strict.
    header = f"{others}; {session_cookie(['127.0.0.1:8765'])}={TOKEN}"
    assert stranger.get("/", headers={"cookie": header}).status_code == 200


def test_two_pages_on_two_ports_keep_their_own_sessions(tmp_path: Path) -> None:
    assert session_cookie(["127.0.0.1:8765", "localhost:8765"]) == f"{SESSION_COOKIE}_8765"
    # A browser sends the cookies of 127.0.0.1 to every port: both pages get both sessions.
    first = create_app(settings(tmp_path / "a"), "token-a", page_hosts("127.0.0.1", 8765))
    second = create_app(settings(tmp_path / "b"), "token-b", page_hosts("127.0.0.1", 8766))
    with (
        TestClient(first, base_url="http://127.0.0.1:8765") as page_a,
        TestClient(second, base_url="http://127.0.0.1:8766") as page_b,
    ):
        cookie_a = page_a.get("/?token=token-a", follow_redirects=False).headers["set-cookie"]
        cookie_b = page_b.get("/?token=token-b", follow_redirects=False).headers["set-cookie"]
        both = "; ".join(cookie.split(";")[0] for cookie in (cookie_a, cookie_b))
        only_b = cookie_b.split(";")[0]
        page_a.cookies.clear()
        page_b.cookies.clear()
        answers = [
            page_a.get("/", headers={"cookie": both}).status_code,
            page_b.get("/", headers={"cookie": both}).status_code,
            page_a.get("/", headers={"cookie": only_b}).status_code,
        ]
    assert cookie_a.split("=")[0] != cookie_b.split("=")[0]
    assert answers == [200, 200, 403]


def test_a_wrong_token_gives_no_session(stranger: TestClient) -> None:
    answer = stranger.get("/?token=guessed", follow_redirects=False)
    assert answer.status_code == 403
    assert "set-cookie" not in answer.headers
    assert stranger.get("/").status_code == 403


@pytest.mark.parametrize("host", ["evil.example:8765", "127.0.0.1:9999", "localhost", ""])
def test_another_host_header_is_refused(browser: TestClient, host: str) -> None:
    answer = browser.get("/", headers={"host": host})
    assert answer.status_code == 400
    assert "<h1>Wrong address</h1>" in answer.text


def test_localhost_is_the_page_too(browser: TestClient) -> None:
    assert browser.get("/", headers={"host": "localhost:8765"}).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site"},
        {"origin": "http://evil.example"},
        {"origin": "http://127.0.0.1:9999"},
        {},
    ],
)
def test_a_post_from_elsewhere_is_refused(browser: TestClient, headers: dict[str, str]) -> None:
    answer = browser.post("/jobs", data={"kind": "tracking"}, headers=headers)
    assert answer.status_code == 403
    assert "<h1>Open the page from its address</h1>" in answer.text


@pytest.mark.parametrize(
    "headers",
    [
        SAME_ORIGIN,
        {"sec-fetch-site": "none"},
        {"origin": BASE},
        {"origin": "http://localhost:8765"},
    ],
)
def test_a_post_from_the_page_itself_goes_through(
    browser: TestClient, headers: dict[str, str]
) -> None:
    # No file chosen: the form is shown again, saying so.
    answer = browser.post("/jobs", data={"kind": "tracking"}, headers=headers)
    assert answer.status_code == 400
    assert element(answer.text, "error") == "Choose at least one file."


def test_a_body_over_the_limit_is_refused_from_its_length(browser: TestClient) -> None:
    files = [("files", ("big.csv", b"x" * (1024 * 1024 + 1), "text/csv"))]
    answer = browser.post("/jobs", files=files, headers=SAME_ORIGIN)
    assert answer.status_code == 413
    assert "<h1>The files are too large</h1>" in answer.text


def test_a_body_over_the_limit_is_refused_while_it_streams(browser: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        boundary = b"--b\r\n"
        yield boundary + b'Content-Disposition: form-data; name="files"; filename="a.csv"\r\n\r\n'
        for _ in range(40):  # 2.5 MiB in all, with no Content-Length
            yield b"y" * 65536

    answer = browser.post(
        "/jobs",
        content=chunks(),
        headers={**SAME_ORIGIN, "content-type": "multipart/form-data; boundary=b"},
    )
    assert answer.status_code == 413
    assert "<h1>The files are too large</h1>" in answer.text


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("GET", "/", {}),
        ("GET", "/static/app.css", {}),
        ("GET", "/jobs/0123456789abcdef", {}),
        ("GET", "/", {"host": "evil.example"}),
        ("POST", "/jobs", {"sec-fetch-site": "cross-site"}),
    ],
)
def test_every_answer_has_the_headers(
    browser: TestClient, method: str, path: str, headers: dict[str, str]
) -> None:
    answer = browser.request(method, path, headers=headers)
    for name, value in EXPECTED_HEADERS.items():
        assert answer.headers[name] == value


def test_the_token_exchange_has_the_headers_too(stranger: TestClient) -> None:
    answer = stranger.get(f"/?token={TOKEN}", follow_redirects=False)
    for name, value in EXPECTED_HEADERS.items():
        assert answer.headers[name] == value


def test_pages_load_nothing_from_outside_and_hold_no_inline_script_or_style(
    browser: TestClient,
) -> None:
    page = browser.get("/").text
    assert "<style" not in page
    assert " style=" not in page
    assert "<script>" not in page
    # An address may be shown (the account a job sends to), never loaded or linked to.
    assert not re.search(r'(src|href|action)="[a-z]*:?//', page)
    assert '<script src="/static/htmx.min.js" defer></script>' in page


@pytest.mark.parametrize("length", [b"\xb2", b"9" * 5000])
def test_a_length_the_page_cannot_read_is_refused_as_too_large(
    browser: TestClient, length: bytes
) -> None:
    answer = browser.post("/jobs", content=b"x", headers={**SAME_ORIGIN, "content-length": length})
    assert answer.status_code == 413
