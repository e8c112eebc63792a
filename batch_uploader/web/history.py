"""What the page tells of earlier runs: the journals it reads (its own, and each nightly
inbox's), their runs with their counts and outputs, the rows of a run or of an order, and
each inbox's files rejected or still waiting.

Everything here reads files (SQLite, folders) and blocks: the pages call it in a thread.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BatchUploaderError
from ..exit_statuses import ExitStatus
from ..files.output_names import summary_path
from ..jobs import inbox
from ..jobs.journal import HistoryLine, Journal, RunLine, damaged
from .watch import workbook_of
from .wording import W_

# Runs listed on one page of the history.
RUNS_SHOWN = 50
# Rows of a run, or of an order, listed on a page (the results file has them all).
ROWS_SHOWN = 1000
# Rejected files of an inbox listed, newest first.
REJECTED_SHOWN = 20
# After this long without a run, an inbox's nightly job is said not to have run.
NIGHTLY_GAP = dt.timedelta(hours=36)
# The largest run number a journal can hold (SQLite's integers are 64-bit).
_LARGEST_ID = 2**63 - 1

# What a run's exit status says, in the page's words.
ENDINGS = {
    ExitStatus.OK: W_("every row landed"),
    ExitStatus.ROWS_NOT_SENT: W_("some rows were not sent"),
    ExitStatus.USAGE: W_("the files could not be worked with"),
    ExitStatus.ABORTED: W_("stopped early"),
    ExitStatus.CANNOT_WRITE: W_("the disk refused to write"),
    ExitStatus.INTERNAL_ERROR: W_("a fault of batch-uploader"),
    ExitStatus.INTERRUPTED: W_("interrupted"),
}
# The states of a journal's rows, in the page's words.
STATE_NAMES = {
    "sent": W_("sent"),
    "skipped": W_("skipped"),
    "invalid": W_("refused"),
    "failed": W_("failed"),
    "pending": W_("waiting, never sent"),
    "in-flight": W_("sent, never answered"),
}
NEVER_FINISHED = W_("never finished (the program was stopped or crashed)")
RUNNING = W_("under way")


@dataclass(frozen=True)
class Ledger:
    """A journal the page reads: ``key`` names it in addresses (``page``, ``inbox-1``...);
    ``inbox`` is the inbox folder whose nightly runs it records, if any. Its runs' outputs may
    be downloaded when they lie under one of ``roots``."""

    key: str
    journal: Path
    inbox: Path | None = None
    roots: tuple[Path, ...] = ()

    @property
    def name(self) -> str:
        """The inbox's folder name, or ``""`` for the page's own journal."""
        return "" if self.inbox is None else self.inbox.name


@dataclass(frozen=True)
class PastRun:
    """A run of a journal, with how many of its rows ended in each state."""

    ledger: Ledger
    line: RunLine
    counts: dict[str, int]

    @property
    def names(self) -> list[str]:
        return [Path(name).name for name in self.line.files]

    @property
    def started(self) -> dt.datetime:
        return moment(self.line.started_at)

    @property
    def ended(self) -> str:
        """How it ended, in the page's (untranslated) words."""
        status = self.line.exit_status
        if status is None:
            return RUNNING if self.line.finished_at is None and self.recent else NEVER_FINISHED
        return ENDINGS.get(status, NEVER_FINISHED)

    @property
    def ok(self) -> bool:
        return self.line.exit_status == ExitStatus.OK

    @property
    def recent(self) -> bool:
        # A run with no end that started within the day may still be sending.
        return dt.datetime.now(dt.UTC) - self.started < dt.timedelta(hours=24)

    def count(self, state: str) -> int:
        return self.counts.get(state, 0)

    @property
    def not_sent(self) -> int:
        """Rows refused, failed, or left waiting or in flight by a run that never ended."""
        return sum(n for state, n in self.counts.items() if state not in ("sent", "skipped"))

    def outputs(self) -> list[Path]:
        """The files it wrote that are still there: its results (as .csv and .xlsx), their
        summary and the rows to fix the summary names, each under the ledger's roots."""
        if self.line.results is None:
            return []
        results = Path(self.line.results)
        found = [results, workbook_of(results), summary_path(results)]
        found += _rows_to_fix(summary_path(results))
        unique = list(dict.fromkeys(found))
        return [path for path in unique if path.is_file() and self._inside_roots(path)]

    def _inside_roots(self, path: Path) -> bool:
        real = path.resolve()
        return any(real.is_relative_to(root.resolve()) for root in self.ledger.roots)


