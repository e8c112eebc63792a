"""The read-back as a job, inside an event loop that is already running (a web server's): two
at once, told their progress by events, stopped or aborted by a :class:`Control`, every line
of the results file written however it ends; and the access check awaited in the same loop."""

from __future__ import annotations

import asyncio
import csv
import re
import time
from pathlib import Path

import httpx

import batch_uploader
from batch_uploader import scripting
from batch_uploader.jobs.control import Control
from batch_uploader.jobs.progress import Event, JobFinished, JobStarted, JobStopped, RowDecided
from batch_uploader.jobs.read_back import ReadBack, VerifyReport
from batch_uploader.jobs.report import ExitStatus
from batch_uploader.sandbox.oms import Sandbox, SandboxConfig
from batch_uploader.scripting import run
from batch_uploader.vtex import access
from batch_uploader.vtex.access import AccessVerdict
from batch_uploader.vtex.settings import Settings
from batch_uploader.vtex.target import Credentials

from .conftest import stopping_after

ROWS = 30
# Row 7 of each carrier file has no tracking number (refused); the update of order n = 9 is
# answered but not kept by the sandbox.
INVALID, LOST = 5, 9
CREDENTIALS = Credentials("vtexappkey-test", "app-token-9c1f-Qz7w-kV3x")
SETTINGS = Settings(rate=200, concurrency=4, grace=5)


def carrier_file(folder: Path, first_order: int) -> Path:
    path = folder / "loggi.csv"
    lines = [
        f"{first_order + n}-01;{n:06d};{'' if n == INVALID else f'LGI{n:08d}BR'}"
        for n in range(ROWS)
    ]
    path.write_text("Pedido;NF;Rastreio\n" + "\n".join(lines) + "\n", encoding="utf-8")
    return path


def uploaded(folder: Path, first_order: int, base_url: str) -> Path:
    """The results file of an upload of a carrier file to ``base_url``."""
    folder.mkdir()
    results = folder / "results.csv"
    run([carrier_file(folder, first_order)], results_path=results, base_url=base_url,
        credentials=CREDENTIALS, settings=SETTINGS,
        journal_path=folder / "journal.sqlite3")  # fmt: skip
    return results


