"""Writes ``libreoffice-errors-hidden.xls`` as LibreOffice Calc saves an Excel 97-2003 workbook:
an .xlsx written with openpyxl (error cells, formulas that fail, hidden rows) converted by
``soffice --headless --convert-to xls``, which recalculates the formulas and stores every error,
typed or computed, as a formula record with an error result.

Run from the repository: ``python tests/data/make_libreoffice_xls.py`` (needs openpyxl and
LibreOffice). The tests read the committed file, so that they need no LibreOffice."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import openpyxl

HERE = Path(__file__).parent


def source(path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Envios"
    sheet.append(["Pedido", "NF", "Rastreio", "Transportadora", "Data de envio"])
    sheet.append(["1-01", "000001", "LGI1", "#N/A", "2026-11-24"])  # an error cell
    sheet.append(["2-01", "000002", "LGI2", "Loggi", "#REF!"])  # hidden, below
    sheet.append(["3-01", "000003", "LGI3", "Loggi", "2026-11-24"])
    sheet.append(["4-01", "000004", "LGI4", "=NA()", "2026-11-24"])  # a failed lookup
    sheet.append(["5-01", "000005", "LGI5", "Loggi", "=1/0"])
    sheet.row_dimensions[3].hidden = True
    sheet.row_dimensions[8].hidden = True  # blank: nothing sends it
    book.save(path)
    return path


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        xlsx = source(Path(folder) / "libreoffice-errors-hidden.xlsx")
        profile = Path(folder, "profile").as_uri()  # not the user's: another soffice may run
        subprocess.run(
            ["soffice", f"-env:UserInstallation={profile}", "--headless", "--convert-to", "xls",
             "--outdir", str(HERE), str(xlsx)],
            check=True,
            timeout=300,
        )  # fmt: skip
    sys.stdout.write(f"wrote {HERE / 'libreoffice-errors-hidden.xls'}\n")


if __name__ == "__main__":
    main()
