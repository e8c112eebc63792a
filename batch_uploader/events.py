"""Delivery events: files with one line per event of a parcel, sent as one request per invoice.

``PUT /api/oms/pvt/orders/{orderId}/invoice/{invoiceNumber}/tracking`` carries every event of
the parcel at once, in date order, with whether (and when) it was delivered. The lines of an
invoice are therefore decided together: one bad line keeps its parcel from being sent, and each
line's results carry its parcel's outcome and receipt. The request replaces the events the
order holds for the invoice, so a file gives each parcel's whole history so far, not only its
new events; its lines may stand anywhere in the files of a run.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx

from . import row_codes, signals
from .columns import EVENTS, normalise
from .dates import DateOrder, DateRules, column_order
from .fixes import RowsToFix
from .inputs import (
    Reading,
    changed_since_opened,
    close_inputs,
    data_rows,
    describe,
    hidden_notes,
    open_inputs,
)
from .journal import Journal
from .models import (
    SECRET_IN_ROW,
    Event,
    EventsUpdate,
    Outcome,
    Row,
    RowError,
    Source,
    Status,
)
from .outputs import Halt, Outputs
from .pipeline import checked_target, new_report, note_unused_columns, redactor_of
from .redaction import Redactor
from .report import Report
from .sender import FailureStreak, Sender, given_up, open_sender
from .settings import Settings
from .target import Credentials
from .validator import checked_date, common_problems, shown
from .writer import results_writer

_YES = frozenset(map(normalise, ("yes", "y", "true", "1", "x", "sim", "s", "si", "sí")))
_NO = frozenset(map(normalise, ("no", "n", "false", "0", "não", "nao")))
_TEXTS = ("orderId", "invoiceNumber", "city", "state", "description")
Parcel = tuple[str, str]


@dataclass(frozen=True, slots=True)
class EventLine:
    """A valid events line: its parcel, its event, and what it says of the delivery."""

    parcel: Parcel
    event: Event
    moment: dt.datetime
    delivered: bool | None
    delivered_date: str | None
    delivered_at: str | None = None  # the deliveredDate cell as read, ISO 8601


def upload_events(
    paths: Sequence[Path],
    *,
    results_path: Path,
    base_url: str | None = None,
    credentials: Credentials | None = None,
    settings: Settings | None = None,
    dry_run: bool = False,
    reading: Reading | None = None,
    journal_path: Path | None = None,
    force: bool = False,
    transport: httpx.AsyncBaseTransport | None = None,
) -> Report:
    """Sends the tracking events of ``paths`` (or only checks them, with ``dry_run``), one
    request per invoice, and writes one results line per input line to ``results_path``,
    with the rows to fix and the summary beside it, as :func:`batch_uploader.run` does."""
    settings = settings or Settings()
    reading = replace(reading or Reading(), layout=EVENTS)
    upload_to = checked_target(paths, results_path, dry_run, base_url, credentials)
    started = time.perf_counter()
    inputs, notes = open_inputs(paths, reading)
    try:
        totals: list[Row] = []
        rows = list(data_rows(inputs, totals))
        report = new_report(paths, results_path, upload_to, notes, totals)
        note_unused_columns(report, inputs, reading, None)
        rules = _date_rules(rows, reading)
        if dry_run:
            report.understood.extend(hidden_notes(inputs))
            for item in inputs:
                source = item.table.source
                count = sum(1 for row in rows if row.source == source)
                report.understood.extend(describe(item, count, _orders(rules, source)))
        redactor = redactor_of(credentials)
        outcomes = decide(rows, rules, redactor)
        headings = {item.table.source: item.columns.headings for item in inputs}
        halt = Halt(report)
        with contextlib.ExitStack() as stack:
            outputs = stack.enter_context(
                Outputs(
                    results_writer(
                        results_path, with_source=len(headings) > 1, events=True, redactor=redactor
                    ),
                    RowsToFix(results_path.parent, report.stamp, headings, redactor),
                    report,
                    halt,
                )
            )
            sending: _Sending | None = None
            try:
                if upload_to is not None:
                    target, secret = upload_to
                    journal = stack.enter_context(
                        Journal(journal_path, redactor=redactor, on_failure=halt)
                    )
                    run_id = journal.start_run(target, paths)
                    sending = _Sending(journal, run_id, target, force, report, halt)
                    try:
                        asyncio.run(sending.send(outcomes, target, secret, settings, transport))
                    finally:
                        journal.finish_run(run_id, report.exit_status)
            except (KeyboardInterrupt, asyncio.CancelledError):
                report.interrupted = True
            finally:
                report.elapsed = time.perf_counter() - started
            for outcome in outcomes:
                if sending is not None and outcome.status is Status.VALID:
                    outcome = sending.given_up(outcome)  # the run ended before its parcel's answer
                outputs.record(outcome)
            report.note_changes(changed_since_opened(inputs))
            outputs.finish()
        report.write_summary(redactor)
        return report
    finally:
        close_inputs(inputs)


def decide(
    rows: Sequence[Row], rules: dict[Source, DateRules], secrets: Redactor | None = None
) -> list[Outcome]:
    """Each row's outcome before sending, in input order: invalid with its reasons, or valid
    with its parcel's update (the same update object for every line of a parcel). A line
    holding one of ``secrets`` is refused."""
    checked = [
        [SECRET_IN_ROW]
        if secrets is not None and secrets.holds("\x1f".join(row.values.values()))
        else validate_event(row, rules.get(row.source, DateRules()))
        for row in rows
    ]
    parcels: dict[Parcel, list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        order_id, invoice = row.get("orderId"), row.get("invoiceNumber")
        if order_id and invoice:
            parcels[(order_id, invoice)].append(index)
    outcomes = [
        Outcome(row, Status.INVALID, errors=tuple(line))
        if isinstance(line, list)
        else Outcome(row, Status.VALID)
        for row, line in zip(rows, checked, strict=True)
    ]
    for indexes in parcels.values():
        lines = [checked[i] for i in indexes]
        problem = _parcel_problem([rows[i] for i in indexes], lines)
        if problem is not None:
            for i in indexes:
                if outcomes[i].status is Status.VALID:  # the bad lines keep their own reasons
                    outcomes[i] = replace(
                        outcomes[i], status=Status.INVALID, errors=(*outcomes[i].errors, problem)
                    )
            continue
        valid = [line for line in lines if isinstance(line, EventLine)]
        if len(valid) < len(lines):
            continue  # every line is invalid, each for its own reasons
        update = _update(valid)
        for i in indexes:
            outcomes[i] = replace(outcomes[i], update=update)
    return outcomes


def validate_event(row: Row, rules: DateRules) -> EventLine | list[RowError]:
    """The event of ``row``, or every problem that keeps it from being sent."""
    value = {name: row.values.get(name, "") for name in EVENTS.fields}
    errors, spoiled = common_problems(
        row, value, EVENTS.required, ("orderId", "invoiceNumber"), _TEXTS
    )
    date = checked_date(row, value, "date", rules, spoiled, errors)
    delivered_at = checked_date(row, value, "deliveredDate", rules, spoiled, errors)
    delivered: bool | None = None
    try:
        delivered = _flag(value["isDelivered"])
    except ValueError:
        errors.append(
            RowError(
                row_codes.INVALID_FLAG,
                "isDelivered",
                f"{shown(value['isDelivered'])} is not yes or no (sim/não, sí/no, true/false, "
                "1/0); leave it empty when the line does not say",
            )
        )
    if delivered is False and value["deliveredDate"]:
        # Sending it would say delivered (the request has a date) where the line says not.
        errors.append(
            RowError(
                row_codes.CONFLICTING_DELIVERED,
                "isDelivered",
                f"{shown(value['isDelivered'])} says the parcel was not delivered, but "
                f"{row.label('deliveredDate')} gives it a delivery date "
                f"({shown(value['deliveredDate'])}); empty one of the two cells",
            )
        )
    if errors or date is None:
        return errors
    return EventLine(
        parcel=(value["orderId"], value["invoiceNumber"]),
        event=Event(value["city"], value["state"], value["description"], date),
        moment=_moment(date),
        delivered=delivered,
        delivered_date=_minutes(delivered_at) if delivered_at else None,
        delivered_at=delivered_at,
    )


def _flag(text: str) -> bool | None:
    """A yes/no cell (empty: the line does not say); ValueError for anything else."""
    if not text:
        return None
    word = normalise(text)
    if word in _YES or word in _NO:
        return word in _YES
    raise ValueError(text)


def _parcel_problem(rows: list[Row], lines: list[EventLine | list[RowError]]) -> RowError | None:
    """Why the lines of one parcel cannot be sent together, if they cannot."""
    bad = [row.number for row, line in zip(rows, lines, strict=True) if isinstance(line, list)]
    if bad:
        if len(bad) == len(rows):
            return None  # every line has its own reasons already
        return RowError(
            row_codes.PARCEL_INCOMPLETE,
            "",
            f"the parcel's row{'s' if len(bad) > 1 else ''} {', '.join(map(str, bad))} "
            "cannot be sent, and a parcel's events are sent together; correct "
            f"{'them' if len(bad) > 1 else 'it'} and upload the parcel again",
        )
    valid = [line for line in lines if isinstance(line, EventLine)]
    delivered = [line for line in valid if line.delivered]
    not_yet = [line for line in valid if line.delivered is False]
    if delivered and not_yet:
        first = min(delivered, key=lambda line: line.moment)
        later = [line for line in not_yet if line.moment > first.moment]
        if later:
            return RowError(
                row_codes.CONFLICTING_DELIVERED,
                "isDelivered",
                f"one line says the parcel was delivered on {first.event.date} and a later one "
                f"({later[0].event.date}) says it was not; correct the flag",
            )
    dates = {line.delivered_date for line in valid if line.delivered_date}
    if len(dates) > 1:
        return RowError(
            row_codes.CONFLICTING_DELIVERED,
            "deliveredDate",
            f"the parcel's lines give different delivery dates ({', '.join(sorted(dates))}); "
            "keep one",
        )
    given = next((line.delivered_at for line in valid if line.delivered_at), None)
    earliest = min(valid, key=lambda line: line.moment, default=None)
    if given and earliest and _before(given, earliest.event.date):
        return RowError(
            row_codes.CONFLICTING_DELIVERED,
            "deliveredDate",
            f"the parcel is said delivered on {_minutes(given)}, before its first event "
            f"({earliest.event.date}, {shown(earliest.event.description)}); a parcel cannot "
            "be delivered before it was posted: correct the date",
        )
    return None


def _before(delivered: str, first_event: str) -> bool:
    """Whether the delivery date ``delivered`` comes before the date of the parcel's first
    event. A date without a time is compared by day (delivered the day it was posted is
    possible), and wall-clock times are compared unless both carry an offset."""
    when, start = dt.datetime.fromisoformat(delivered), dt.datetime.fromisoformat(first_event)
    if _date_only(delivered) or _date_only(first_event):
        return when.date() < start.date()
    if when.tzinfo is None or start.tzinfo is None:
        when, start = when.replace(tzinfo=None), start.replace(tzinfo=None)
    return when < start


def _date_only(iso: str) -> bool:
    return "T" not in iso and " " not in iso


def _update(lines: list[EventLine]) -> EventsUpdate:
    ordered = sorted(lines, key=lambda line: line.moment)
    # The same event on two lines (a file exported twice) is one step of the journey.
    events = tuple(dict.fromkeys(line.event for line in ordered))
    delivered = [line for line in ordered if line.delivered]
    given = next((line.delivered_date for line in ordered if line.delivered_date), None)
    delivered_date = given or (_minutes(delivered[0].event.date) if delivered else None)
    order_id, invoice = lines[0].parcel
    return EventsUpdate(
        order_id=order_id,
        invoice_number=invoice,
        is_delivered=delivered_date is not None,
        delivered_date=delivered_date,
        events=events,
    )


def _moment(iso: str) -> dt.datetime:
    """An event date as a point in time, for ordering (dates alone at midnight UTC)."""
    value = dt.datetime.fromisoformat(iso)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _minutes(iso: str) -> str:
    """A date or date-time as ``yyyy-mm-dd hh:mm``, the deliveredDate format of the API."""
    return dt.datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M")


def _date_rules(rows: list[Row], reading: Reading) -> dict[Source, DateRules]:
    """How each file writes its dates, from the evidence of both date columns."""
    now = dt.datetime.now(dt.UTC)
    texts: dict[Source, list[str]] = defaultdict(list)
    for row in rows:
        texts[row.source].extend((row.get("date"), row.get("deliveredDate")))
    rules = {}
    for source, values in texts.items():
        order, mixed = column_order(values)
        given = reading.date_order
        rules[source] = DateRules(
            order=given or order, mixed=mixed and given is None, timezone=reading.timezone, now=now
        )
    return rules


def _orders(rules: dict[Source, DateRules], source: Source) -> tuple[DateOrder | None, bool]:
    rule = rules.get(source, DateRules())
    return rule.order, rule.mixed


@dataclass
class _Sending:
    """Sends each parcel's update once, journals every line, and fills in the outcomes.

    As for tracking numbers, ``stop_after_failures`` parcels failing one after another stop
    the run: something is wrong for all of them."""

    journal: Journal
    run_id: int
    target: str
    force: bool
    report: Report
    halt: Halt
    # Requests that left for each parcel's update (by the update's id).
    attempts: dict[int, int] = field(default_factory=dict)
    stop_reason: str | None = None

    async def send(
        self,
        outcomes: list[Outcome],
        base_url: str,
        credentials: Credentials,
        settings: Settings,
        transport: httpx.AsyncBaseTransport | None,
    ) -> None:
        lines: dict[int, list[int]] = defaultdict(list)  # update id -> line indexes
        updates: dict[int, EventsUpdate] = {}
        for index, outcome in enumerate(outcomes):
            if outcome.status is Status.INVALID:
                self.journal.record(self.run_id, self.target, outcome)
            elif isinstance(outcome.update, EventsUpdate):
                lines[id(outcome.update)].append(index)
                updates[id(outcome.update)] = outcome.update
        async with open_sender(base_url, credentials, settings, transport) as sender:
            self.halt.add(sender.stop)
            failures = FailureStreak(sender, settings.stop_after_failures, "parcels")
            try:
                with self._signals(sender, settings.grace):
                    await asyncio.gather(
                        *(
                            self._parcel(sender, failures, updates[key], indexes, outcomes)
                            for key, indexes in lines.items()
                        )
                    )
            finally:
                self.report.add_traffic(sender)
                self.stop_reason = sender.stop_reason
                if not self.report.interrupted:
                    self.report.stop_reason = sender.stop_reason

    def given_up(self, outcome: Outcome) -> Outcome:
        """``outcome``, a line whose parcel the run ended without an answer for, as failed:
        with the requests that left for it, or as not attempted."""
        attempts = self.attempts.get(id(outcome.update), 0)
        delivery = given_up(attempts, self.stop_reason, "parcel")
        outcome = replace(outcome, status=Status.FAILED, delivery=delivery)
        if not attempts:
            # Journalled as failed when no request left; one that left stays in flight there.
            self.journal.record(self.run_id, self.target, outcome)
        return outcome

    @contextlib.contextmanager
    def _signals(self, sender: Sender, grace: float) -> Iterator[None]:
        """The first SIGINT or SIGTERM stops sending and lets requests in flight end (for
        ``grace`` seconds at most); the second stops at once."""
        loop = asyncio.get_running_loop()
        main = asyncio.current_task()
        assert main is not None

        def interrupt() -> None:
            if self.report.interrupted:
                main.cancel()
                return
            self.report.interrupted = True
            sender.stop("it was interrupted")
            loop.call_later(grace, main.cancel)

        with signals.caught(interrupt):
            yield

    async def _parcel(
        self,
        sender: Sender,
        failures: FailureStreak,
        update: EventsUpdate,
        indexes: list[int],
        outcomes: list[Outcome],
    ) -> None:
        journal, rows = self.journal, [outcomes[i].row for i in indexes]
        before = None if self.force else journal.sent_before(self.target, update)
        if before is not None:
            delivery = before.delivery()
        else:
            for row in rows:
                journal.queued(self.run_id, self.target, row, update)

            def leaving() -> None:
                for row in rows:
                    journal.in_flight(self.run_id, row)
                if journal.failure is None:  # else the request does not leave
                    self.attempts[id(update)] = self.attempts.get(id(update), 0) + 1

            delivery = await sender.send(update, on_request=leaving)
            failures.add(delivery)
        for i in indexes:
            outcomes[i] = replace(outcomes[i], status=delivery.status, delivery=delivery)
            journal.record(self.run_id, self.target, outcomes[i])