def lines_of(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


async def read_back(
    results: Path,
    base_url: str,
    control: Control,
    settings: Settings = SETTINGS,
    transport: httpx.AsyncBaseTransport | None = None,
) -> tuple[VerifyReport, list[Event]]:
    events: list[Event] = []
    with ReadBack(results, results.with_name("verified.csv"), base_url=base_url,
                  credentials=CREDENTIALS, settings=settings,
                  transport=transport) as job:  # fmt: skip
        report = await job.run(control, events.append)
    return report, events


def test_two_read_backs_at_once_in_a_running_loop(tmp_path: Path) -> None:
    lost = frozenset({f"{1300000 + LOST}-01", f"{1400000 + LOST}-01"})
    with Sandbox(SandboxConfig(latency=0.01, lost_updates=lost)) as sandbox:
        base_url = sandbox.base_url
        first = uploaded(tmp_path / "a", 1300000, base_url)
        second = uploaded(tmp_path / "b", 1400000, base_url)
        updates = sandbox.requests

        async def both() -> list[tuple[VerifyReport, list[Event]]]:
            assert asyncio.get_running_loop().is_running()
            return list(
                await asyncio.gather(
                    read_back(first, base_url, Control()), read_back(second, base_url, Control())
                )
            )

        done = asyncio.run(both())
        reads = sandbox.requests - updates

    assert reads == 2 * (ROWS - 1)  # one read per line sent, none for the line refused
    for (report, events), results, first_order in zip(
        done, (first, second), (1300000, 1400000), strict=True
    ):
        verified = results.with_name("verified.csv")
        lines = lines_of(verified)
        # Every line of the results file, in its order, its upload's columns kept as they were.
        assert [line["row"] for line in lines] == [str(n) for n in range(2, ROWS + 2)]
        assert [line["status"] for line in lines] == [
            "invalid" if n == INVALID else "sent" for n in range(ROWS)
        ]
        assert [(line["verification"], line["verificationDetail"]) for line in lines] == [
            ("not-checked", "not sent")
            if n == INVALID
            else ("mismatch", f"the order holds no invoice '{n:06d}': it has no invoice")
            if n == LOST
            else ("verified", "")
            for n in range(ROWS)
        ]
        assert lines[0]["orderId"] == f"{first_order}-01"
        # Told in order: started, each line once in input order, finished.
        started, *rows, finished = events
        assert started == JobStarted("read-back", ROWS, (str(results),), base_url)
        assert all(isinstance(event, RowDecided) for event in rows)
        assert rows == [
            RowDecided(str(results), n + 2, line["verification"], "", n + 1)
            for n, line in enumerate(lines)
        ]
        assert finished == JobFinished(
            ExitStatus.ROWS_NOT_SENT,
            {"verified": ROWS - 2, "not-checked": 1, "mismatch": 1},
            str(verified),
            None,
            (),
        )
        # What the command line prints of it.
        assert report.summary() == (
            f"Read back {ROWS - 1} rows sent: {ROWS - 2} verified, 1 mismatch, 0 not-checked. "
            f"Results: {verified}"
        )
        assert report.examples == [
            f"{results.parent / 'loggi.csv'} row {LOST + 2}: mismatch: the order holds no "
            f"invoice '{LOST:06d}': it has no invoice"
        ]
        assert report.exit_status == ExitStatus.ROWS_NOT_SENT


def test_a_read_back_stopped_halfway_writes_every_line(tmp_path: Path) -> None:
    control = Control()
    events, watch = stopping_after(control, ROWS // 3)

    async def stopped(results: Path, base_url: str) -> VerifyReport:
        with ReadBack(results, tmp_path / "verified.csv", base_url=base_url,
                      credentials=CREDENTIALS,
                      settings=Settings(rate=40, concurrency=2, grace=5)) as job:  # fmt: skip
            return await job.run(control, watch)

    with Sandbox(SandboxConfig(latency=0.02)) as sandbox:
        results = uploaded(tmp_path / "a", 1300000, sandbox.base_url)
        report = asyncio.run(stopped(results, sandbox.base_url))

    lines = lines_of(tmp_path / "verified.csv")
    assert [line["row"] for line in lines] == [str(n) for n in range(2, ROWS + 2)]
    checked = [(line["verification"], line["verificationDetail"]) for line in lines]
    assert checked[INVALID] == ("not-checked", "not sent")
    rest = checked[:INVALID] + checked[INVALID + 1 :]
    # The lines read before the stop and those in flight then are verified; the others say
    # they were not read back.
    assert set(rest) == {("verified", ""), ("not-checked", "not read: interrupted")}
    verified = rest.count(("verified", ""))
    assert ROWS // 3 - 1 <= verified < ROWS - 1
    started, *rows, finished = events
    assert started == JobStarted("read-back", ROWS, (str(results),), sandbox.base_url)
    stops = [i for i, event in enumerate(rows) if isinstance(event, JobStopped)]
    assert stops == [ROWS // 3]  # told as soon as asked
    assert rows.pop(stops[0]) == JobStopped("the person pressed Stop")
    decided = [event for event in rows if isinstance(event, RowDecided)]
    assert len(decided) == len(rows)
    assert [(event.row, event.status, event.decided) for event in decided] == [
        (n + 2, line["verification"], n + 1) for n, line in enumerate(lines)
    ]
    # Lines not read back say why: not sent, never tried, or given up in flight.
    assert {event.code for event in decided if event.status == "not-checked"} <= {
        "",
        "not-attempted",
        "interrupted",
    }
    # The exit status the command line gives a run stopped early.
    assert finished == JobFinished(
        ExitStatus.INTERRUPTED,
        {"verified": verified, "not-checked": ROWS - verified},
        str(tmp_path / "verified.csv"),
        None,
        (),
    )
    assert report.exit_status == ExitStatus.INTERRUPTED
    assert report.summary() == (
        f"Read back {verified} rows sent: {verified} verified, 0 mismatch, 0 not-checked. "
        "Interrupted: the lines not read back are written as not-checked. "
        f"Results: {tmp_path / 'verified.csv'}"
    )


THREE_LINES = (
    "row,status,orderId,invoiceNumber,trackingNumber,errorCode\n"
    "2,sent,1-01,9,AA1,\n"
    "3,invalid,,8,,missing-value\n"
    "4,skipped,3-01,7,CC3,already-sent\n"
)


def test_a_stop_lets_the_reads_in_flight_end(tmp_path: Path) -> None:
    results = tmp_path / "results.csv"
    results.write_text(THREE_LINES, encoding="utf-8")

    async def slowly(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0.5)
        order = request.url.path.split("/")[-1]
        held = {"1-01": ("9", "AA1"), "3-01": ("7", "ZZ9")}[order]
        package = {"invoiceNumber": held[0], "trackingNumber": held[1]}
        return httpx.Response(
            200, json={"orderId": order, "packageAttachment": {"packages": [package]}}
        )

    control = Control()
    events: list[Event] = []

    async def stopped() -> VerifyReport:
        asyncio.get_running_loop().call_later(0.2, control.stop, "the person pressed Stop")
        with ReadBack(results, tmp_path / "verified.csv",
                      base_url="https://store.vtexcommercestable.com.br", credentials=CREDENTIALS,
                      settings=Settings(rate=100, grace=5),
                      transport=httpx.MockTransport(slowly)) as job:  # fmt: skip
            return await job.run(control, events.append)

    report = asyncio.run(stopped())

    # Both reads had left: their answers came within the grace period and were compared.
    assert [
        (line["row"], line["verification"], line["verificationDetail"])
        for line in lines_of(tmp_path / "verified.csv")
    ] == [
        ("2", "verified", ""),
        ("3", "not-checked", "not sent"),
        ("4", "mismatch", "VTEX holds trackingNumber 'ZZ9'"),
    ]
    assert [type(event).__name__ for event in events] == [
        "JobStarted", "JobStopped", "RowDecided", "RowDecided", "RowDecided", "JobFinished"
    ]  # fmt: skip
    assert events[1] == JobStopped("the person pressed Stop")
    assert report.exit_status == ExitStatus.INTERRUPTED
    assert report.examples == ["row 4: mismatch: VTEX holds trackingNumber 'ZZ9'"]


def test_an_abort_ends_the_reads_in_flight_at_once(tmp_path: Path) -> None:
    results = tmp_path / "results.csv"
    results.write_text(THREE_LINES, encoding="utf-8")

    async def hanging(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(60)
        return httpx.Response(500)

    control = Control()
    events: list[Event] = []

    async def aborted() -> VerifyReport:
        loop = asyncio.get_running_loop()
        loop.call_later(0.3, control.stop)
        loop.call_later(0.6, control.abort)
        with ReadBack(results, tmp_path / "verified.csv",
                      base_url="https://store.vtexcommercestable.com.br", credentials=CREDENTIALS,
                      settings=Settings(grace=60),
                      transport=httpx.MockTransport(hanging)) as job:  # fmt: skip
            return await job.run(control, events.append)

    began = time.monotonic()
    report = asyncio.run(aborted())

    assert time.monotonic() - began < 5  # not the 60 s of grace, nor of the answers
    assert [
        (line["row"], line["verification"], line["verificationDetail"])
        for line in lines_of(tmp_path / "verified.csv")
    ] == [
        ("2", "not-checked", "not read: interrupted"),
        ("3", "not-checked", "not sent"),
        ("4", "not-checked", "not read: interrupted"),
    ]
    assert [(event.status, event.code) for event in events if isinstance(event, RowDecided)] == [
        ("not-checked", "interrupted"),
        ("not-checked", ""),
        ("not-checked", "interrupted"),
    ]
    assert [event for event in events if isinstance(event, JobStopped)] == [
        JobStopped("it was stopped")
    ]
    assert report.exit_status == ExitStatus.INTERRUPTED
    assert sum(report.counts.values()) == 0


def test_a_stop_asked_before_the_read_back_starts_reads_nothing(tmp_path: Path) -> None:
    results = tmp_path / "results.csv"
    results.write_text(THREE_LINES, encoding="utf-8")
    requests: list[httpx.Request] = []
    control = Control()
    control.stop("the job was cancelled")

    def answer(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(500)

    async def job() -> tuple[VerifyReport, list[Event]]:
        return await read_back(
            results, "https://store.vtexcommercestable.com.br", control, SETTINGS,
            httpx.MockTransport(answer),
        )  # fmt: skip

    report, events = asyncio.run(job())

    assert requests == []
    assert [
        (line["row"], line["status"], line["verification"], line["verificationDetail"])
        for line in lines_of(tmp_path / "verified.csv")
    ] == [
        ("2", "sent", "not-checked", "not read: interrupted"),
        ("3", "invalid", "not-checked", "not sent"),
        ("4", "skipped", "not-checked", "not read: interrupted"),
    ]
    assert events[1:] == [
        JobStopped("the job was cancelled"),
        RowDecided(str(results), 2, "not-checked", "not-attempted", 1),
        RowDecided(str(results), 3, "not-checked", "", 2),
        RowDecided(str(results), 4, "not-checked", "not-attempted", 3),
        JobFinished(
            ExitStatus.INTERRUPTED, {"not-checked": 3}, str(tmp_path / "verified.csv"), None, ()
        ),
    ]
    assert report.summary() == (
        "Read back 0 rows sent: 0 verified, 0 mismatch, 0 not-checked. Interrupted: the lines "
        f"not read back are written as not-checked. Results: {tmp_path / 'verified.csv'}"
    )


def test_an_order_that_cannot_be_read_is_told_with_its_code(tmp_path: Path) -> None:
    results = tmp_path / "results.csv"
    results.write_text(THREE_LINES, encoding="utf-8")

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"error": {"code": "OMS007", "message": "Order Not Found"}})

    report, events = asyncio.run(
        read_back(results, "https://store.vtexcommercestable.com.br", Control(), SETTINGS,
                  httpx.MockTransport(answer))
    )  # fmt: skip

    detail = "the order could not be read: OMS007: Order Not Found"
    assert [
        (line["verification"], line["verificationDetail"])
        for line in lines_of(tmp_path / "verified.csv")
    ] == [("not-checked", detail), ("not-checked", "not sent"), ("not-checked", detail)]
    assert [event for event in events if isinstance(event, RowDecided)] == [
        RowDecided(str(results), 2, "not-checked", "OMS007", 1),
        RowDecided(str(results), 3, "not-checked", "", 2),
        RowDecided(str(results), 4, "not-checked", "OMS007", 3),
    ]
    assert report.exit_status == ExitStatus.ROWS_NOT_SENT
    assert report.examples == [f"row 2: not-checked: {detail}", f"row 4: not-checked: {detail}"]


def test_the_access_check_is_awaited_in_a_running_loop() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.headers["X-VTEX-API-AppToken"] != CREDENTIALS.app_token:
            return httpx.Response(401)
        return httpx.Response(404, json={"error": {"code": "OMS007", "message": "not found"}})

    base = "https://mystore.vtexcommercestable.com.br"
    wrong = Credentials(CREDENTIALS.app_key, "another-token-5b8e-Lk2p")
    mocked = httpx.MockTransport(answer)

    async def checks(good_url: str, refusing_url: str) -> list[AccessVerdict]:
        assert asyncio.get_running_loop().is_running()
        return list(
            await asyncio.gather(
                access.check_access(good_url, CREDENTIALS),
                access.check_access(refusing_url, CREDENTIALS),
                access.check_access(base, CREDENTIALS, transport=mocked),
                access.check_access(base, wrong, transport=mocked),
            )
        )

    with (
        Sandbox() as good,
        Sandbox(SandboxConfig(refuse_credentials=401)) as refusing,
    ):
        verdicts = asyncio.run(checks(good.base_url, refusing.base_url))
        # The same verdicts as the check for scripts and the command line gives.
        assert verdicts[:2] == [
            scripting.check_access(good.base_url, CREDENTIALS),
            scripting.check_access(refusing.base_url, CREDENTIALS),
        ]

    refused = (
        "refused the app key or token (401): check VTEX_APP_KEY and VTEX_APP_TOKEN (or "
        "--credentials)"
    )
    assert [(verdict.exit_status, str(verdict.message)) for verdict in verdicts] == [
        (ExitStatus.OK, f"OK: {good.base_url} accepts the key, and the key may update invoices"),
        (ExitStatus.ABORTED, f"{refusing.base_url} {refused}"),
        (ExitStatus.OK, f"OK: {base} accepts the key, and the key may update invoices"),
        (ExitStatus.ABORTED, f"{base} {refused}"),
    ]


def test_the_library_starts_an_event_loop_only_in_its_calls_for_scripts() -> None:
    package = Path(batch_uploader.__file__).parent
    starting = sorted(
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if re.search(r"asyncio\.run\(", path.read_text(encoding="utf-8"))
    )

    assert starting == ["scripting.py"]
    assert batch_uploader.ReadBack is ReadBack
    assert "ReadBack" in batch_uploader.__all__
