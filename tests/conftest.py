"""Shared fixtures: small input files written the way carriers and Excel write them, and the
browser tests' Chromium, tabs and page server (helpers in tests/browser.py)."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import httpx
import openpyxl
import pytest
import respx
import xlwt
from click.testing import CliRunner, Result
from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import Table as OdsTable
from odf.table import TableCell, TableRow
from odf.text import P
from playwright.sync_api import Browser, expect, sync_playwright

from batch_uploader.cli.main import cli
from batch_uploader.jobs.control import Control
from batch_uploader.jobs.progress import Event, OnEvent, RowDecided
from batch_uploader.models import Row, Source
from batch_uploader.vtex import sender as sender_module

from . import browser

CsvFactory = Callable[..., Path]
XlsxFactory = Callable[..., Path]
WorkbookFactory = Callable[..., Path]
# The default folder of results and journal, relative to where the suite runs: the repository.
REPOSITORY_OUTPUT = Path(__file__).resolve().parents[1] / "output"


def _listing(folder: Path) -> dict[str, tuple[int, int]]:
    try:
        return {entry.name: (entry.stat().st_size, entry.stat().st_mtime_ns)
                for entry in folder.iterdir()}  # fmt: skip
    except FileNotFoundError:
        return {}


@pytest.fixture(autouse=True)
def repository_output_untouched() -> Iterator[None]:
    """Every test writes under its tmp_path: one that used the default output folder would add
    its runs to the journal of the person running the suite."""
    before = _listing(REPOSITORY_OUTPUT)
    yield
    after = _listing(REPOSITORY_OUTPUT)
    changed = sorted(
        name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
    )
    assert not changed, (
        f"the test wrote in {REPOSITORY_OUTPUT} ({', '.join(changed)}): give it --journal, "
        "--results or --output-dir under tmp_path"
    )


@pytest.fixture
def write_csv(tmp_path: Path) -> CsvFactory:
    """Writes ``text`` to a CSV file as bytes in ``encoding`` (with a BOM if asked)."""

    def write(
        text: str, name: str = "input.csv", *, encoding: str = "utf-8", bom: bool = False
    ) -> Path:
        path = tmp_path / name
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode(encoding))
        return path

    return write


@pytest.fixture
def write_xlsx(tmp_path: Path) -> XlsxFactory:
    """Writes rows of cells (None for an empty cell) to the first sheet of a workbook."""

    def write(
        rows: Sequence[Sequence[object]],
        name: str = "input.xlsx",
        *,
        sheet: str = "Sheet1",
        extra_sheets: Sequence[str] = (),
    ) -> Path:
        workbook = openpyxl.Workbook()
        worksheet = workbook.active
        assert worksheet is not None
        worksheet.title = sheet
        for cells in rows:
            worksheet.append(list(cells))
        for title in extra_sheets:
            workbook.create_sheet(title)
        path = tmp_path / name
        workbook.save(path)
        return path

    return write


class ErrorCell:
    """An error value in a workbook cell (``#N/A``), as a failed formula leaves it."""


ERROR = ErrorCell()


@pytest.fixture
def write_xls(tmp_path: Path) -> WorkbookFactory:
    """Writes rows of cells to an Excel 97-2003 workbook the way Excel does: text as text
    (``000123`` keeps its zeros), numbers as numbers, dates as serial numbers shown as dates
    (from 1904 with ``dates_1904``, as Excel for Mac wrote them), errors as error cells."""

    def write(
        rows: Sequence[Sequence[object]],
        name: str = "input.xls",
        *,
        sheet: str = "Sheet1",
        dates_1904: bool = False,
    ) -> Path:
        book = xlwt.Workbook()
        book.dates_1904 = dates_1904
        worksheet = book.add_sheet(sheet)
        day = xlwt.easyxf(num_format_str="dd/mm/yyyy")
        moment = xlwt.easyxf(num_format_str="dd/mm/yyyy hh:mm")
        for index, cells in enumerate(rows):
            for column, value in enumerate(cells):
                if value is None:
                    continue
                if isinstance(value, ErrorCell):
                    worksheet.row(index).set_cell_error(column, 0x2A)  # #N/A
                elif isinstance(value, dt.datetime):
                    worksheet.write(index, column, value, moment)
                elif isinstance(value, dt.date):
                    worksheet.write(index, column, value, day)
                else:
                    worksheet.write(index, column, value)
        path = tmp_path / name
        book.save(str(path))
        return path

    return write


def _ods_cell(value: object) -> TableCell:
    """A cell as LibreOffice Calc writes it in content.xml."""
    if value is None:
        return TableCell()
    if isinstance(value, ErrorCell):
        # A failed formula: its result is an empty string, "#N/A" only what is shown.
        cell = TableCell(formula="of:=NA()", valuetype="string", stringvalue="")
        shown = "#N/A"
    elif isinstance(value, bool):
        cell = TableCell(valuetype="boolean", booleanvalue=str(value).lower())
        shown = str(value).upper()
    elif isinstance(value, int | float):
        cell = TableCell(valuetype="float", value=str(value))
        shown = str(value)
    elif isinstance(value, dt.date):
        cell = TableCell(valuetype="date", datevalue=value.isoformat())
        shown = value.isoformat()
    else:
        cell = TableCell(valuetype="string")
        shown = str(value)
    cell.addElement(P(text=shown))
    return cell


@pytest.fixture
def write_ods(tmp_path: Path) -> WorkbookFactory:
    """Writes rows of cells to an OpenDocument spreadsheet, each cell typed as LibreOffice
    types it (see ``_ods_cell``)."""

    def write(
        rows: Sequence[Sequence[object]], name: str = "input.ods", *, sheet: str = "Sheet1"
    ) -> Path:
        document = OpenDocumentSpreadsheet()
        table = OdsTable(name=sheet)
        for cells in rows:
            row = TableRow()
            for value in cells:
                row.addElement(_ods_cell(value))
            table.addElement(row)
        document.spreadsheet.addElement(table)
        path = tmp_path / name
        document.save(str(path))
        return path

    return write


def make_row(**values: str) -> Row:
    """Row 2 of ``input.csv``, holding ``values`` by field name."""
    return Row(Source("input.csv"), 2, values)


# Credentials for command-line runs against a sandbox. The token is long and unusual, as real
# ones are: a token under 16 characters is refused, and one that ordinary text could hold would
# be redacted out of it.
SANDBOX_ENV = {"VTEX_APP_KEY": "vtexappkey-test", "VTEX_APP_TOKEN": "app-token-9c1f-Qz7w-kV3x"}


def invoke(*args: str) -> Result:
    """``batch-uploader ARGS`` in this process, with test credentials."""
    return CliRunner().invoke(cli, list(args), env=SANDBOX_ENV, catch_exceptions=False)


@contextlib.contextmanager
def mocked_vtex(monkeypatch: pytest.MonkeyPatch, base_url: str) -> Iterator[respx.MockRouter]:
    """A respx router answering for ``base_url``. The product's clients do their I/O through
    aiohttp, which respx does not see: the router is made their transport."""
    with respx.mock(base_url=base_url, assert_all_called=False) as router:
        monkeypatch.setattr(
            sender_module,
            "aiohttp_transport",
            lambda limits, tls: httpx.MockTransport(router.async_handler),
        )
        yield router


def stopping_after(control: Control, decided: int) -> tuple[list[Event], OnEvent]:
    """A watcher of a job that keeps every event it is told, and asks ``control`` to stop, as
    a person pressing Stop, once ``decided`` rows are; and the events it keeps."""
    events: list[Event] = []

    def watch(event: Event) -> None:
        events.append(event)
        if isinstance(event, RowDecided) and event.decided == decided:
            control.stop("the person pressed Stop")

    return events, watch


# The browser tests (tests/test_browser*.py) drive the distribution's Chromium through
# Playwright's sync API, whose event loop stays running in the main thread while a browser is
# open: asyncio.run fails there meanwhile. They therefore run last, after every other test, and
# share one browser until the session ends.
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: "chromium" in getattr(item, "fixturenames", ()))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Says why the browser tests were skipped, which pytest shows only when asked (-rs)."""
    reason = browser.missing_chromium(browser.chromium_path())
    skipped = terminalreporter.stats.get("skipped", [])
    if reason and any("test_browser" in getattr(report, "nodeid", "") for report in skipped):
        terminalreporter.write_line(f"browser tests skipped: {reason}", yellow=True)


@pytest.fixture(scope="session")
def chromium() -> Iterator[Browser]:
    """The distribution's Chromium (or ``$CHROMIUM``), headless. Without it the browser tests
    skip, saying why, except on CI (``CI=true``), where they fail."""
    path = browser.require_chromium()
    expect.set_options(timeout=browser.STEP_TIMEOUT_MS)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path)
        yield launched
        launched.close()


@pytest.fixture
def tabs(chromium: Browser) -> Iterator[browser.Tabs]:
    """Opens tabs of a test, each in its own browser context; at the end, every console error
    or warning (a Content Security Policy violation among them), uncaught script error or
    failed request the test did not take is a failure."""
    opened = browser.Tabs(chromium)
    yield opened
    left = opened.close()
    assert not left, "problems on the page:\n" + "\n".join(left)


@pytest.fixture
def screenshots(tmp_path: Path) -> browser.Screenshots:
    """Screenshots of a test's steps, in tmp_path/screenshots (and $SCREENSHOTS_DIR if set)."""
    folder = tmp_path / "screenshots"
    folder.mkdir()
    return browser.Screenshots(folder)


@pytest.fixture
def site(tmp_path: Path) -> Iterator[browser.Site]:
    """The page served on 127.0.0.1 (a free port) as ``batch-uploader web --sandbox`` serves
    it, its jobs' files under tmp_path/web and its Settings' accounts (none yet) in
    tmp_path/config."""
    accounts = tmp_path / "config" / "accounts.toml"
    with browser.serve(tmp_path / "web", accounts=accounts) as running:
        yield running
