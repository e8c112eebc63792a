"""Carrier exports as they arrive in a warehouse's inbox, built by the tests themselves: a
legacy encoding, title lines, day-first dates, stray spaces, Excel's damage, repeats and a
totals line. Each builder returns the rows it wrote with what batch-uploader must make of them.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

TITLE = "Relatório de envios — Transportadora Exemplo — 24/11/2026"
HEADER = ["Nº Pedido", "Nota Fiscal", "Código de Rastreio", "Transportadora", "Data de Envio"]
# (cells, expected status, expected error code) for each data row, in file order.
ROWS: list[tuple[list[str], str, str]] = [
    (["1300000000001-01", "000123", "RA473124829BR", "Correios", "24/11/2026 16:05"], "valid", ""),
    (["\xa01300000000002-01 ", "000124", "10012345678902", "Jadlog", "24/11/2026"], "valid", ""),
    (["1300000000003-01", "000125\u200b", "10012345678903", "Jadlog", "01/11/2026"], "valid", ""),
    (["1300000000004-01", "000126", "1,23457E+17", "Jadlog", "23/11/2026"], "invalid",
     "number-precision-lost"),
    (["1300000000005-01", "#N/A", "10012345678905", "Jadlog", "23/11/2026"], "invalid",
     "spreadsheet-error"),
    (["1300000000001-01", "000123", "RA473124829BR", "Correios", "24/11/2026 16:05"], "skipped",
     "duplicate-row"),
    (["1300000000006-01", "000127", "10012345678906", "Jadlog", "23/11/2026"], "invalid",
     "conflicting-rows"),
    (["1300000000006-01", "000127", "10012345678999", "Jadlog", "23/11/2026"], "invalid",
     "conflicting-rows"),
    (["1300000000007-01", "000128", "10012345678907", "São José Cargas", "31/11/2026"], "invalid",
     "invalid-date"),
]  # fmt: skip
TOTALS = ["Total de envios", "", "", "", "9"]
FIRST_DATA_ROW = 4  # after the title, a blank line and the header


def carrier_export(path: Path, *, encoding: str = "cp1252", delimiter: str = ";") -> Path:
    """Writes the export to ``path`` the way a carrier portal does."""
    text = io.StringIO()
    writer = csv.writer(text, delimiter=delimiter)
    writer.writerows([[TITLE], [], HEADER, *(cells for cells, _, _ in ROWS), TOTALS])
    # A legacy code page has no zero-width characters: they are dropped, as Excel does.
    path.write_bytes(text.getvalue().encode(encoding, errors="ignore"))
    return path