@dataclass(frozen=True)
class Rejected:
    """A file an inbox rejected: its name, when, and why (as the inbox wrote it)."""

    name: str
    when: dt.datetime
    reason: str


@dataclass
class InboxState:
    """An inbox as the morning finds it: its latest run, the runs of the day before it that
    did not land every row, the files rejected, and those still waiting to be taken."""

    ledger: Ledger
    latest: PastRun | None = None
    last_night: list[PastRun] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    error: BatchUploaderError | None = None

    @property
    def silent(self) -> bool:
        """Whether its nightly job seems not to have run: no run for a day and a half."""
        latest = max(
            ([self.latest.started] if self.latest else [])
            + [item.when for item in self.rejected[:1]],
            default=None,
        )
        return latest is None or dt.datetime.now(dt.UTC) - latest > NIGHTLY_GAP

    @property
    def not_landed(self) -> list[PastRun]:
        return [run for run in self.last_night if not run.ok]


class History:
    """The history the page tells, from its ``ledgers``."""

    def __init__(self, ledgers: list[Ledger]) -> None:
        self.ledgers = ledgers

    @classmethod
    def of(cls, journal: Path | None, inboxes: tuple[Path, ...], state_dir: Path) -> History:
        """The history of the page's ``journal`` and of each of ``inboxes`` (read from its own
        journal); one journal read once even when an inbox shares it."""
        ledgers: list[Ledger] = []
        seen: dict[Path, int] = {}
        if journal is not None:
            ledgers.append(Ledger("page", journal, roots=(state_dir, journal.parent)))
            seen[journal.resolve()] = 0
        for number, folder in enumerate(inboxes, start=1):
            path = inbox.journal_path(folder)
            roots = (folder / inbox.DONE, path.parent)
            if path.resolve() in seen:
                index = seen[path.resolve()]
                shared = ledgers[index]
                ledgers[index] = Ledger(shared.key, shared.journal, folder, shared.roots + roots)
                continue
            seen[path.resolve()] = len(ledgers)
            ledgers.append(Ledger(f"inbox-{number}", path, folder, roots))
        return cls(ledgers)

    def ledger(self, key: str) -> Ledger | None:
        return next((ledger for ledger in self.ledgers if ledger.key == key), None)

    def runs(self, *, file_name: str = "", limit: int = RUNS_SHOWN) -> list[PastRun]:
        """The latest runs of every journal, newest first (only of files named like
        ``file_name`` when given)."""
        found: list[PastRun] = []
        for ledger in self.ledgers:
            found += self._runs(ledger, limit, file_name)
        found.sort(key=lambda run: run.line.started_at, reverse=True)
        return found[:limit]

    def run(self, key: str, run_id: int) -> PastRun | None:
        ledger = self.ledger(key)
        if ledger is None or not ledger.journal.is_file() or run_id > _LARGEST_ID:
            return None
        with _reading(ledger.journal) as journal:
            line = journal.run(run_id)
            if line is None:
                return None
            return PastRun(ledger, _checked(line), journal.counts([run_id])[run_id])

    def rows(self, run: PastRun, state: str | None) -> list[HistoryLine]:
        with _reading(run.ledger.journal) as journal:
            return journal.rows_of(run.line.id, state=state, limit=ROWS_SHOWN)

    def order(self, order_id: str) -> list[tuple[Ledger, HistoryLine]]:
        """Every row of every journal for ``order_id``, the latest first."""
        found: list[tuple[Ledger, HistoryLine]] = []
        for ledger in self.ledgers:
            if ledger.journal.is_file():
                with _reading(ledger.journal) as journal:
                    found += [(ledger, line) for line in journal.history(order_id=order_id)]
        found.sort(key=lambda item: item[1].updated_at, reverse=True)
        return found[:ROWS_SHOWN]

    def inboxes(self) -> list[InboxState]:
        """Each inbox as the morning finds it."""
        return [self._inbox(ledger) for ledger in self.ledgers if ledger.inbox is not None]

    def _inbox(self, ledger: Ledger) -> InboxState:
        assert ledger.inbox is not None
        state = InboxState(ledger)
        try:
            runs = self._runs(ledger, RUNS_SHOWN, "")
        except BatchUploaderError as error:
            state.error = error
            runs = []
        if runs:
            state.latest = runs[0]
            # The night of the latest run: every run within the day before it.
            since = runs[0].started - dt.timedelta(hours=24)
            state.last_night = [run for run in runs if run.started >= since]
        state.rejected = rejected_files(ledger.inbox)
        state.waiting = waiting_files(ledger.inbox)
        return state

    def _runs(self, ledger: Ledger, limit: int, file_name: str) -> list[PastRun]:
        if not ledger.journal.is_file():
            return []
        with _reading(ledger.journal) as journal:
            lines = [_checked(line) for line in journal.runs(limit, file_name=file_name)]
            counts = journal.counts([line.id for line in lines])
        return [PastRun(ledger, line, counts[line.id]) for line in lines]


