"""The page's jobs: each a folder of uploaded files, checked at once (a dry run) and, when
the person asks, sent as a task of the server's event loop, one job per account at a time.

A job's folder holds ``files/`` (what was uploaded, under its own names), ``check/`` (the dry
run's outputs) and ``sent/`` (the upload's results, as .csv and .xlsx, rows to fix and
summary.json, and, once checked in VTEX, the orders read back: ``...-verified.csv``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import anyio.to_thread

from ..errors import BatchUploaderError
from ..files.output_names import default_results_path, verified_path
from ..jobs.control import Control
from ..jobs.deliveries import EventsUpload
from ..jobs.engine import Upload
from ..jobs.read_back import ReadBack, VerifyReport
from ..jobs.tracking import TrackingUpload
from ..models import Status
from .settings import PageSettings
from .snapshot import Snapshot
from .targets import Target, Targets
from .watch import Refused, Watched
from .wording import W_

KINDS = ("tracking", "events")
# What a job's id looks like (anything else is no job of the page).
_ID = re.compile(r"[0-9a-f]{16}")
# Why a job stopped, as its results say: the page closed, or its Stop button.
CLOSED = W_("the page was closed")
STOPPED = W_("it was stopped on the page")
_log = logging.getLogger(__name__)


@dataclass
class Sending:
    """A job being sent (or sent): where it stands, what stops it, and its task."""

    snapshot: Snapshot
    control: Control
    refused: Refused
    task: asyncio.Task[None] | None = None


@dataclass
class Checking:
    """A job's orders being read back from VTEX (or read back): its ``report`` once done, or
    why it could not be (``error``, or a ``fault`` of batch-uploader)."""

    control: Control = field(default_factory=Control)
    report: VerifyReport | None = None
    error: BatchUploaderError | None = None
    fault: bool = False
    over: bool = False
    task: asyncio.Task[None] | None = None


@dataclass
class PageJob:
    """A job of the page: its ``kind`` (``tracking`` or ``events``), its folder and files
    (``names``, as uploaded), the account it sends to (``target``; none when the page has no
    account yet), its check and, once asked, its sending."""

    id: str
    kind: str
    folder: Path
    paths: list[Path]
    target: Target | None = None
    check: Snapshot = field(default_factory=Snapshot)
    check_refused: Refused | None = None
    sending: Sending | None = None
    checking: Checking | None = None

    @property
    def can_send(self) -> bool:
        """Whether it can be sent: an account to send to, its files checked whole, with rows
        to send."""
        check = self.check
        return (
            self.target is not None
            and check.over
            and check.error is None
            and not check.fault
            and check.count(Status.VALID) > 0
        )

    @property
    def can_check(self) -> bool:
        """Whether its orders can be read back now: tracking numbers sent, the sending over
        with its results written, and no read-back asked yet."""
        sending = self.sending
        return (
            self.kind == "tracking"
            and self.checking is None
            and sending is not None
            and sending.snapshot.over
            and sending.snapshot.report.results_path is not None
        )

    @property
    def names(self) -> list[str]:
        return [path.name for path in self.paths]


class Busy(Exception):
    """A job cannot be sent now: another one sends to the same account (``holder``), or this
    one was sent already (``holder`` is itself)."""

    def __init__(self, holder: str) -> None:
        super().__init__(holder)
        self.holder = holder


class Jobs:
    """The page's jobs, by id."""

    def __init__(self, settings: PageSettings) -> None:
        self.settings = settings
        self.targets = Targets(settings)
        self.jobs: dict[str, PageJob] = {}
        # The job sending to each target.
        self.sending_to: dict[str, str] = {}

    def get(self, job_id: str) -> PageJob | None:
        return self.jobs.get(job_id) if _ID.fullmatch(job_id) else None

    async def create(
        self,
        kind: str,
        files: AsyncIterator[tuple[str, AsyncIterator[bytes]]],
        target: Target | None = None,
    ) -> PageJob:
        """A new job of ``kind`` holding ``files`` (each a name and its bytes), saved in a
        folder of its own, to be sent to ``target``."""
        job_id = secrets.token_hex(8)
        folder = self.settings.state_dir / job_id
        inbox = folder / "files"
        inbox.mkdir(parents=True)
        paths: list[Path] = []
        async for name, chunks in files:
            path = _free(inbox / _safe_name(name, len(paths)))
            with path.open("wb") as out:
                async for chunk in chunks:
                    out.write(chunk)
            paths.append(path)
        job = PageJob(job_id, kind if kind in KINDS else KINDS[0], folder, paths, target)
        self.jobs[job_id] = job
        return job

    async def check(self, job: PageJob) -> None:
        """The dry run of ``job``: how its files were read and which rows would be refused."""
        refused = Refused(self.targets.redactor())
        job.check_refused = refused
        job.check = Snapshot()
        await self._run(job, job.check, refused, Control(), dry_run=True)

    def send(self, job: PageJob) -> None:
        """Starts sending ``job`` to its account; raises :class:`Busy` when it cannot be sent
        now."""
        if job.target is None:
            raise ValueError("a job without an account cannot be sent")
        target = job.target.base_url
        if job.sending is not None:
            raise Busy(job.id)
        holder = self.sending_to.get(target)
        if holder is not None:
            raise Busy(holder)
        self.sending_to[target] = job.id
        sending = Sending(Snapshot(job.target.rate), Control(), Refused(self.targets.redactor()))
        job.sending = sending

        async def send() -> None:
            try:
                await self._run(job, sending.snapshot, sending.refused, sending.control)
            finally:
                if self.sending_to.get(target) == job.id:
                    del self.sending_to[target]

        sending.task = asyncio.get_running_loop().create_task(send(), name=f"job {job.id}")

    def check_in_vtex(self, job: PageJob) -> bool:
        """Starts reading back the orders ``job`` sent, from the account it sent to; whether
        it started (not when the job cannot be checked, or was checked already)."""
        target = job.target
        if not job.can_check or job.sending is None or target is None:
            return False
        results = job.sending.snapshot.report.results_path
        if results is None:
            return False
        checking = Checking()
        job.checking = checking
        settings = self.settings

        async def read() -> None:
            try:
                reading = ReadBack(
                    results,
                    verified_path(results),
                    base_url=target.base_url,
                    credentials=target.credentials,
                    settings=replace(settings.sending, rate=target.rate),
                )
                await anyio.to_thread.run_sync(reading.__enter__)
                try:
                    checking.report = await reading.run(checking.control)
                finally:
                    reading.__exit__(None, None, None)
            except BatchUploaderError as error:
                checking.error = error
            except Exception:
                _log.exception("job %s: a fault of batch-uploader reading the orders back", job.id)
                checking.fault = True
            finally:
                checking.over = True

        checking.task = asyncio.get_running_loop().create_task(read(), name=f"check {job.id}")
        return True

    def stop(self, job: PageJob) -> None:
        """Stops sending ``job``: the requests in flight end, nothing more is sent."""
        if job.sending is not None:
            job.sending.control.stop(STOPPED)

    def stop_all(self, *, abort: bool = False) -> None:
        """Stops every job sending or read back (the page is closing); ``abort`` ends them at
        once."""
        for job in self.jobs.values():
            for run in _runs(job):
                run.control.stop(CLOSED)
                if abort:
                    run.control.abort()

    async def close(self, grace: float = 15.0) -> None:
        """Stops every job sending and waits for them to settle their rows (``grace``
        seconds, then they are aborted)."""
        self.stop_all()
        runs = [run for job in self.jobs.values() for run in _runs(job) if run.task is not None]
        if not runs:
            return
        _, pending = await asyncio.wait([run.task for run in runs if run.task], timeout=grace)
        for run in runs:
            if run.task in pending:
                run.control.abort()
        if pending:
            await asyncio.wait(pending, timeout=5)

    async def _run(
        self,
        job: PageJob,
        snapshot: Snapshot,
        refused: Refused,
        control: Control,
        *,
        dry_run: bool = False,
    ) -> None:
        folder = job.folder / ("check" if dry_run else "sent")
        try:
            upload = self._upload(job, folder, dry_run)
            upload.kind = Watched(upload.kind, refused, workbook=not dry_run)
            await anyio.to_thread.run_sync(upload.__enter__)
            try:
                await upload.run(control, snapshot.tell)
            finally:
                upload.__exit__(None, None, None)
        except BatchUploaderError as error:
            snapshot.fail(error)
        except Exception:
            _log.exception("job %s: a fault of batch-uploader", job.id)
            snapshot.fail(None)
        finally:
            snapshot.end()

    def _upload(self, job: PageJob, folder: Path, dry_run: bool) -> Upload:
        settings = self.settings
        results = default_results_path(job.paths, folder, dt.datetime.now(dt.UTC))
        # A check needs no account, but refuses the rows holding its token when it has one.
        credentials = None if job.target is None else job.target.credentials
        sending = settings.sending
        target: dict[str, object] = {}
        if not dry_run and job.target is not None:
            sending = replace(sending, rate=job.target.rate)
            target = {"base_url": job.target.base_url, "journal_path": settings.journal}
        if job.kind == "events":
            return EventsUpload(
                job.paths, results_path=results, credentials=credentials,
                settings=sending, dry_run=dry_run, **target,  # type: ignore[arg-type]
            )  # fmt: skip
        return TrackingUpload(
            job.paths, results_path=results, url_templates=settings.url_templates,
            credentials=credentials, settings=sending, dry_run=dry_run,
            **target,  # type: ignore[arg-type]
        )  # fmt: skip


