"""Delivery events: lines grouped per invoice into one request, checked line by line and
parcel by parcel, sent with the upload's guarantees, and answered by the sandbox."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from batch_uploader.files.columns import EVENTS
from batch_uploader.files.inputs import Reading, data_rows, open_inputs
from batch_uploader.jobs.report import ExitStatus
from batch_uploader.sandbox.oms import Sandbox, SandboxConfig
from batch_uploader.scripting import upload_events
from batch_uploader.vtex.settings import Settings
from batch_uploader.vtex.target import Credentials

from .conftest import CsvFactory, invoke

HEADER = "Pedido;NF;Data do evento;Cidade;UF;Ocorrência;Entregue;Data de entrega\n"
PARCELS = HEADER + (
    "1-01;9;2026-11-21 08:00;Cajamar;SP;Objeto postado;;\n"
    "2-01;5;2026-11-22 09:30;Recife;PE;Em trânsito;não;\n"
    "1-01;9;2026-11-23 14:10;Campinas;SP;Entregue ao destinatário;sim;\n"
    "1-01;9;2026-11-22 07:00;Campinas;SP;Saiu para entrega;;\n"
)
BODY_1 = {
    "isDelivered": True,
    "deliveredDate": "2026-11-23 14:10",
    "events": [
        {"city": "Cajamar", "state": "SP", "description": "Objeto postado",
         "date": "2026-11-21T08:00:00"},
        {"city": "Campinas", "state": "SP", "description": "Saiu para entrega",
         "date": "2026-11-22T07:00:00"},
        {"city": "Campinas", "state": "SP", "description": "Entregue ao destinatário",
         "date": "2026-11-23T14:10:00"},
    ],
}  # fmt: skip
BODY_2 = {
    "isDelivered": False,
    "deliveredDate": None,
    "events": [{"city": "Recife", "state": "PE", "description": "Em trânsito",
                "date": "2026-11-22T09:30:00"}],
}  # fmt: skip


def lines_of(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_events_go_as_one_request_per_invoice_in_date_order(
    write_csv: CsvFactory, tmp_path: Path
) -> None:
    results = tmp_path / "r.csv"
    with Sandbox() as sandbox:
        outcome = invoke("events", str(write_csv(PARCELS)), "--base-url", sandbox.base_url,
                         "--results", str(results), "--journal",
                         str(tmp_path / "journal.sqlite3"))  # fmt: skip
        received = {(r.method, r.order_id, r.invoice_number): r.body for r in sandbox.received}
        headers = {
            "X-VTEX-API-AppKey": "k",
            "X-VTEX-API-AppToken": "t",
            "Accept": "application/json",
        }
        order = httpx.get(sandbox.base_url + "/api/oms/pvt/orders/1-01", headers=headers).json()

    assert outcome.exit_code == ExitStatus.OK, outcome.output
    assert received == {("PUT", "1-01", "9"): BODY_1, ("PUT", "2-01", "5"): BODY_2}
    lines = lines_of(results)
    assert [(x["row"], x["status"], x["orderId"], x["description"], x["isDelivered"],
             x["deliveredDate"], x["httpStatus"]) for x in lines] == [
        ("2", "sent", "1-01", "Objeto postado", "true", "2026-11-23 14:10", "200"),
        ("3", "sent", "2-01", "Em trânsito", "false", "", "200"),
        ("4", "sent", "1-01", "Entregue ao destinatário", "true", "2026-11-23 14:10", "200"),
        ("5", "sent", "1-01", "Saiu para entrega", "true", "2026-11-23 14:10", "200"),
    ]  # fmt: skip
    # Every line of a parcel carries the receipt of its parcel's one request.
    assert lines[0]["receipt"] == lines[2]["receipt"] == lines[3]["receipt"] != lines[1]["receipt"]
    (package,) = order["packageAttachment"]["packages"]
    assert package["courierStatus"]["finished"] is True
    assert [e["description"] for e in package["courierStatus"]["data"]] == [
        "Objeto postado", "Saiu para entrega", "Entregue ao destinatário"
    ]  # fmt: skip


def decided(write_csv: CsvFactory, text: str) -> list[tuple[str, str, str]]:
    """(row, status, errorCode) of each line of a dry run of ``text``."""
    source = write_csv(text)
    results = source.with_name("dry.csv")
    upload_events([source], results_path=results, dry_run=True)
    return [(x["row"], x["status"], x["errorCode"]) for x in lines_of(results)]


def test_one_bad_line_keeps_its_parcel_from_being_sent(write_csv: CsvFactory) -> None:
    text = HEADER + (
        "1-01;9;2026-11-21 08:00;Cajamar;SP;Objeto postado;;\n"
        "1-01;9;;Campinas;SP;Saiu para entrega;;\n"
        "2-01;5;2026-11-22 09:30;Recife;PE;Em trânsito;talvez;\n"
        "3-01;4;2026-11-22 09:30;Recife;PE;Em trânsito;;\n"
    )

    assert decided(write_csv, text) == [
        ("2", "invalid", "parcel-incomplete"),
        ("3", "invalid", "missing-value"),
        ("4", "invalid", "invalid-flag"),
        ("5", "valid", ""),
    ]


def test_a_delivered_parcel_said_in_transit_later_is_refused(
    write_csv: CsvFactory, tmp_path: Path
) -> None:
    text = HEADER + (
        "1-01;9;2026-11-22 08:00;Campinas;SP;Entregue;sim;\n"
        "1-01;9;2026-11-23 08:00;Campinas;SP;Em trânsito;não;\n"
        "2-01;5;2026-11-21 08:00;Recife;PE;Em trânsito;não;\n"
        "2-01;5;2026-11-22 08:00;Recife;PE;Entregue;sim;2026-11-22 08:05\n"
        "3-01;4;2026-11-22 08:00;Recife;PE;Entregue;sim;2026-11-22 08:05\n"
        "3-01;4;2026-11-22 09:00;Recife;PE;Comprovante;;2026-11-22 09:05\n"
    )

    assert decided(write_csv, text) == [
        ("2", "invalid", "conflicting-delivered"),
        ("3", "invalid", "conflicting-delivered"),
        ("4", "valid", ""),
        ("5", "valid", ""),
        ("6", "invalid", "conflicting-delivered"),
        ("7", "invalid", "conflicting-delivered"),
    ]
    message = lines_of(tmp_path / "dry.csv")[0]["errorMessage"]
    assert message == (
        "column G 'Entregue' (isDelivered): one line says the parcel was delivered on "
        "2026-11-22T08:00:00 and a later one (2026-11-23T08:00:00) says it was not; correct "
        "the flag"
    )


def test_events_columns_are_found_by_their_portuguese_and_spanish_headings(
    write_csv: CsvFactory,
) -> None:
    source = write_csv("Orden,Factura,Fecha,Ciudad,Provincia,Evento\n1-01,9,2026-11-22,Lima,LI,x\n")

    (item,), _ = open_inputs([source], Reading(layout=EVENTS))
    (row,) = data_rows([item])

    assert dict(row.values) == {"orderId": "1-01", "invoiceNumber": "9", "date": "2026-11-22",
                                "city": "Lima", "state": "LI", "description": "x"}  # fmt: skip


def run_events(
    source: Path, tmp_path: Path, answer: Any, journal: Path | None = None
) -> tuple[list[dict[str, str]], int]:
    results = tmp_path / "r.csv"
    report = upload_events(
        [source],
        results_path=results,
        base_url="https://mystore.vtexcommercestable.com.br",
        credentials=Credentials("key", "token"),
        transport=httpx.MockTransport(answer),
        journal_path=journal,
    )
    return lines_of(results), report.exit_status


def test_events_for_an_unknown_order_fail_on_every_line_of_the_parcel(
    write_csv: CsvFactory, tmp_path: Path
) -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if "/orders/1-01/" in request.url.path:
            return httpx.Response(
                404, json={"error": {"code": "OMS007", "message": "Order Not Found"}}
            )
        return httpx.Response(200, json={"date": "d", "orderId": "2-01", "receipt": "r2"})

    lines, status = run_events(write_csv(PARCELS), tmp_path, answer)

    assert [(x["row"], x["status"], x["errorCode"], x["errorMessage"]) for x in lines] == [
        ("2", "failed", "OMS007", "Order Not Found"),
        ("3", "sent", "", ""),
        ("4", "failed", "OMS007", "Order Not Found"),
        ("5", "failed", "OMS007", "Order Not Found"),
    ]
    assert status == ExitStatus.ROWS_NOT_SENT


def test_a_parcel_sent_before_is_skipped_with_its_receipt(
    write_csv: CsvFactory, tmp_path: Path
) -> None:
    sent: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request.url.path)
        order_id = request.url.path.split("/")[5]
        return httpx.Response(200, json={"date": "d", "orderId": order_id,
                                         "receipt": f"receipt-{order_id}"})  # fmt: skip

    source, journal = write_csv(PARCELS), tmp_path / "journal.sqlite3"
    run_events(source, tmp_path, answer, journal)
    again, status = run_events(source, tmp_path, answer, journal)

    assert len(sent) == 2
    assert [(x["row"], x["orderId"], x["status"], x["errorCode"], x["receipt"]) for x in again] == [
        ("2", "1-01", "skipped", "already-sent", "receipt-1-01"),
        ("3", "2-01", "skipped", "already-sent", "receipt-2-01"),
        ("4", "1-01", "skipped", "already-sent", "receipt-1-01"),
        ("5", "1-01", "skipped", "already-sent", "receipt-1-01"),
    ]
    # Each line names where its parcel was sent first: the parcel's first row, in run 1.
    first_sent = {"1-01": 2, "2-01": 3}
    assert [re.sub(r"^already sent on \S+Z ", "already sent on <time> ", x["errorMessage"])
            for x in again] == [
        f"already sent on <time> ({source} row {first_sent[x['orderId']]}, run 1); --force sends "
        "it again"
        for x in again
    ]  # fmt: skip
    assert status == ExitStatus.OK


@pytest.mark.parametrize("refused", [401, 403])
def test_refused_credentials_stop_the_events_upload(
    write_csv: CsvFactory, tmp_path: Path, refused: int
) -> None:
    results = tmp_path / "r.csv"
    with Sandbox(SandboxConfig(refuse_credentials=refused)) as sandbox:
        outcome = invoke("events", str(write_csv(PARCELS)), "--base-url", sandbox.base_url,
                         "--results", str(results), "--concurrency", "1",
                         "--journal", str(tmp_path / "journal.sqlite3"))  # fmt: skip
        requests = sandbox.requests

    assert outcome.exit_code == ExitStatus.ABORTED
    assert requests == 1
    code = f"http-{refused}"
    assert [x["errorCode"] for x in lines_of(results)] == [code, "not-attempted", code, code]


def test_summary_json_of_an_events_upload(write_csv: CsvFactory, tmp_path: Path) -> None:
    lines, _ = run_events(
        write_csv(PARCELS),
        tmp_path,
        lambda request: httpx.Response(200, json={"date": "d", "orderId": "o", "receipt": "r"}),
    )

    summary = json.loads((tmp_path / "r.summary.json").read_text(encoding="utf-8"))
    assert summary["rows"]["sent"] == len(lines) == 4
    assert summary["requests"] == 2


def test_parcels_failing_one_after_another_stop_the_run(
    write_csv: CsvFactory, tmp_path: Path
) -> None:
    text = HEADER + "".join(f"{n}-01;{n};2026-11-22;Recife;PE;x;;\n" for n in range(1, 6))
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return httpx.Response(400, json={"error": {"code": "OMS003", "message": "bad invoice"}})

    report = upload_events(
        [write_csv(text)],
        results_path=tmp_path / "r.csv",
        base_url="https://mystore.vtexcommercestable.com.br",
        credentials=Credentials("key", "token"),
        settings=Settings(concurrency=1, rate=1000, stop_after_failures=2),
        transport=httpx.MockTransport(answer),
    )

    assert len(seen) == 2
    assert [x["errorCode"] for x in lines_of(tmp_path / "r.csv")] == [
        "OMS003", "OMS003", "not-attempted", "not-attempted", "not-attempted"
    ]  # fmt: skip
    assert report.stop_reason == "2 parcels in a row failed (the last: OMS003: bad invoice)"
    assert report.exit_status == ExitStatus.ABORTED


def test_the_same_event_on_two_lines_is_sent_once(write_csv: CsvFactory, tmp_path: Path) -> None:
    text = HEADER + "1-01;9;2026-11-22;Recife;PE;Postado;;\n" * 2
    bodies: list[Any] = []

    def answer(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return httpx.Response(200, json={"date": "d", "orderId": "1-01", "receipt": "r"})

    lines, _ = run_events(write_csv(text), tmp_path, answer)

    assert [len(body["events"]) for body in bodies] == [1]
    assert [(x["status"], x["receipt"]) for x in lines] == [("sent", "r"), ("sent", "r")]


@pytest.mark.parametrize("no", ["não", "no", "false", "0"])
def test_a_line_said_not_delivered_but_given_a_delivery_date_keeps_its_parcel_back(
    write_csv: CsvFactory, tmp_path: Path, no: str
) -> None:
    text = HEADER + (
        "1-01;9;2026-11-21 08:00;Cajamar;SP;Objeto postado;;\n"
        f"1-01;9;2026-11-22 09:30;Campinas;SP;Em trânsito;{no};2026-11-23 14:10\n"
        "2-01;5;2026-11-22 09:30;Recife;PE;Em trânsito;não;\n"
    )
    bodies: dict[str, Any] = {}

    def answer(request: httpx.Request) -> httpx.Response:
        bodies[request.url.path] = json.loads(request.content)
        return httpx.Response(200, json={"date": "d", "orderId": "o", "receipt": "r"})

    lines, status = run_events(write_csv(text), tmp_path, answer)

    assert [(x["row"], x["status"], x["errorCode"], x["errorMessage"]) for x in lines] == [
        ("2", "invalid", "parcel-incomplete",
         "the parcel's row 3 cannot be sent, and a parcel's events are sent together; correct "
         "it and upload the parcel again"),
        ("3", "invalid", "conflicting-delivered",
         f"column G 'Entregue' (isDelivered): '{no}' says the parcel was not delivered, but "
         "column H 'Data de entrega' (deliveredDate) gives it a delivery date "
         "('2026-11-23 14:10'); empty one of the two cells"),
        ("4", "sent", "", ""),
    ]  # fmt: skip
    assert bodies == {"/api/oms/pvt/orders/2-01/invoice/5/tracking": BODY_2}
    assert status == ExitStatus.ROWS_NOT_SENT


def test_a_parcel_delivered_before_its_first_event_is_refused(
    write_csv: CsvFactory, tmp_path: Path
) -> None:
    text = HEADER + (
        "1-01;9;2026-11-21 08:00;Cajamar;SP;Objeto postado;;\n"
        "1-01;9;2026-11-22 09:00;Campinas;SP;Entregue;sim;2026-11-20 14:10\n"
        "2-01;5;2026-11-22 09:30;Recife;PE;Objeto postado;;\n"
        "2-01;5;2026-11-22 17:00;Recife;PE;Entregue;sim;2026-11-22\n"
    )

    assert decided(write_csv, text) == [
        ("2", "invalid", "conflicting-delivered"),
        ("3", "invalid", "conflicting-delivered"),
        ("4", "valid", ""),  # delivered the day it was posted: a date alone is compared by day
        ("5", "valid", ""),
    ]
    message = lines_of(tmp_path / "dry.csv")[0]["errorMessage"]
    assert message == (
        "column H 'Data de entrega' (deliveredDate): the parcel is said delivered on "
        "2026-11-20 14:10, before its first event (2026-11-21T08:00:00, 'Objeto postado'); a "
        "parcel cannot be delivered before it was posted: correct the date"
    )


def test_parcels_answered_429_are_sent_on_a_retry_and_their_attempts_counted(
    write_csv: CsvFactory, tmp_path: Path
) -> None:
    results = tmp_path / "r.csv"

    # Seed 3 draws 429, 200, 429, 200 for the first four requests.
    outcome = invoke("events", str(write_csv(PARCELS)), "--sandbox", "--sandbox-rate-limited",
                     "0.5", "--sandbox-seed", "3", "--concurrency", "1", "--results",
                     str(results))  # fmt: skip

    assert outcome.exit_code == ExitStatus.OK, outcome.output
    lines = lines_of(results)
    assert [(x["row"], x["orderId"], x["status"], x["httpStatus"]) for x in lines] == [
        ("2", "1-01", "sent", "200"),
        ("3", "2-01", "sent", "200"),
        ("4", "1-01", "sent", "200"),
        ("5", "1-01", "sent", "200"),
    ]
    # Each line shows its parcel's attempts: one request answered 200 per parcel, plus the 429s
    # (which parcel met them depends on which one took the free slot first).
    attempts = {(x["orderId"], int(x["attempts"])) for x in lines}
    assert len(attempts) == 2
    assert sum(n for _, n in attempts) == 4
    assert " 4 requests at " in outcome.output
    assert ", 2 answered 429 (too many requests)" in outcome.output
    summary = json.loads((tmp_path / "r.summary.json").read_text(encoding="utf-8"))
    assert (summary["rows"]["sent"], summary["requests"], summary["throttled"]) == (4, 4, 2)


def test_events_help_says_to_send_each_parcels_whole_history() -> None:
    outcome = invoke("events", "--help")

    assert (
        "The request replaces the events the order holds: give each parcel's whole history "
        "so far, not only its new events." in " ".join(outcome.output.split())
    )