@contextlib.contextmanager
def _reading(path: Path) -> Iterator[Journal]:
    """The journal at ``path``, opened to read: a file that is no journal, or a damaged one,
    raises a :class:`UsageError` saying so (as sending with it would), not the database's own
    error."""
    try:
        with Journal(path, read_only=True) as journal:
            yield journal
    except (sqlite3.Error, ValueError, TypeError) as error:
        reason = str(error) if isinstance(error, sqlite3.Error) else "a run cannot be read"
        raise damaged(path, reason) from None


def _checked(line: RunLine) -> RunLine:
    """``line``, once its files and start are as a journal writes them (else ValueError)."""
    if not isinstance(line.files, list) or not all(isinstance(name, str) for name in line.files):
        raise ValueError("a run's files are not a list of names")
    moment(str(line.started_at))
    return line


def rejected_files(folder: Path) -> list[Rejected]:
    """The files the inbox at ``folder`` rejected, newest first, with the reason it wrote."""
    found: list[Rejected] = []
    rejected = folder / inbox.REJECTED
    if not rejected.is_dir():
        return found
    for reason in rejected.glob(f"*{inbox.REASON}"):
        try:
            text = reason.read_text(encoding="utf-8", errors="replace")
            when = dt.datetime.fromtimestamp(reason.stat().st_mtime, dt.UTC)
        except OSError:
            continue  # gone since listed, or not ours to read: the folder still shows it
        # Its first line is the reason (the file named by its path, which the page names by
        # its name alone); the rest says to move it back once fixed.
        why = text.split("\n")[0].replace(f"{folder}{os.sep}", "")
        found.append(Rejected(reason.name.removesuffix(inbox.REASON), when, why))
    found.sort(key=lambda item: item.when, reverse=True)
    return found[:REJECTED_SHOWN]


def waiting_files(folder: Path) -> list[str]:
    """The names of the files in the inbox at ``folder`` that its next run takes."""
    try:
        return [path.name for path in inbox.candidates(folder)]
    except OSError:
        return []


def moment(text: str) -> dt.datetime:
    """A journal's time (``2026-11-30T03:00:05Z``) as an aware datetime."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _rows_to_fix(summary: Path) -> list[Path]:
    try:
        data = json.loads(summary.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return []
    outputs = data.get("outputs") if isinstance(data, dict) else None
    to_fix = outputs.get("toFix") if isinstance(outputs, dict) else None
    return (
        [Path(path) for path in to_fix if isinstance(path, str)] if isinstance(to_fix, list) else []
    )
