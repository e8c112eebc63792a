"""Shared fixtures: small input files written the way carriers and Excel write them."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import httpx
import openpyxl
import pytest
import respx
from click.testing import CliRunner, Result

from batch_uploader import sender as sender_module
from batch_uploader.cli import cli
from batch_uploader.models import Row, Source

CsvFactory = Callable[..., Path]
XlsxFactory = Callable[..., Path]
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