def _runs(job: PageJob) -> list[Sending | Checking]:
    """``job``'s sending and its read-back, as far as they were asked."""
    return [run for run in (job.sending, job.checking) if run is not None]


# An uploaded name's bytes, with its extension: a file system takes 255, and the outputs named
# after it add to it ("-results-20261130T221601Z.csv", a sheet's name).
_NAME_BYTES = 120
_SUFFIX_CHARACTERS = 8


def _safe_name(name: str, number: int) -> str:
    """An uploaded file's name, as a plain name in the job's folder (never a path), its
    extension kept and short enough for the names its outputs are given after it."""
    base = re.sub(r"[\x00-\x1f/]", "", Path(name.replace("\\", "/")).name).strip()
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    suffix = suffix.strip()[:_SUFFIX_CHARACTERS]
    room = _NAME_BYTES - len(suffix.encode()) - 1  # the dot
    # Cut by bytes, not characters (a file system counts bytes): a cut character is dropped.
    stem = (
        stem.strip(". ").encode()[:room].decode("utf-8", "ignore").strip() or f"file-{number + 1}"
    )
    return f"{stem}.{suffix}" if suffix else stem


def _free(path: Path) -> Path:
    """``path``, or ``name-2.ext``... when two uploaded files have one name."""
    candidate, number = path, 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
    return candidate
