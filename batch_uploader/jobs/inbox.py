"""The inbox: a folder where carriers' files are dropped, processed by a nightly job.

Each run takes every complete file (not written to for ``settle`` seconds; temporary and lock
files left out, and hidden ones, which the summary names), oldest first, uploads it, and moves
it atomically to ``done/`` with its results beside it, or to ``rejected/`` with the reason when
it cannot be read at all (a file it cannot move there is left, with a message).

A file is "already processed", and not processed again, only when its content landed whole
before (every row sent, or skipped as sent before: exit status 0) for the same target with the
same settings. Any other file dropped again is processed again, so that dropping a file again
is always the way to retry it: a rejected one is read again (once the settings or the file are
fixed), and one with rows invalid or failed is sent again, the journal skipping the rows sent
before, its failed rows sent again and its invalid ones refused again. The same content for
another target (account, environment or base URL) is a new attempt.

Symbolic links are never followed: they could lead to any file the job may read, such as its
credentials. What the inbox writes (a rejected file's reason, which may quote the file's first
line) has the job's secrets redacted: a credentials file copied in is rejected without its
token being repeated. A lock keeps overlapping runs apart; the state (lock, journal, list of
processed files) lives in ``.batch-uploader/``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import InputError
from ..exit_statuses import ExitStatus, ran_to_the_end, worst
from ..files.inputs import Reading
from ..files.output_names import JOURNAL_NAME, inbox_results_name
from ..files.reader import CSV_SUFFIXES, WORKBOOK_SUFFIXES
from ..files.results import new_results_file
from ..redaction import Redactor
from ..rules.tracking_urls import UrlTemplates
from .journal import fingerprint
from .locks import take_lock
from .report import Report

STATE = ".batch-uploader"
DONE = "done"
REJECTED = "rejected"
REASON = ".error.txt"
# Names that office programs and downloads use while a file is not finished.
_UNFINISHED_PREFIXES = ("~$", ".", "~")
_UNFINISHED_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".download")
Upload = Callable[[Path, Path], Report]
"""Uploads one file (first argument), writing its results to the second; returns the report."""


@dataclass
class InboxReport:
    """What one run of the inbox did, file by file."""

    processed: list[tuple[Path, Report]] = field(default_factory=list)
    rejected: list[tuple[Path, str]] = field(default_factory=list)
    repeated: list[Path] = field(default_factory=list)
    waiting: list[Path] = field(default_factory=list)
    links: list[Path] = field(default_factory=list)
    hidden: list[Path] = field(default_factory=list)
    changed: list[Path] = field(default_factory=list)
    # The worst of its files' (see :func:`~batch_uploader.exit_statuses.worst`).
    exit_status: int = ExitStatus.OK

    def worsen(self, status: int) -> None:
        self.exit_status = worst(self.exit_status, status)

    def summary(self, folder: Path) -> str:
        done = sum(
            1 for path, report in self.processed if _moved(report) and path not in self.changed
        )
        text = (
            f"Inbox {folder}: {len(self.processed)} files processed ({done} moved to {DONE}/), "
            f"{len(self.rejected)} rejected, {len(self.repeated)} already processed before, "
            f"{len(self.waiting)} still being written."
        )
        if self.changed:
            names = ", ".join(path.name for path in self.changed)
            text += (
                f" {len(self.changed)} changed while being read, left for the next run: {names}."
            )
        if self.links:
            names = ", ".join(path.name for path in self.links)
            links = len(self.links)
            text += f" Left alone: {links} symbolic link{'s' if links > 1 else ''}: {names}."
        if self.hidden:
            names = ", ".join(path.name for path in self.hidden)
            hidden = len(self.hidden)
            text += (
                f" Left alone: {hidden} hidden file{'s' if hidden > 1 else ''} (its name begins "
                f"with a dot): {names}; rename {'them' if hidden > 1 else 'it'} to have "
                f"{'them' if hidden > 1 else 'it'} sent."
            )
        return text


def journal_path(folder: Path) -> Path:
    return folder / STATE / JOURNAL_NAME


def settings_digest(reading: Reading, url_templates: UrlTemplates | None) -> str:
    """A short digest of the settings that decide how a file is read and what is sent: the
    encoding, sheet, headings (from --map, --mapping and the configuration's [columns]), date
    order, time zone and tracking URL templates. The same file under other settings is another
    attempt."""
    settings = {
        "encoding": reading.encoding,
        "sheet": reading.sheet,
        "headings": sorted(reading.headings.items()),
        "dateOrder": reading.date_order.value if reading.date_order else None,
        "timezone": str(reading.timezone) if reading.timezone else None,
        "urlTemplates": (
            None
            if url_templates is None
            else [[c.name, c.url, list(c.aliases)] for c in url_templates.couriers]
        ),
    }
    canonical = json.dumps(settings, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def process(
    folder: Path,
    upload: Upload,
    *,
    settle: float,
    extension: str,
    settings_key: str,
    target: str,
    redactor: Redactor,
) -> InboxReport:
    """Processes the complete files of ``folder`` with ``upload``, results in ``extension``.
    ``settings_key`` (see :func:`settings_digest`) tells the settings ``upload`` reads and
    sends with, ``target`` the base URL it sends to: a file whose rows all landed before is
    processed again only under other settings or for another target. ``redactor`` takes the
    job's secrets out of the reasons for rejection, in the files and in the report."""
    state = folder / STATE
    state.mkdir(parents=True, exist_ok=True)
    report = InboxReport()
    with take_lock(state / "inbox.lock", f"the inbox {folder}"):
        ledger = _Ledger(state / "processed.jsonl")
        files, report.waiting, report.links, report.hidden = _complete_files(folder, settle)
        if report.links:
            # A link may lead to a file the carriers did not drop: nothing is sent, and a
            # person has to look.
            report.worsen(ExitStatus.USAGE)
        key = (settings_key, target)
        for path in files:
            if not _process_one(folder, path, upload, extension, ledger, key, redactor, report):
                break
    return report


def _process_one(
    folder: Path,
    path: Path,
    upload: Upload,
    extension: str,
    ledger: _Ledger,
    key: tuple[str, str],
    redactor: Redactor,
    report: InboxReport,
) -> bool:
    """Processes one file, ``key`` being the settings and the target it is sent with; False
    when the inbox must stop (stopped run, interruption)."""
    if not _inside(folder, path):
        # Made a link since the folder was listed (earlier files may have taken hours).
        report.links.append(path)
        report.worsen(ExitStatus.USAGE)
        return True
    try:
        if not stat.S_ISREG(path.stat().st_mode):
            # A folder or a pipe named like a spreadsheet: reading it would fail, or wait forever.
            why = f"{path}: not a regular file; put the file itself in the inbox"
            _reject(folder, path, why, redactor, report)
            return True
        taken = _identity(path)
        content = fingerprint(path)
    except OSError as error:
        # Left where it is, it would stop the inbox at the same place every night.
        why = f"{path}: cannot be read: {error.strerror}; let the job read it (owner, mode)"
        _reject(folder, path, why, redactor, report)
        return True
    if ledger.landed(content, *key):
        report.repeated.append(_move(path, folder / DONE))
        return True
    name = inbox_results_name(path, dt.datetime.now(dt.UTC), extension)
    try:
        with new_results_file(folder / DONE / name) as results:
            outcome = upload(path, results)
    except InputError as error:
        _reject(folder, path, str(error), redactor, report)
        return True
    report.processed.append((path, outcome))
    report.worsen(outcome.exit_status)
    if not _moved(outcome):
        # Stopped or interrupted: the file stays for the next run, which the journal makes
        # send only what was not sent.
        return False
    if outcome.changed_inputs or _identity(path) != taken:
        # Written to while it was read (an export not finished after all), or between its
        # fingerprint and its reading: what was read may not be what the ledger would name,
        # so the file stays, out of the ledger, and the next run sends the rest.
        report.changed.append(path)
        return True
    _move(path, folder / DONE)
    # Kept whatever the status: only a file whose rows all landed is skipped when dropped again.
    ledger.add(content, *key, path.name, outcome.exit_status)
    return True


def _reject(folder: Path, path: Path, why: str, redactor: Redactor, report: InboxReport) -> None:
    """Moves ``path`` to ``rejected/`` with the reason ``why`` beside it; when it cannot be
    moved, leaves it, the report saying why. Not in the ledger either way: dropped again once
    the settings or the file are fixed, it is read."""
    # The reason may quote the file's first line: a credentials file's token, say.
    reason = redactor.text(why)
    try:
        moved = _move(path, folder / REJECTED, beside=REASON)
    except OSError as error:
        report.rejected.append(
            (
                path,
                f"{reason}; it could not be moved to {REJECTED}/ either ({error.strerror}), so "
                "it stays in the inbox: move or fix it by hand",
            )
        )
    else:
        _write_reason(
            moved.with_name(moved.name + REASON),
            f"{reason}\nOnce the file or the settings are fixed, move it back into {folder}: "
            "it is read again.\n",
        )
        report.rejected.append((moved, reason))
    report.worsen(ExitStatus.USAGE)


def candidates(folder: Path) -> list[Path]:
    """The files of ``folder`` its next run takes, oldest first, however recently written."""
    return _complete_files(folder, 0)[0]


def _identity(path: Path) -> tuple[int, int, int, int]:
    """What tells a file from itself changed or replaced: device, inode, size, modification."""
    status = path.stat()
    return status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns


def _moved(report: Report) -> bool:
    return ran_to_the_end(report.exit_status)


def _complete_files(
    folder: Path, settle: float
) -> tuple[list[Path], list[Path], list[Path], list[Path]]:
    """The files ready to process, oldest first, those still being written, the symbolic links
    (by name), which are never followed, and the hidden files named like spreadsheets, which
    are never taken."""
    now = time.time()
    ready: list[tuple[float, Path]] = []
    waiting: list[Path] = []
    links: list[Path] = []
    hidden: list[Path] = []
    for path in sorted(folder.iterdir()):
        if path.name in (STATE, DONE, REJECTED):
            continue  # the inbox's own folders, which may be links to another disk on purpose
        if not _inside(folder, path):
            links.append(path)
        elif _is_candidate(path):
            modified = path.stat().st_mtime
            if now - modified < settle:
                waiting.append(path)
            else:
                ready.append((modified, path))
        elif path.name.startswith(".") and path.suffix.lower() in CSV_SUFFIXES | WORKBOOK_SUFFIXES:
            # Named, not taken: hidden may mean unfinished (.carrier.csv of a copy under way),
            # yet a carrier's file saved so would otherwise wait there unseen every night.
            hidden.append(path)
    return [path for _, path in sorted(ready)], waiting, links, hidden


def _inside(folder: Path, path: Path) -> bool:
    """Whether ``path`` is no link and really stands directly in ``folder``."""
    return not path.is_symlink() and path.resolve().parent == folder.resolve()


def _is_candidate(path: Path) -> bool:
    name = path.name.lower()
    # Not only regular files: one named like a spreadsheet that is none is rejected, not
    # silently left.
    return (
        path.suffix.lower() in CSV_SUFFIXES | WORKBOOK_SUFFIXES
        and not name.startswith(_UNFINISHED_PREFIXES)
        and not name.endswith(_UNFINISHED_SUFFIXES)
    )


def _move(path: Path, folder: Path, *, beside: str = "") -> Path:
    """Moves ``path`` into ``folder`` atomically, under a new name if its own (or the name of
    the file that goes ``beside`` it, ``<name><beside>``) is taken."""
    folder.mkdir(exist_ok=True)
    target = folder / path.name
    number = 1
    # lexists: a symbolic link, even to nothing, takes its name.
    while os.path.lexists(target) or (beside and os.path.lexists(f"{target}{beside}")):
        number += 1
        target = folder / f"{path.stem}-{number}{path.suffix}"
    # A rename never writes through a link at its target.
    os.replace(path, target)
    return target


def _write_reason(path: Path, text: str) -> None:
    """Writes why a file was rejected, for the inbox's owner only: the reason may quote the
    file's first line."""
    # O_EXCL and O_NOFOLLOW: a link planted at the name fails the write, never leads it away.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)


class _Ledger:
    """The files processed to the end, one JSON line each: their content's fingerprint, the
    settings they were read with, the target they were sent to, name, when, exit status. Only
    the lines of exit status 0 make a file "already processed": the others are kept as a record.
    Lines from before settings or targets were kept have none: that part of their key is "",
    which the command line never gives, so such a file dropped again is processed once more (the
    journal skips the rows it sent)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._landed: set[tuple[str, str, str]] = set()
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    entry = json.loads(line)
                    if entry["exitStatus"] == ExitStatus.OK:
                        settings, target = entry.get("settings", ""), entry.get("target", "")
                        self._landed.add((entry["fingerprint"], settings, target))

    def landed(self, content: str, settings_key: str, target: str) -> bool:
        """Whether every row of ``content`` landed before, under these settings and target."""
        return (content, settings_key, target) in self._landed

    def add(self, content: str, settings_key: str, target: str, name: str, status: int) -> None:
        entry = {
            "fingerprint": content,
            "settings": settings_key,
            "target": target,
            "file": name,
            "processedAt": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "exitStatus": status,
        }
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry) + "\n")
        if status == ExitStatus.OK:
            self._landed.add((content, settings_key, target))
