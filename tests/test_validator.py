from __future__ import annotations

import pytest

from batch_uploader.models import CellKind, Row, RowError, Source, TrackingUpdate
from batch_uploader.rules.validator import validate

from .conftest import make_row

GOOD = {"orderId": "1172452900788-01", "invoiceNumber": "000030711", "trackingNumber": "AA1BR"}


def errors_of(**values: str) -> list[tuple[str, str]]:
    result = validate(make_row(**{**GOOD, **values}))
    assert isinstance(result, list), result
    return [(error.code, error.field) for error in result]


def test_complete_row_becomes_the_update_sent() -> None:
    row = make_row(
        **GOOD,
        trackingUrl="https://carrier.example/t?c=AA1BR",
        courier="Correios",
        dispatchedDate="2026-11-24 16:05",
    )

    assert validate(row) == TrackingUpdate(
        order_id="1172452900788-01",
        invoice_number="000030711",
        tracking_number="AA1BR",
        tracking_url="https://carrier.example/t?c=AA1BR",
        courier="Correios",
        dispatched_date="2026-11-24T16:05:00",
    )


def test_empty_optional_cells_become_null() -> None:
    update = validate(make_row(**GOOD, trackingUrl="", courier="", dispatchedDate=""))

    assert isinstance(update, TrackingUpdate)
    assert update.body() == {
        "trackingNumber": "AA1BR",
        "trackingUrl": None,
        "courier": None,
        "dispatchedDate": None,
    }


@pytest.mark.parametrize("field", ["orderId", "invoiceNumber", "trackingNumber"])
def test_missing_required_value(field: str) -> None:
    assert errors_of(**{field: ""}) == [("missing-value", field)]


def test_every_problem_of_a_row_is_reported() -> None:
    result = validate(make_row(trackingUrl="ftp://x"))

    assert isinstance(result, list)
    assert [e.code for e in result] == ["missing-value"] * 3 + ["invalid-url"]


@pytest.mark.parametrize(
    ("value", "named"),
    [("123/A", 'a slash "/"'), ("123 A", "a space"), ("12#3", 'a "#"'), ("12?3", 'a "?"')],
)
@pytest.mark.parametrize("field", ["orderId", "invoiceNumber"])
def test_identifiers_that_cannot_travel_in_the_path(field: str, value: str, named: str) -> None:
    result = validate(make_row(**{**GOOD, field: value}))

    assert result == [
        RowError(
            "unroutable-identifier",
            field,
            f"{value!r} contains {named}, which cannot travel in the request's address; "
            f"correct the {field}",
        )
    ]


@pytest.mark.parametrize("field", ["orderId", "invoiceNumber", "trackingNumber", "courier"])
def test_control_characters_are_refused(field: str) -> None:
    codes = errors_of(**{field: "AB\x07C"})

    assert ("control-character", field) in codes


@pytest.mark.parametrize(
    "url", ["www.carrier.com/t", "ftp://carrier.com/t", "https://", "https://a b.com", "/t?x=1"]
)
def test_tracking_url_must_be_absolute_http(url: str) -> None:
    assert errors_of(trackingUrl=url) == [("invalid-url", "trackingUrl")]


@pytest.mark.parametrize(
    ("text", "sent"),
    [
        ("2026-11-24", "2026-11-24"),
        ("2026-11-24T16:05:00-03:00", "2026-11-24T16:05:00-03:00"),
        ("2026-11-24T19:05:00Z", "2026-11-24T19:05:00+00:00"),
        ("2022-02-08T13:16:13.4617653+00:00", "2022-02-08T13:16:13.461765+00:00"),
    ],
)
def test_iso_dates_are_accepted(text: str, sent: str) -> None:
    update = validate(make_row(**GOOD, dispatchedDate=text))

    assert isinstance(update, TrackingUpdate)
    assert update.dispatched_date == sent


@pytest.mark.parametrize("text", ["yesterday", "2026-13-01", "31/02/2026", "2026-11-24 25:00"])
def test_other_dates_are_refused(text: str) -> None:
    assert errors_of(dispatchedDate=text) == [("invalid-date", "dispatchedDate")]


@pytest.mark.parametrize(
    ("value", "kind", "code"),
    [
        ("1.2345678901234568e+17", CellKind.NUMBER, "number-precision-lost"),
        ("1234567890123456.0", CellKind.NUMBER, "number-precision-lost"),
        ("1234567890123456789", CellKind.NUMBER, "number-precision-lost"),
        ("1.23457E+17", None, "number-precision-lost"),
        ("1,23457E+17", None, "number-precision-lost"),
        ("1.5", CellKind.NUMBER, "wrong-cell-type"),
        ("2026-11-24", CellKind.DATE, "wrong-cell-type"),
        ("TRUE", CellKind.BOOLEAN, "wrong-cell-type"),
    ],
)
@pytest.mark.parametrize("field", ["orderId", "invoiceNumber", "trackingNumber"])
def test_identifiers_damaged_by_a_spreadsheet(
    field: str, value: str, kind: CellKind | None, code: str
) -> None:
    kinds = {field: kind} if kind else {}
    row = Row(Source("in.xlsx", "Sheet1"), 4, {**GOOD, field: value}, kinds)

    result = validate(row)

    assert isinstance(result, list)
    assert [(e.code, e.field) for e in result] == [(code, field)]


def test_whole_numbers_from_number_cells_are_fine() -> None:
    row = Row(
        Source("in.xlsx"), 4, {**GOOD, "invoiceNumber": "88001"}, {"invoiceNumber": CellKind.NUMBER}
    )

    assert isinstance(validate(row), TrackingUpdate)


@pytest.mark.parametrize("value", [".", ".."])
def test_dot_identifiers_would_change_the_route(value: str) -> None:
    assert errors_of(invoiceNumber=value) == [("unroutable-identifier", "invoiceNumber")]


def test_row_errors_from_reading_come_first() -> None:
    problem = RowError("wrong-cell-count", "", "the row has 2 cells")
    row = Row(Source("in.csv"), 3, {**GOOD, "orderId": ""}, read_errors=(problem,))

    result = validate(row)

    assert isinstance(result, list)
    assert [e.code for e in result] == ["wrong-cell-count", "missing-value"]
    assert row.explain(result[0]) == "the row has 2 cells"


@pytest.mark.parametrize(
    ("field", "value", "code"),
    [
        ("orderId", "#N/A", "spreadsheet-error"),
        ("trackingNumber", "#REF!", "spreadsheet-error"),
        ("invoiceNumber", "=VLOOKUP(A2;Notas!A:B;2;0)", "formula-cell"),
        ("courier", "=B2", "formula-cell"),
        ("dispatchedDate", "#VALUE!", "spreadsheet-error"),
    ],
)
def test_formulas_and_error_values_are_refused(field: str, value: str, code: str) -> None:
    assert errors_of(**{field: value}) == [(code, field)]
