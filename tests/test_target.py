from __future__ import annotations

import pytest

from batch_uploader.errors import UsageError
from batch_uploader.vtex.target import Credentials, resolve_base_url


def test_account_address() -> None:
    assert resolve_base_url(None, "MyStore") == "https://mystore.vtexcommercestable.com.br"
    assert resolve_base_url(None, "mystore", "myenv") == "https://mystore.myenv.com.br"


@pytest.mark.parametrize(
    "url",
    ["https://oms.example.com/", "http://127.0.0.1:8899", "http://localhost:1", "http://[::1]:2"],
)
def test_base_urls_accepted(url: str) -> None:
    assert resolve_base_url(url, None) == url.rstrip("/")


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://oms.example.com", "plain http"),
        ("http://10.0.0.5", "plain http"),
        ("ftp://oms.example.com", "must be an http(s) address"),
        ("https://oms.example.com/?x=1", "query or fragment"),
    ],
)
def test_base_urls_refused(url: str, problem: str) -> None:
    with pytest.raises(UsageError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        resolve_base_url(url, None)


def test_account_must_be_a_plain_name() -> None:
    with pytest.raises(UsageError, match="plain names"):
        resolve_base_url(None, "evil.com/x?")


def test_token_is_never_in_a_repr() -> None:
    token = "s3cr3t-token-0a9f8e"
    credentials = Credentials.from_env({"VTEX_APP_KEY": "k", "VTEX_APP_TOKEN": token})

    assert token not in repr(credentials)
    assert credentials.headers() == {"X-VTEX-API-AppKey": "k", "X-VTEX-API-AppToken": token}


@pytest.mark.parametrize("token", ["abc def", "abc\ndef", "SECRET-é"])
def test_tokens_no_http_header_can_carry_are_refused_without_echoing_them(token: str) -> None:
    with pytest.raises(UsageError) as caught:
        Credentials.from_env({"VTEX_APP_KEY": "k", "VTEX_APP_TOKEN": token})

    assert "VTEX_APP_TOKEN holds a space, a line break or a character outside ASCII" in str(
        caught.value
    )
    assert token not in str(caught.value)


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1:x",
        "https://127.0.0.1:99999",
        "https://user:Secretpassword99/x",
        "https://oms.example.com:0",
    ],
)
def test_an_address_with_a_port_that_is_none_is_refused_without_quoting_it(url: str) -> None:
    with pytest.raises(UsageError) as caught:
        resolve_base_url(url, None)

    message = str(caught.value)
    assert "Secretpassword99" not in message
    assert "99999" not in message
    assert message == (
        "--base-url (or VTEX_BASE_URL) has a port that is not a number from 1 to 65535 (the "
        "part after the host's ':'); write it as https://host or https://host:8443"
    )
