"""The validator's shortcuts for plain rows decide exactly as its full checks do."""

from __future__ import annotations

from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from batch_uploader.models import FIELDS, CellKind, Row, RowError, Source, TrackingUpdate
from batch_uploader.rules import validator

PROPERTY = settings(max_examples=500, deadline=None)
# Characters of every kind of trouble: formulas, error values, separators of the route,
# spaces, control characters, scientific notation, accents, bytes that were not text.
TROUBLE = "eE.+-_=#/?: \t\n\x01\x85\xa0é,!@\ufffd"
TRICKY = st.text(alphabet="aZ09" + TROUBLE, max_size=10)
PLAIN = st.from_regex(r"[0-9A-Za-z][0-9A-Za-z._-]{0,12}", fullmatch=True)
# Mostly plain values, so that a row is often plain but for one character.
VALUE = st.one_of(
    PLAIN,
    PLAIN,
    st.builds("{}{}{}".format, PLAIN, st.sampled_from(TROUBLE), PLAIN),
    st.builds("{}{}".format, st.sampled_from(TROUBLE), PLAIN),
    TRICKY,
    st.sampled_from(["1.23457E+17", "12E3", "#N/A", "=A1", "#REF!", "...", "-12"]),
)
URL = st.one_of(
    st.builds(
        "{}://{}{}".format,
        st.sampled_from(["http", "HTTPS", "ftp", "https"]),
        st.text(alphabet="ab.-9:@[]", max_size=8),
        st.text(alphabet="/?#= a\x01\x85", max_size=6),
    ),
    TRICKY,
)
# Mostly text cells, as in a CSV file.
KINDS: st.SearchStrategy[dict[str, CellKind]] = st.one_of(
    st.just({}),
    st.dictionaries(st.sampled_from(FIELDS), st.sampled_from(list(CellKind)), max_size=2),
)


def _both_ways(row: Row) -> tuple[TrackingUpdate | list[RowError], TrackingUpdate | list[RowError]]:
    quick = validator.validate(row)
    with mock.patch.object(validator, "_is_plain", return_value=False):
        full = validator.validate(row)
    return quick, full


@PROPERTY
@given(
    order=VALUE,
    invoice=VALUE,
    tracking=VALUE,
    url=st.one_of(st.just(""), st.just("https://t.example/x?c=1"), URL),
    courier=st.one_of(st.just(""), VALUE),
    date=st.sampled_from(["", "", "2026-11-20", "=TODAY()", "#N/D", "20/11/2026"]),
    kinds=KINDS,
)
def test_plain_rows_are_decided_as_the_full_checks_decide(
    order: str,
    invoice: str,
    tracking: str,
    url: str,
    courier: str,
    date: str,
    kinds: dict[str, CellKind],
) -> None:
    values = dict(
        zip(FIELDS, (order, invoice, tracking, url, courier, date), strict=True),
    )
    row = Row(Source("input.csv"), 2, values, kinds)

    quick, full = _both_ways(row)

    assert quick == full


PLAIN_ROW = {
    "orderId": "1300000000001-01",
    "invoiceNumber": "000123",
    "trackingNumber": "QB123456785BR",
    "trackingUrl": "https://t.example/x?c=1",
    "courier": "Correios",
    "dispatchedDate": "2026-11-20",
}


@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("character", TROUBLE)
@pytest.mark.parametrize("where", [0, 1, -1, None])
def test_one_troublesome_character_anywhere_is_decided_as_the_full_checks_decide(
    field: str, character: str, where: int | None
) -> None:
    plain = PLAIN_ROW[field]
    spoiled = character if where is None else plain[:where] + character + plain[where:]
    values = {**PLAIN_ROW, field: spoiled}
    row = Row(Source("input.csv"), 2, values)

    quick, full = _both_ways(row)

    assert quick == full


def test_a_row_read_with_a_problem_is_never_taken_for_plain() -> None:
    problem = RowError("wrong-cell-count", "", "the row has 7 cells")
    values = {"orderId": "1-01", "invoiceNumber": "9", "trackingNumber": "AA1BR"}
    row = Row(Source("input.csv"), 2, values, read_errors=(problem,))

    quick, full = _both_ways(row)

    assert quick == full == [problem]


@PROPERTY
@given(URL)
def test_an_address_taken_without_a_closer_look_is_a_web_address(url: str) -> None:
    if validator._PLAIN_WEB_URL.fullmatch(url):
        assert validator._is_web_url(url)
