"""What a run did, in numbers and in one paragraph, and the exit status it earns (by the rule
of :mod:`~batch_uploader.exit_statuses`, whose :class:`ExitStatus` is re-exported here).

A report is the fold of a job's progress events (:meth:`Report.fold`): the job fills its own
so, and a front end that kept the events gets the same report from them, its summary.json and
its summary paragraph too.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..exit_statuses import ExitStatus, run_status
from ..files.output_names import stamp
from ..messages import RunMessage
from ..models import Outcome, Status, Verdict
from ..redaction import Redactor
from .progress import (
    AllDecided,
    Event,
    JobFinished,
    JobStarted,
    OutputRefused,
    OutputsClosed,
    RowDecided,
    TableUnderstood,
)

__all__ = ["EXAMPLES_SHOWN", "Entry", "ExitStatus", "Report", "describe_problem", "started_now"]

# How many problem rows the summary spells out; the results file has them all.
EXAMPLES_SHOWN = 10
# How many requests a dry run's summary shows.
_EXAMPLES = EXAMPLES_SHOWN // 2

# What a report takes of a row decided (see Report.entry): its status, its file, its
# read-back verdict, the text of its unverified example ("" when not shown, None when it has
# none), its problem's text, its error codes and its example request's text. A RowDecided
# event carries the same.
Entry = tuple[Status, str, Verdict | None, str | None, str | None, tuple[str, ...], str | None]


def started_now() -> str:
    """Now, as a report's ``started_at``: ``2026-11-24T22:05:09Z``."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Report:
    """Counts of a run's outcomes by status, and the first few problems: the fold of its
    progress events (see :meth:`fold`)."""

    dry_run: bool = False
    started_at: str = field(default_factory=started_now)
    counts: Counter[Status] = field(default_factory=Counter)
    counts_by_file: Counter[tuple[str, Status]] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    # Rows sent whose read-back did not verify them: not among the rows not sent.
    unverified: list[str] = field(default_factory=list)
    # What a person should know of the run, each a message (its code, params and hint).
    notes: list[RunMessage] = field(default_factory=list)
    understood: list[str] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)
    error_codes: Counter[str] = field(default_factory=Counter)
    elapsed: float = 0.0
    results_path: Path | None = None
    stop_reason: str | None = None
    interrupted: bool = False
    requests: int = 0
    throttled: int = 0
    lowest_rate: float | None = None
    files: list[str] = field(default_factory=list)
    target: str | None = None
    to_fix: list[Path] = field(default_factory=list)
    summary_path: Path | None = None
    verified: Counter[Verdict] | None = None
    # Files that changed while the run read them: what was added or changed was not read.
    changed_inputs: list[RunMessage] = field(default_factory=list)
    # The headings of each table (by source) that feed no field, as a person finds them.
    unused_columns: dict[str, list[str]] = field(default_factory=dict)
    # The outputs the disk refused to write, and its reason: sending stopped at the first.
    unwritten: list[tuple[str, str]] = field(default_factory=list)

    def fold(self, event: Event) -> None:
        """Takes in what ``event`` tells; a job's events, folded in the order it gives them
        into a new report, make the job's own report."""
        if isinstance(event, RowDecided):
            verdict = None if event.verdict is None else Verdict(event.verdict)
            self.add(
                (Status(event.status), event.source, verdict, event.unverified,
                 event.problem, event.codes, event.example)
            )  # fmt: skip
        elif isinstance(event, JobStarted):
            self.dry_run = event.target is None
            if event.started_at:
                self.started_at = event.started_at
            self.files = list(event.files)
            self.target = event.target
            self.results_path = None if event.results is None else Path(event.results)
            self.verified = Counter() if event.read_back else None
            self.notes.extend(event.notes)
            if self.dry_run:
                self.understood.extend(str(note) for note in event.hidden)
        elif isinstance(event, TableUnderstood):
            if event.unused:
                self.unused_columns[event.source] = list(event.unused)
            self.notes.extend(event.notes)
            if self.dry_run:
                self.understood.extend(event.described)
        elif isinstance(event, OutputRefused):
            self.unwritten.append((event.what, event.why))
        elif isinstance(event, AllDecided):
            self.elapsed = event.seconds
            self.requests = event.requests
            self.throttled = event.throttled
            self.lowest_rate = event.lowest_rate
            self.stop_reason = event.stop_reason
            self.interrupted = event.interrupted
            # Notes for a person too: what was added or changed was not read.
            self.changed_inputs.extend(event.changed_inputs)
            self.notes.extend(event.changed_inputs)
        elif isinstance(event, OutputsClosed | JobFinished):
            self.results_path = None if event.results is None else Path(event.results)
            self.to_fix = [Path(path) for path in event.to_fix]
            self.summary_path = None if event.summary is None else Path(event.summary)
        # The pace, the retries and a stop asked tell nothing the report keeps: AllDecided
        # gives the traffic and how the job stopped.

    def record(self, outcome: Outcome) -> None:
        """Counts ``outcome``, outside a job (a job folds its events)."""
        self.add(self.entry(outcome))

    def entry(self, outcome: Outcome, redactor: Redactor | None = None) -> Entry:
        """What the report takes of ``outcome``, as plain values: a row decided early waits
        so for its turn (see :mod:`~.in_order`). The texts of examples are made only while
        the report may still show one, without the secrets of ``redactor``."""
        status = outcome.status
        verdict = unverified = None
        if self.verified is not None and outcome.landed:
            check = outcome.verification
            verdict = check.verdict if check else Verdict.NOT_CHECKED
            if check and check.verdict is not Verdict.VERIFIED:
                unverified = ""  # counted, not shown
                if len(self.unverified) < EXAMPLES_SHOWN:
                    unverified = f"{outcome.row.where()}: {check.verdict.value}: {check.detail}"
                    if redactor is not None:
                        unverified = redactor.text(unverified)
        problem = example = None
        codes: tuple[str, ...] = ()
        if status in (Status.INVALID, Status.FAILED):
            if len(self.problems) < EXAMPLES_SHOWN:
                problem = describe_problem(outcome)
                if redactor is not None:
                    problem = redactor.text(problem)
            codes = tuple(error.code for error in outcome.errors)
            if outcome.delivery and outcome.delivery.error_code:
                codes += (outcome.delivery.error_code,)
        elif status is Status.VALID and outcome.update and len(self.examples) < _EXAMPLES:
            update = outcome.update
            body = json.dumps(update.body(), ensure_ascii=False)
            example = f"{outcome.row.where()}: {update.METHOD} {update.path()} {body}"
            if redactor is not None:
                example = redactor.text(example)
        return (status, str(outcome.row.source), verdict, unverified, problem, codes, example)

    def add(self, entry: Entry) -> None:
        """Counts a row decided, from its :meth:`entry`, in input order: the fold of its
        :class:`~.progress.RowDecided`, for a job nobody watches (it makes no event)."""
        status, source, verdict, unverified, problem, codes, example = entry
        self.counts[status] += 1
        if verdict is not None and self.verified is not None:
            self.verified[verdict] += 1
            if unverified is not None:
                if unverified and len(self.unverified) < EXAMPLES_SHOWN:
                    self.unverified.append(unverified)
                self.error_codes[verdict.value] += 1
        self.counts_by_file[(source, status)] += 1
        if problem is not None and len(self.problems) < EXAMPLES_SHOWN:
            self.problems.append(problem)
        if codes:  # Counter.update costs a call even when empty
            self.error_codes.update(codes)
        if example is not None and len(self.examples) < _EXAMPLES:
            self.examples.append(example)

    @property
    def not_sent(self) -> int:
        """Rows refused or failed."""
        return self.counts[Status.INVALID] + self.counts[Status.FAILED]

    @property
    def not_verified(self) -> int:
        """Rows sent that the read-back found wrong or could not check."""
        if self.verified is None:
            return 0
        return sum(self.verified.values()) - self.verified[Verdict.VERIFIED]

    @property
    def rows(self) -> int:
        return sum(self.counts.values())

    @property
    def stamp(self) -> str:
        """The start of the run, for file names: ``20261124T220509Z``."""
        return stamp(dt.datetime.fromisoformat(self.started_at))

    @property
    def achieved_rate(self) -> float:
        """Requests per second over the whole run."""
        return self.requests / self.elapsed if self.elapsed > 0 else 0.0

    @property
    def exit_status(self) -> int:
        return self.status_if(interrupted=self.interrupted, stop_reason=self.stop_reason)

    def status_if(self, *, interrupted: bool, stop_reason: str | None) -> int:
        """The exit status of the run if it ends as it stands, ``interrupted`` or stopped
        because ``stop_reason``: what the journal records before the report is told."""
        return run_status(
            interrupted=interrupted,
            unwritten=bool(self.unwritten),
            stopped=bool(stop_reason),
            # A file that changed while it was read has rows that were not read at all.
            rows_left=bool(self.not_sent or self.not_verified or self.changed_inputs),
        )

    def as_json(self) -> dict[str, object]:
        """The run for machines: the keys of ``summary.json``, documented in the README."""
        return {
            "version": 1,
            "startedAt": self.started_at,
            "seconds": round(self.elapsed, 3),
            "dryRun": self.dry_run,
            "target": self.target,
            "files": self.files,
            "rows": {"total": self.rows} | {s.value: self.counts[s] for s in Status},
            "problems": dict(self.error_codes.most_common()),
            "requests": self.requests,
            "achievedRate": round(self.achieved_rate, 3),
            "throttled": self.throttled,
            "lowestRate": self.lowest_rate,
            "verification": (
                None if self.verified is None else {v.value: self.verified[v] for v in Verdict}
            ),
            "changedInputs": [str(note) for note in self.changed_inputs],
            "unusedColumns": self.unused_columns,
            "notes": [str(note) for note in self.notes],
            "unwritten": [f"{what}: {why}" for what, why in self.unwritten],
            "exitStatus": self.exit_status,
            "stopReason": self.stop_reason,
            "interrupted": self.interrupted,
            "outputs": {
                "results": str(self.results_path) if self.results_path else None,
                "toFix": [str(path) for path in self.to_fix],
                "summary": str(self.summary_path) if self.summary_path else None,
            },
        }

    def write_summary(self, redactor: Redactor | None = None) -> str | None:
        """Writes :meth:`as_json` to ``summary_path``, without the secrets of ``redactor``;
        returns why the disk refused it (the file is then removed), ``None`` when written."""
        if self.summary_path is not None:
            text = (redactor or Redactor(())).text(json.dumps(self.as_json(), indent=2) + "\n")
            path = self.summary_path
            try:
                if path.is_symlink():
                    path.unlink()  # written in its place, never through it
                flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW
                with os.fdopen(os.open(path, flags, 0o666), "w", encoding="utf-8") as out:
                    out.write(text)
            except OSError as error:
                # The results file holds every row, and the console the run's end; a summary
                # cut short is no JSON, and is removed.
                with contextlib.suppress(OSError):
                    if path.is_file():
                        path.unlink()
                return error.strerror or str(error)
        return None

    def summary(self) -> str:
        """One paragraph for the person who ran it (or reads the cron mail)."""
        order = (
            (Status.VALID, Status.INVALID)
            if self.dry_run
            else (Status.SENT, Status.SKIPPED, Status.INVALID, Status.FAILED)
        )
        counts = ", ".join(f"{self.counts[s]} {s.value}" for s in order)
        verb = "Checked" if self.dry_run else "Processed"
        text = f"{verb} {self.rows} rows in {self.elapsed:.1f} s: {counts}."
        if self.dry_run:
            text += " Dry run: nothing was sent."
        if self.requests:
            text += f" {self.requests} requests at {self.achieved_rate:.1f}/s"
            if self.throttled:
                text += f", {self.throttled} answered 429 (too many requests)"
            if self.lowest_rate is not None:
                text += f", rate lowered to {self.lowest_rate:.1f}/s at the least"
            text += "."
        if self.verified is not None:
            read = ", ".join(f"{self.verified[v]} {v.value}" for v in Verdict)
            text += f" Read back: {read}."
        if self.unused_columns:
            text += f" {_unused_summary(self.unused_columns)}"
        if self.changed_inputs:
            many = len(self.changed_inputs) > 1
            text += (
                f" {len(self.changed_inputs)} file{'s' if many else ''} changed while "
                f"{'they were' if many else 'it was'} read (see the notes): upload "
                f"{'them' if many else 'it'} again once complete."
            )
        if self.stop_reason:
            text += f" Stopped early because {self.stop_reason}."
        for what, why in self.unwritten:
            text += f" Not written: {what} ({why})."
        if self.interrupted:
            text += (
                " Interrupted: rows not sent are in the results as failed (interrupted: it"
                " may have landed; not-attempted: never sent); running the same command again"
                " sends only what was not sent."
            )
        if self.error_codes:
            common = ", ".join(f"{code} ({n})" for code, n in self.error_codes.most_common(5))
            text += f" Most frequent problems: {common}."
        if self.results_path:
            text += f" Results: {self.results_path}"
        return text


def _unused_summary(unused: dict[str, list[str]], shown: int = 5) -> str:
    """``Columns not used: a.csv: column D 'Peso', ...`` for the summary paragraph, the first
    few only (a carrier's export may have dozens): summary.json lists them all."""
    named = [f"{source}: {label}" for source, labels in unused.items() for label in labels]
    more = f" and {len(named) - shown} more" if len(named) > shown else ""
    return f"Columns not used: {', '.join(named[:shown])}{more}."


def describe_problem(outcome: Outcome) -> str:
    """One line naming a row that was not sent and why."""
    row = outcome.row
    if outcome.errors:
        reasons = "; ".join(row.explain(error) for error in outcome.errors)
    elif outcome.delivery:
        delivery = outcome.delivery
        status = f"HTTP {delivery.http_status}, " if delivery.http_status else ""
        reasons = f"{status}{delivery.error_code}: {delivery.error_text()}"
    else:
        reasons = outcome.status.value
    return f"{row.where()}: {reasons}"
