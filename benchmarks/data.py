"""Realistic carrier files, generated: the shape of what warehouses receive.

Every row is valid and every (order, invoice) pair is unique, so a dry run finds every row
valid and an upload sends every row. Tracking numbers are Correios S10 numbers with a right
check digit (for the Correios rows) or carrier-style codes; a share of the rows has a tracking
URL; dispatch dates are ISO dates or ISO date-times with an offset, in the last 30 days.
"""

from __future__ import annotations

import csv
import datetime as dt
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
