"""Realistic carrier files, generated: the shape of what warehouses receive.

Every row is valid and every (order, invoice) pair is unique, so a dry run finds every row
valid and an upload sends every row. Tracking numbers are Correios S10 numbers with a right
check digit (for the Correios rows) or carrier-style codes; a share of the rows has a tracking
URL; dispatch dates are ISO dates or ISO date-times with an offset, in the last 30 days.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

HEADINGS = (
    "Pedido",
    "Nota Fiscal",
    "Código de rastreio",
    "Transportadora",
    "Data de envio",
    "Link de rastreio",
)
_S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
_COURIERS = ("Correios", "Jadlog", "Loggi", "Total Express", "Correios SEDEX")


def _s10(serial: int) -> str:
    digits = f"{serial % 100_000_000:08d}"
    remainder = 11 - sum(int(d) * w for d, w in zip(digits, _S10_WEIGHTS, strict=True)) % 11
    check = {10: 0, 11: 5}.get(remainder, remainder)
    return f"{'QB' if serial % 2 else 'OY'}{digits}{check}BR"


def rows(count: int, *, today: dt.date | None = None) -> Iterator[tuple[str, ...]]:
    """``count`` data rows as text, in the order of :data:`HEADINGS`."""
    today = today or dt.datetime.now(dt.UTC).date()
    for i in range(count):
        order = f"{1_300_000_000_000 + i * 7}-0{1 + i % 3}"
        invoice = f"{i + 1:09d}"
        courier = _COURIERS[i % len(_COURIERS)]
        if courier.startswith("Correios"):
            tracking = _s10(10_000_000 + i * 13)
            url = f"https://rastreamento.correios.com.br/app/index.php?objeto={tracking}"
        elif courier == "Jadlog":
            tracking = f"{10_080_000_000_000 + i:014d}"
            url = f"https://www.jadlog.com.br/tracking?cte={tracking}"
        else:
            tracking = f"LG{i * 31 % 10**10:010d}"
            url = ""
        day = today - dt.timedelta(days=1 + i % 30)
        if i % 4 == 0:
            date = f"{day.isoformat()}T{8 + i % 10:02d}:{i % 60:02d}:00-03:00"
        else:
            date = day.isoformat()
        # A tracking URL on about a third of the rows.
        yield order, invoice, tracking, courier, date, url if i % 3 == 0 else ""


def write_csv(path: Path, count: int) -> Path:
    """A UTF-8 CSV (comma-delimited, as carrier portals export it) of ``count`` rows."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADINGS)
        writer.writerows(rows(count))
    return path


def write_xlsx(path: Path, count: int) -> Path:
    """A workbook of ``count`` rows written with openpyxl in write-only mode: identifiers as
    text cells (leading zeros kept), dispatch dates as date cells, as Excel users save them."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Envios")
    sheet.append(HEADINGS)
    for order, invoice, tracking, courier, date, url in rows(count):
        when: dt.date | dt.datetime
        if "T" in date:
            # Date cells hold no time zone: the local time of the warehouse.
            when = dt.datetime.fromisoformat(date).replace(tzinfo=None)
        else:
            when = dt.date.fromisoformat(date)
        sheet.append([order, invoice, tracking, courier, when, url or None])
    workbook.save(path)
    return path


def write_journal(path: Path, runs: int, rows: int) -> Path:
    """A journal of ``runs`` runs of ``rows`` rows each, as uploads leave one (95 % sent, 3 %
    refused, 2 % failed), its runs a night apart; order ``1300000000042-01`` is in 5 runs."""
    from batch_uploader.jobs.journal import Journal

    with Journal(path):  # its tables
        pass
    started = dt.datetime(2026, 1, 1, 3, tzinfo=dt.UTC)
    with sqlite3.connect(path) as db:
        for run in range(1, runs + 1):
            when = (started + dt.timedelta(days=run)).isoformat().replace("+00:00", "Z")
            db.execute(
                "INSERT INTO runs (id, target, files, started_at, finished_at, exit_status) "
                "VALUES (?, 'https://store.vtexcommercestable.com.br', ?, ?, ?, 1)",
                (run, json.dumps([f"/inbox/carrier-{run}.csv"]), when, when),
            )
            db.executemany(
                "INSERT INTO rows VALUES (?, ?, ?, '', ?, 'target', ?, ?, ?, ?, 1, ?, ?, ?, ?, ?)",
                (_journal_row(run, row, when) for row in range(2, rows + 2)),
            )
    return path


def _journal_row(run: int, row: int, when: str) -> tuple[object, ...]:
    order = 42 if row == 2 and run <= 5 else run * 10_000 + row
    state = "sent" if row % 100 < 95 else "invalid" if row % 100 < 98 else "failed"
    return (
        run, f"/inbox/carrier-{run}.csv", f"{run:064x}", row, f"13{order:011d}-01", f"{row:06d}",
        "p" if state == "sent" else None, state, 200 if state == "sent" else 503,
        uuid.UUID(int=run * 100_000 + row).hex if state == "sent" else None,
        None if state == "sent" else "missing-value",
        None if state == "sent" else "trackingNumber is empty", when,
    )  # fmt: skip
