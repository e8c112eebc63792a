from __future__ import annotations

import datetime as dt

import pytest

from batch_uploader.vtex.retry import RetryPolicy, parse_retry_after

NOW = dt.datetime(2026, 11, 24, 22, 0, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("7", 7.0),
        (" 0 ", 0.0),
        ("Tue, 24 Nov 2026 22:00:30 GMT", 30.0),
        ("Tue, 24 Nov 2026 21:59:00 GMT", 0.0),
        (None, None),
        ("", None),
        ("soon", None),
        ("-3", None),
    ],
)
def test_parse_retry_after(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header, now=NOW) == seconds


@pytest.mark.parametrize(
    ("status", "retried"), [(429, True), (500, True), (503, True), (400, False), (404, False)]
)
def test_which_statuses_are_retried(status: int, retried: bool) -> None:
    assert RetryPolicy.retries_status(status) is retried


def test_policy_is_checked() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
