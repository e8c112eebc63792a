"""The page's jobs: each a folder of uploaded files, checked at once (a dry run) and, when
the person asks, sent as a task of the server's event loop, one job per account at a time.

A job's folder holds ``files/`` (what was uploaded, under its own names), ``check/`` (the dry
run's outputs) and ``sent/`` (the upload's results, as .csv and .xlsx, rows to fix and
summary.json, and, once checked in VTEX, the orders read back: ``...-verified.csv``).

Until it is sent, a job is read as the person chose on its page (see :mod:`.mapping`), and
checked again each time; a mapping saved for a table's headings (see :mod:`.saved`) is
applied by itself.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import secrets
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import anyio.to_thread

from ..errors import BatchUploaderError
from ..files.columns import EVENTS, TRACKING
from ..files.inputs import Reading, TableReading
from ..files.output_names import default_results_path, verified_path
from ..jobs.control import Control
from ..jobs.deliveries import EventsUpload
from ..jobs.engine import Upload
from ..jobs.read_back import ReadBack, VerifyReport
from ..jobs.tracking import TrackingUpload
from ..models import Source, Status
from .mapping import TableForm
from .saved import MAPPINGS_FILE, SavedMappings
from .settings import PageSettings
from .snapshot import Snapshot
from .targets import Target, Targets
from .watch import Decided, Refused, SentBefore, Watched
from .wording import W_

KINDS = ("tracking", "events")
LAYOUTS = {"tracking": TRACKING, "events": EVENTS}
# The jobs a page keeps in memory, the latest; an older one's files stay in its folder, and
# the history tells its run.
JOBS_KEPT = 50
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
    decided: Decided
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


@dataclass(frozen=True, slots=True)
class Remembered:
    """A table's mapping is saved for the files with its headings: since ``saved_on``, and
    applied by itself (``found``) or saved now."""

    saved_on: dt.date
    found: bool


@dataclass
class PageJob:
    """A job of the page: its ``kind`` (``tracking`` or ``events``), its folder and files
    (``names``, as uploaded), the account it sends to (``target``; none when the page has no
    account yet), its check and, once asked, its sending. ``tables`` are the forms of the
    tables its last check read, ``choices`` how the person chose to read each (its mapping,
    date order and cells typed), ``remembered`` those saved for their headings."""

    id: str
    kind: str
    folder: Path
    paths: list[Path]
    target: Target | None = None
    check: Snapshot = field(default_factory=Snapshot)
    check_refused: Refused | None = None
    # The rows checked that were sent before, per the journal.
    check_sent_before: SentBefore | None = None
    sending: Sending | None = None
    checking: Checking | None = None
    tables: list[TableForm] = field(default_factory=list)
    choices: dict[Source, TableReading] = field(default_factory=dict)
    remembered: dict[Source, Remembered] = field(default_factory=dict)

    @property
    def can_change(self) -> bool:
        """Whether how it is read can still be changed: not once it is sent."""
        return self.sending is None

    @property
    def reading(self) -> Reading:
        """How its files are read, checked and sent: as the person chose for each table."""
        return Reading(tables=dict(self.choices))

    @property
    def corrected_rows(self) -> int:
        """How many rows have a value typed on the page."""
        return sum(len(choice.corrections) for choice in self.choices.values())

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
    """A job cannot be sent now: another one sends to the same account (``holder``), or to
    another while the journal of sent rows, which takes one job at a time, is a file
    (``journal``), or this one was sent already (``holder`` is itself)."""

    def __init__(self, holder: str, *, journal: bool = False) -> None:
        super().__init__(holder)
        self.holder = holder
        self.journal = journal


class Jobs:
    """The page's jobs, by id."""

    def __init__(self, settings: PageSettings) -> None:
        self.settings = settings
        self.kept = JOBS_KEPT
        self.targets = Targets(settings)
        self.jobs: dict[str, PageJob] = {}
        # The job sending to each target.
        self.sending_to: dict[str, str] = {}
        fields = {kind: layout.fields for kind, layout in LAYOUTS.items()}
        self.saved = SavedMappings(settings.state_dir / MAPPINGS_FILE, fields)

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
        # A name holding an app token is kept without it: the outputs are named after it, and
        # what a job writes and shows names them without the token.
        redactor = self.targets.redactor()
        async for name, chunks in files:
            path = _free(inbox / _safe_name(redactor.text(name), len(paths)))
            with path.open("wb") as out:
                async for chunk in chunks:
                    out.write(chunk)
            paths.append(path)
        job = PageJob(job_id, kind if kind in KINDS else KINDS[0], folder, paths, target)
        self.jobs[job_id] = job
        self._forget_oldest(but=job)
        return job

    def _forget_oldest(self, but: PageJob) -> None:
        """Forgets the oldest jobs past :attr:`kept`, never ``but`` (the one just made) nor
        one still sending or read back."""
        idle = [
            job_id
            for job_id, job in self.jobs.items()
            if job is not but and all(run.task is None or run.task.done() for run in _runs(job))
        ]
        for job_id in idle[: max(len(self.jobs) - self.kept, 0)]:
            del self.jobs[job_id]

    async def check(self, job: PageJob) -> None:
        """The dry run of ``job``: how its files were read and which rows would be refused.
        A table read for the first time whose headings have a mapping saved is read again
        with it, unless the files cannot be read with the mappings saved (the file of mappings
        edited by hand): they are then read by their headings, as if none were saved."""
        await self._check(job)
        applied = self._apply_saved(job)
        if applied:
            await self._check(job)
            if job.check.error is not None or job.check.fault:
                _log.warning("the files of job %s cannot be read with the mappings saved", job.id)
                for source in applied:
                    del job.choices[source]
                    del job.remembered[source]
                await self._check(job)

    def choose(
        self, job: PageJob, table: TableForm, reading: TableReading, *, remember: bool
    ) -> None:
        """Reads ``table`` of ``job`` as ``reading`` says (its cells typed are kept) from its
        next check on; with ``remember``, saves it for the files with its headings. Raises
        :class:`OSError` when it cannot be saved (it is used all the same)."""
        kept = job.choices.get(table.source)
        job.choices[table.source] = replace(reading, corrections=kept.corrections if kept else {})
        job.remembered.pop(table.source, None)
        if remember:
            today = dt.date.today()
            headings = {k: name for k, name in reading.headings.items() if not self._secret(k)}
            saved = replace(reading, headings=headings)
            self.saved.save(job.kind, self._signature(table), saved, today)
            job.remembered[table.source] = Remembered(today, found=False)

    def correct(self, job: PageJob, source: Source, corrections: dict[int, dict[str, str]]) -> None:
        """Reads the cells of ``corrections`` (row number to field to value) of the table
        ``source`` with the values typed, over those typed before, from the next check on."""
        kept = job.choices.get(source) or TableReading()
        merged = {number: dict(values) for number, values in kept.corrections.items()}
        for number, values in corrections.items():
            merged.setdefault(number, {}).update(values)
        job.choices[source] = replace(kept, corrections=merged)

    def forget(self, job: PageJob, table: TableForm) -> bool:
        """Forgets the mapping saved for ``table``'s headings (this job keeps reading it as
        it does); whether there was one. Raises :class:`OSError` when it cannot. No table of
        the job with those headings (another sheet) is said to have it saved any more."""
        signature = self._signature(table)
        for other in job.tables:
            if self._signature(other) == signature:
                job.remembered.pop(other.source, None)
        job.remembered.pop(table.source, None)
        return self.saved.forget(job.kind, signature)

    def _signature(self, table: TableForm) -> tuple[str, ...]:
        """The headings a mapping of ``table`` is saved for: those holding an app token left
        out (the file of mappings never holds one)."""
        return tuple(key for key in table.signature if not self._secret(key))

    def _secret(self, text: str) -> bool:
        return self.targets.redactor().holds(text)

    async def _check(self, job: PageJob) -> None:
        refused = Refused(self.targets.redactor())
        job.check_refused = refused
        job.check = Snapshot()
        target = job.target
        job.check_sent_before = SentBefore(
            self.settings.journal if target else None, target.base_url if target else ""
        )
        layout = LAYOUTS[job.kind]

        def opened(upload: Upload) -> None:
            job.tables = [TableForm.of(item, layout) for item in upload.inputs]

        await self._run(
            job, job.check, refused, Control(), sent_before=job.check_sent_before, opened=opened
        )

    def _apply_saved(self, job: PageJob) -> list[Source]:
        """Chooses, for each table of ``job`` read as found, the mapping saved for its
        headings; the tables it chose one for."""
        applied = []
        for table in job.tables:
            if table.source in job.choices:
                continue
            saved = self.saved.find(job.kind, self._signature(table))
            if saved is not None:
                job.choices[table.source] = saved.reading
                job.remembered[table.source] = Remembered(saved.saved_on, found=True)
                applied.append(table.source)
        return applied

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
        if self.settings.journal is not None and self.sending_to:
            # A journal file is locked by the job that opens it: the next job waits its turn,
            # whichever account it sends to.
            raise Busy(next(iter(self.sending_to.values())), journal=True)
        self.sending_to[target] = job.id
        redactor = self.targets.redactor()
        sending = Sending(
            Snapshot(job.target.rate), Control(), Refused(redactor), Decided(redactor)
        )
        job.sending = sending

        async def send() -> None:
            try:
                await self._run(
                    job, sending.snapshot, sending.refused, sending.control, sending.decided
                )
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
        decided: Decided | None = None,
        sent_before: SentBefore | None = None,
        opened: Callable[[Upload], None] | None = None,
    ) -> None:
        dry_run = decided is None
        folder = job.folder / ("check" if dry_run else "sent")
        try:
            upload = self._upload(job, folder, dry_run)
            upload.kind = Watched(
                upload.kind, refused, workbook=not dry_run, decided=decided, sent_before=sent_before
            )
            await anyio.to_thread.run_sync(upload.__enter__)
            try:
                if opened is not None:
                    opened(upload)
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
                settings=sending, dry_run=dry_run, reading=job.reading,
                **target,  # type: ignore[arg-type]
            )  # fmt: skip
        return TrackingUpload(
            job.paths, results_path=results, url_templates=settings.url_templates,
            credentials=credentials, settings=sending, dry_run=dry_run,
            reading=job.reading, **target,  # type: ignore[arg-type]
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
