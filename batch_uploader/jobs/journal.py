"""The journal: a SQLite ledger of every row of every upload.

It makes a run safe to repeat. A row VTEX accepted is committed with its receipt as soon as the
answer arrives, so after a crash, a kill or a second run of the same file, rows already sent
(same target, order, invoice and payload) are skipped with their earlier receipt and only the
rest is sent. A lock keeps two runs from using one journal at once.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import itertools
import json
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from .. import message_codes
from ..errors import UsageError
from ..messages import N_, Message, RunMessage, dump, load
from ..models import Delivery, InvoiceUpdate, Outcome, Row, Status
from ..redaction import Redactor
from ..rules import row_codes
from ..rules.hints import Hint
from .locks import take_lock

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    target TEXT NOT NULL,
    files TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    exit_status INTEGER,
    results TEXT
);
CREATE TABLE IF NOT EXISTS rows (
    run_id INTEGER NOT NULL REFERENCES runs (id),
    file TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    sheet TEXT NOT NULL,
    row INTEGER NOT NULL,
    target TEXT NOT NULL,
    order_id TEXT NOT NULL,
    invoice_number TEXT NOT NULL,
    payload_hash TEXT,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    http_status INTEGER,
    receipt TEXT,
    error_code TEXT,
    error_message TEXT,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (run_id, fingerprint, sheet, row)
);
-- What a row's error said, as messages to translate (see messages.dump); a table of its own,
-- which earlier versions writing rows leave alone.
CREATE TABLE IF NOT EXISTS said (
    run_id INTEGER NOT NULL,
    fingerprint TEXT NOT NULL,
    sheet TEXT NOT NULL,
    row INTEGER NOT NULL,
    messages TEXT NOT NULL,
    PRIMARY KEY (run_id, fingerprint, sheet, row)
);
CREATE INDEX IF NOT EXISTS rows_sent
    ON rows (target, order_id, invoice_number, payload_hash) WHERE state = 'sent';
CREATE INDEX IF NOT EXISTS rows_order ON rows (order_id);
CREATE INDEX IF NOT EXISTS rows_fingerprint ON rows (fingerprint);
"""
# Rows other than sent ones are committed in batches at least this often (seconds).
_COMMIT_INTERVAL = 0.25
# How a failure that is no refusal of the disk begins: the journal's file is damaged.
DAMAGED = "damaged"
# States besides the final ones of the results (sent, invalid, failed, skipped).
PENDING = "pending"
IN_FLIGHT = "in-flight"


def fingerprint(path: Path) -> str:
    """The SHA-256 of a file's bytes: the same content is the same file, whatever its name."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


@functools.lru_cache(maxsize=4096)  # asked for each update when checked, queued and recorded
def payload_hash(update: InvoiceUpdate) -> str:
    """A hash of what is sent for a row, so a corrected row is told from a repeated one."""
    canonical = json.dumps(update.body(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


# The columns of a :class:`HistoryLine`.
_LINE = (
    "run_id, file, sheet, row, order_id, invoice_number, state, attempts, http_status, receipt, "
    "error_code, error_message, updated_at"
)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class SentBefore:
    """An earlier delivery of the same update to the same target."""

    receipt: str | None
    sent_at: str
    run_id: int
    file: str
    row: int

    def delivery(self) -> Delivery:
        """What becomes of an update sent before: skipped, with the earlier receipt."""
        return Delivery(
            Status.SKIPPED,
            receipt=self.receipt,
            error_code=row_codes.ALREADY_SENT,
            error=Message(
                N_("already sent on {date} ({file} row {row}, run {run}); {hint}"),
                {
                    "date": self.sent_at,
                    "file": self.file,
                    "row": self.row,
                    "run": self.run_id,
                    "hint": Hint.FORCE,
                },
            ),
        )


@dataclass(frozen=True, slots=True)
class HistoryLine:
    """One row of one run, as the journal holds it."""

    run_id: int
    file: str
    sheet: str
    row: int
    order_id: str
    invoice_number: str
    state: str
    attempts: int
    http_status: int | None
    receipt: str | None
    error_code: str | None
    error_message: str | None
    updated_at: str
    # Its error's messages, as dumped (see messages.dump); None when not kept.
    said: str | None = None

    @property
    def messages(self) -> tuple[Message, ...]:
        """What its error said, to be worded in a person's language (none when the journal
        did not keep it: ``error_message`` says it in English)."""
        return load(self.said) if self.said else ()


@dataclass(frozen=True, slots=True)
class RunLine:
    """One run, as the journal holds it."""

    id: int
    target: str
    files: list[str]
    started_at: str
    finished_at: str | None
    exit_status: int | None
    # Where its results were written (not known for runs recorded before it was kept).
    results: str | None = None


def damaged(path: Path | None, reason: str) -> UsageError:
    """The error of the journal at ``path`` found damaged (``reason``: what was found)."""
    return UsageError(
        RunMessage(
            message_codes.JOURNAL_DAMAGED,
            N_(
                "journal {journal} is damaged ({reason}); move it aside (keep it: it "
                "records what was sent, which a new journal sends again) and run again, "
                "or {hint}"
            ),
            {"journal": str(path), "reason": reason, "hint": Hint.JOURNAL},
        )
    )


class Journal:
    """The ledger at ``path`` (``None`` for one kept in memory, for the sandbox and tests).

    Open it as a context manager: that takes the lock, which another process holding it makes
    fail with a :class:`UsageError` naming the holder. ``read_only`` takes no lock.
    ``redactor`` takes the run's secrets out of the error texts it keeps (they may quote a
    cell).

    Once open, a write the disk refuses (full, damaged, made read-only) raises nothing: the
    journal records nothing more, ``failure`` says why, and ``on_failure`` is told (with what
    failed and why) so that the run stops sending at once.
    """

    def __init__(
        self,
        path: Path | None,
        *,
        read_only: bool = False,
        redactor: Redactor | None = None,
        on_failure: Callable[[str, str], None] | None = None,
    ) -> None:
        self.path = path
        self.read_only = read_only
        self._redactor = redactor or Redactor(())
        self.on_failure = on_failure
        self.failure: str | None = None
        self._lock: IO[str] | None = None
        self._connection: sqlite3.Connection | None = None
        self._last_commit = 0.0
        self._fingerprints: dict[str, str] = {}

    def __enter__(self) -> Self:
        if self.path is not None and self.read_only:
            # Reading takes no lock, so a run in progress can be looked into.
            if not self.path.is_file():
                raise UsageError(
                    RunMessage(
                        message_codes.NO_JOURNAL,
                        N_("no journal at {journal}: nothing was uploaded with it yet"),
                        {"journal": str(self.path)},
                    )
                )
            self._connection = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True)
            return self
        if self.path is not None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise UsageError(
                    RunMessage(
                        message_codes.JOURNAL_FOLDER_NOT_CREATED,
                        N_(
                            "cannot create the folder {folder} of the journal: {reason}; let "
                            "batch-uploader write there, or {hint}"
                        ),
                        {
                            "folder": str(self.path.parent),
                            "reason": str(error.strerror),
                            "hint": Hint.JOURNAL,
                        },
                    )
                ) from None
            # Named after the file itself: two paths to one journal (a link) take one lock.
            real = self.path.resolve()
            self._lock = take_lock(
                real.with_name(real.name + ".lock"), f"the journal {self.path}", Hint.JOURNAL_THIS
            )
        try:
            self._connection = sqlite3.connect(self.path or ":memory:", timeout=10)
            self._connection.execute("PRAGMA journal_mode = WAL")  # ignored in memory
            # WAL with synchronous NORMAL: a commit survives a crash or kill of this process
            # without waiting for the disk; only a power cut may lose the last fraction of a
            # second, whose rows are then sent again (the request is idempotent in effect).
            self.db.execute("PRAGMA synchronous = NORMAL")
            # Every page read once: a damaged one found now stops the run before any request,
            # not half-way through it (a fraction of a second for a million rows).
            (verdict,) = self.db.execute("PRAGMA quick_check(1)").fetchone()
            if verdict != "ok":
                raise sqlite3.DatabaseError(verdict)
            self._migrate()
        except sqlite3.OperationalError as error:
            self.__exit__(None, None, None)
            raise UsageError(
                RunMessage(
                    message_codes.JOURNAL_NOT_OPENED,
                    N_(
                        "journal {journal} cannot be opened: {reason}; let batch-uploader write to "
                        "it and to its folder, or {hint}"
                    ),
                    {"journal": str(self.path), "reason": str(error), "hint": Hint.JOURNAL},
                )
            ) from None
        except sqlite3.DatabaseError as error:
            self.__exit__(None, None, None)
            raise damaged(self.path, str(error)) from None
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._connection is not None:
            if self.failure is None:
                with self._guard():
                    self._connection.commit()
            self._connection.close()
            self._connection = None
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    @property
    def db(self) -> sqlite3.Connection:
        assert self._connection is not None, "use Journal as a context manager"
        return self._connection

    def _migrate(self) -> None:
        (version,) = self.db.execute("PRAGMA user_version").fetchone()
        if version > SCHEMA_VERSION:
            raise UsageError(
                RunMessage(
                    message_codes.JOURNAL_TOO_NEW,
                    N_(
                        "journal {journal} was written by a newer batch-uploader (schema "
                        "{version}); upgrade batch-uploader or {hint}"
                    ),
                    {"journal": str(self.path), "version": version, "hint": Hint.JOURNAL_OTHER},
                )
            )
        self.db.executescript(_SCHEMA)
        if not self._has_results_column():
            # Added to journals of earlier versions: a column more, which they ignore.
            self.db.execute("ALTER TABLE runs ADD COLUMN results TEXT")
        self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        self.db.commit()

    def start_run(self, target: str, files: Sequence[Path], results: Path | None = None) -> int:
        """Records the start of a run (writing its results to ``results``) and returns its
        id."""
        for path in files:
            self._fingerprints[str(path)] = fingerprint(path)
        if self.failure is not None:
            return 0
        with self._guard():
            cursor = self.db.execute(
                "INSERT INTO runs (target, files, started_at, results) VALUES (?, ?, ?, ?)",
                (
                    target,
                    json.dumps([str(path) for path in files]),
                    _now(),
                    None if results is None else str(results),
                ),
            )
            self.db.commit()
            assert cursor.lastrowid is not None
            return cursor.lastrowid
        return 0  # recorded nowhere: the run stops before sending anything

    def finish_run(self, run_id: int, exit_status: int) -> None:
        if self.failure is not None:
            return
        with self._guard():
            self.db.execute(
                "UPDATE runs SET finished_at = ?, exit_status = ? WHERE id = ?",
                (_now(), exit_status, run_id),
            )
            self.db.commit()

    def sent_before(self, target: str, update: InvoiceUpdate) -> SentBefore | None:
        """The earliest delivery of exactly this update to ``target``, if any; ``None`` too
        when the journal failed (the run sends nothing more then)."""
        found = None
        if self.failure is not None:
            return None
        with self._guard():
            found = self.db.execute(
                "SELECT receipt, updated_at, run_id, file, row FROM rows WHERE state = 'sent' "
                "AND target = ? AND order_id = ? AND invoice_number = ? AND payload_hash = ? "
                "ORDER BY updated_at LIMIT 1",
                (target, update.order_id, update.invoice_number, payload_hash(update)),
            ).fetchone()
        return SentBefore(*found) if found else None

    def queued(self, run_id: int, target: str, row: Row, update: InvoiceUpdate) -> None:
        """Records that ``row`` waits to be sent (committed with the next batch)."""
        self._write(run_id, target, row, update.order_id, update.invoice_number,
                    payload_hash(update), PENDING)  # fmt: skip

    def in_flight(self, run_id: int, row: Row) -> None:
        """Records, and commits, that a request for ``row`` is leaving: after a crash, such a
        row may or may not have reached VTEX, and is sent again. When that cannot be
        recorded, the run is stopped (``on_failure``) before the request leaves."""
        if self.failure is not None:
            return
        with self._guard():
            self.db.execute(
                "UPDATE rows SET state = ?, attempts = attempts + 1, updated_at = ? "
                "WHERE run_id = ? AND fingerprint = ? AND sheet = ? AND row = ?",
                (IN_FLIGHT, _now(), run_id, self._fingerprints.get(row.source.file, ""),
                 row.source.sheet or "", row.number),
            )  # fmt: skip
            self._commit()

    def record(self, run_id: int, target: str, outcome: Outcome) -> None:
        """Records a row's final state; a sent row is committed at once, others in batches."""
        row, update, delivery = outcome.row, outcome.update, outcome.delivery
        self._write(
            run_id,
            target,
            row,
            update.order_id if update else row.get("orderId"),
            update.invoice_number if update else row.get("invoiceNumber"),
            payload_hash(update) if update else None,
            outcome.status.value,
            delivery.attempts if delivery else 0,
            delivery.http_status if delivery else None,
            delivery.receipt if delivery else None,
            (delivery.error_code if delivery else ";".join(e.code for e in outcome.errors)) or None,
            (delivery.error_text() if delivery else "; ".join(e.text() for e in outcome.errors))
            or None,
            ((delivery.error,) if delivery.error else ()) if delivery else outcome.errors,
        )
        if (
            outcome.status is Status.SENT
            or time.monotonic() - self._last_commit >= _COMMIT_INTERVAL
        ):
            self._commit()

    def _commit(self) -> None:
        if self.failure is not None:
            return
        with self._guard():
            self.db.commit()
            self._last_commit = time.monotonic()

    @contextlib.contextmanager
    def _guard(self) -> Iterator[None]:
        """A SQLite error in the block (a full disk, a damaged page, a file made read-only)
        makes the journal fail: see the class. Callers look at ``failure`` first."""
        try:
            yield
        except sqlite3.Error as error:
            # An operational error is the disk's (full, read-only); any other, a damaged file.
            damaged = not isinstance(error, sqlite3.OperationalError)
            self.failure = f"{DAMAGED}: {error}" if damaged else str(error)
            if self.on_failure is not None:
                where = "the journal" + (f" {self.path}" if self.path else " (in memory)")
                self.on_failure(where, self.failure)

    def _write(
        self,
        run_id: int,
        target: str,
        row: Row,
        order_id: str,
        invoice_number: str,
        payload: str | None,
        state: str,
        attempts: int = 0,
        http_status: int | None = None,
        receipt: str | None = None,
        error_code: str | None = None,
        error_message: str | None = None,
        said: Sequence[Message] = (),
    ) -> None:
        if self.failure is not None:
            return
        file = row.source.file
        # A row refused for holding a secret keeps it out of its order and invoice too.
        order_id, invoice_number = self._redactor.cells([order_id, invoice_number])
        if error_message is not None:
            error_message = self._redactor.text(error_message)
        with self._guard():
            self.db.execute(
                f"INSERT OR REPLACE INTO rows VALUES ({', '.join('?' * 16)})",
                (run_id, file, self._fingerprints.get(file, ""), row.source.sheet or "",
                 row.number, target, order_id, invoice_number, payload, state, attempts,
                 http_status, receipt, error_code, error_message, _now()),
            )  # fmt: skip
            if said:
                self.db.execute(
                    "INSERT OR REPLACE INTO said VALUES (?, ?, ?, ?, ?)",
                    (run_id, self._fingerprints.get(file, ""), row.source.sheet or "", row.number,
                     dump([message.redacted(self._redactor) for message in said])),
                )  # fmt: skip

    def runs(self, limit: int = 20, *, offset: int = 0, file_name: str = "") -> list[RunLine]:
        """The latest runs, newest first, from the ``offset``-th; with ``file_name``, only the
        runs of a file whose name holds it (in any case)."""
        found = self.db.execute(
            f"SELECT id, target, files, started_at, finished_at, exit_status, {self._results()} "
            "FROM runs ORDER BY id DESC"
        )
        lines = (RunLine(i, t, json.loads(f), s, e, x, r) for i, t, f, s, e, x, r in found)
        if file_name:
            # Matched here, not in SQL: the names are JSON-escaped there, and LIKE ignores the
            # case of ASCII letters only.
            wanted = file_name.casefold()
            lines = (
                line
                for line in lines
                if any(wanted in Path(name).name.casefold() for name in line.files)
            )
        return list(itertools.islice(lines, offset, offset + limit))

    def run(self, run_id: int) -> RunLine | None:
        """The run ``run_id``, if the journal has it."""
        found = self.db.execute(
            "SELECT id, target, files, started_at, finished_at, exit_status, "
            f"{self._results()} FROM runs WHERE id = ?",
            (run_id,),
        ).fetchone()
        if found is None:
            return None
        i, t, f, s, e, x, r = found
        return RunLine(i, t, json.loads(f), s, e, x, r)

    def counts(self, run_ids: Sequence[int]) -> dict[int, dict[str, int]]:
        """How many rows of each run ended in each state (``sent``, ``pending``...)."""
        counts: dict[int, dict[str, int]] = {run_id: {} for run_id in run_ids}
        if not run_ids:
            return counts
        found = self.db.execute(
            "SELECT run_id, state, COUNT(*) FROM rows "
            f"WHERE run_id IN ({', '.join('?' * len(run_ids))}) GROUP BY run_id, state",
            tuple(run_ids),
        )
        for run_id, state, count in found:
            counts[run_id][state] = count
        return counts

    def rows_of(
        self, run_id: int, *, state: str | None = None, limit: int = 1000
    ) -> list[HistoryLine]:
        """The rows of run ``run_id`` in the order of their files (only those in ``state``)."""
        where, values = ("AND state = ?", [state]) if state else ("", [])
        found = self.db.execute(
            f"SELECT {self._line()} WHERE run_id = ? {where} ORDER BY file, sheet, row LIMIT ?",
            (run_id, *values, limit),
        )
        return [HistoryLine(*line) for line in found]

    def _line(self) -> str:
        """The columns of a :class:`HistoryLine` and where they are read from."""
        return self._reads[1]

    def _results(self) -> str:
        return self._reads[0]

    @functools.cached_property
    def _reads(self) -> tuple[str, str]:
        """What a read selects for a run's results and for a row's line, found once: a
        journal only read, of an earlier version, has no column of results nor table of
        messages (a journal opened to write has both: see :meth:`_migrate`)."""
        results = "results" if self._has_results_column() else "NULL"
        found = self.db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", ("said",)
        )
        if found.fetchone() is None:
            return results, f"{_LINE}, NULL FROM rows"
        joined = "rows LEFT JOIN said USING (run_id, fingerprint, sheet, row)"
        return results, f"{_LINE}, said.messages FROM {joined}"

    def _has_results_column(self) -> bool:
        return any(column[1] == "results" for column in self.db.execute("PRAGMA table_info(runs)"))

    def history(
        self, *, order_id: str | None = None, file: Path | None = None
    ) -> list[HistoryLine]:
        """Every journal row of an order, or of a file's content (under any name)."""
        if order_id is not None:
            where, value = "order_id = ?", order_id
        elif file is not None:
            where, value = "fingerprint = ?", fingerprint(file)
        else:
            raise ValueError("history needs an order_id or a file")
        found = self.db.execute(
            f"SELECT {self._line()} WHERE {where} ORDER BY run_id, file, sheet, row",
            (value,),
        )
        return [HistoryLine(*line) for line in found]
