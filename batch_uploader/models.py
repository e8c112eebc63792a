"""The plain data that flows between the stages of an upload."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Protocol
from urllib.parse import quote

from .messages import N_, Message, Params, Translate
from .rules import row_codes
from .rules.hints import COMMAND_LINE, PLACE, Hint

# The six fields of the request, in the order results and messages show them.
FIELDS = ("orderId", "invoiceNumber", "trackingNumber", "trackingUrl", "courier", "dispatchedDate")
REQUIRED_FIELDS = ("orderId", "invoiceNumber", "trackingNumber")


def order_path(order_id: str) -> str:
    """The path of an order in the OMS, percent-encoded."""
    return f"/api/oms/pvt/orders/{quote(order_id, safe='')}"


def invoice_path(order_id: str, invoice_number: str) -> str:
    """The path of an order's invoice (the partial-invoice request), each segment
    percent-encoded."""
    return f"{order_path(order_id)}/invoice/{quote(invoice_number, safe='')}"


def receipt_of(payload: Any) -> str | None:
    """The receipt of an answer's JSON ``payload``, when it holds one: a string of visible
    characters, at least one a letter or digit (blanks, line breaks or invisible characters
    are no receipt a person could look up)."""
    receipt = payload.get("receipt") if isinstance(payload, dict) else None
    if not isinstance(receipt, str) or not receipt.isprintable() or receipt.isspace():
        return None
    return receipt if any(character.isalnum() for character in receipt) else None


@dataclass(frozen=True, slots=True)
class Success:
    """What a 2xx answer to a request must be to count: a JSON object, holding a receipt when
    ``receipt`` is set, and each of ``keys``. ``unexpected`` is the message of an answer that
    is not one: a template (see :mod:`~batch_uploader.messages`) with the answer's
    ``{status}`` and ``{preview}``, and ``{hint}`` where its remedy ``hint`` goes."""

    unexpected: str
    receipt: bool = False
    keys: tuple[str, ...] = ()
    hint: Hint | None = None

    def accepts(self, payload: Any) -> bool:
        """Whether ``payload``, the JSON of a 2xx answer (``None`` when it had none), counts."""
        if self.receipt:
            return receipt_of(payload) is not None
        return isinstance(payload, dict) and all(key in payload for key in self.keys)


# VTEX answers every update it takes with a receipt (PATCH and events PUT alike): without one,
# nothing says the update landed.
UPDATED = Success(
    N_(
        "VTEX answered {status} without a receipt ({preview}), so the update cannot be taken "
        "as landed; {hint}; a later run sends it again"
    ),
    receipt=True,
    hint=Hint.TARGET,
)


class Request(Protocol):
    """One request to the OMS about one order: what the sender sends and retries.

    ``RESOURCE`` is the License Manager resource the app key needs for it, named when VTEX
    answers 403; ``SUCCESS`` what a 2xx answer must be to count."""

    METHOD: ClassVar[str]
    RESOURCE: ClassVar[str]
    SUCCESS: ClassVar[Success]

    @property
    def order_id(self) -> str: ...

    def path(self) -> str: ...

    def body(self) -> dict[str, Any] | None: ...


class CellKind(StrEnum):
    """What a spreadsheet stored in a cell, before it was turned into text."""

    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    BOOLEAN = "boolean"


@dataclass(frozen=True, slots=True)
class Source:
    """Where rows come from: a file, and the sheet for workbooks."""

    file: str
    sheet: str | None = None

    def __str__(self) -> str:
        return f"{self.file} [{self.sheet}]" if self.sheet else self.file


class RowError(Message):
    """Why a row cannot be sent, or what looks wrong with it: a stable kebab-case code, the
    field (empty when the whole row is concerned), and a note for a person, its ``template``
    filled in with ``params`` (see :mod:`~batch_uploader.messages`); a ``{hint}`` in it
    stands for a remedy each front end words (see :mod:`~batch_uploader.rules.hints`).

    Errors are equal when they have the same code and field and say the same. Immutable.
    """

    __slots__ = ("code", "field")

    code: str
    field: str

    def __init__(self, code: str, field: str, template: str, params: Params | None = None) -> None:
        super().__init__(template, params)
        self.code = code
        self.field = field

    @property
    def message(self) -> str:
        """The note in English, its remedy worded by the command line."""
        return self.text()

    def __repr__(self) -> str:
        return f"RowError({self.code!r}, {self.field!r}, {self.template!r}, {dict(self.params)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RowError):
            return NotImplemented
        return (self.code, self.field, self.text()) == (other.code, other.field, other.text())

    def __hash__(self) -> int:
        return hash((self.code, self.field, self.text()))

    def __reduce__(self) -> tuple[Any, ...]:
        return (RowError, (self.code, self.field, self.template, self.params or None))


# Not frozen: one is built for every row, and a frozen dataclass takes three times as long
# to build. Nothing changes one once built.
@dataclass(slots=True)
class Row:
    """One data row of a file, with its values already mapped to the request's fields.

    ``number`` is the row number the person sees in the spreadsheet. ``values`` holds the text
    of each mapped field (absent when the file has no such column); ``kinds`` records the fields
    whose cell was not stored as text, so damage done by a spreadsheet can be recognised.
    ``columns`` names each field's column as the file does (``column C "Rastreio"``).
    ``read_errors`` are problems of the row as a whole, found while reading it, and ``cells``
    all its cells as read, so a row to fix can be written back in the file's own columns.
    ``corrected`` names the fields whose value a person typed on the page in place of the
    file's (see :class:`~batch_uploader.files.inputs.TableReading`).
    """

    source: Source
    number: int
    values: Mapping[str, str]
    kinds: Mapping[str, CellKind] = field(default_factory=dict)
    columns: Mapping[str, str] = field(default_factory=dict)
    read_errors: tuple[RowError, ...] = ()
    cells: Sequence[str] = ()
    corrected: tuple[str, ...] = ()

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    def explain(
        self,
        error: RowError,
        words: Mapping[Hint, str] = COMMAND_LINE,
        translate: Translate | None = None,
    ) -> str:
        """``error`` for a person, naming the column it is about; its remedy worded by
        ``words``, its message translated by ``translate``."""
        text = error.text(words, translate)
        return f"{self.label(error.field)}: {text}" if error.field else text

    def label(self, name: str) -> str:
        """Field ``name`` as the person knows it: ``column C 'Rastreio' (trackingNumber)``."""
        column = self.columns.get(name)
        return f"{column} ({name})" if column else name

    def where(self) -> str:
        """The row for a person: its file (and sheet) and its number."""
        return f"{self.source} row {self.number}"


# Not frozen, for the same reason as Row, but hashable: the journal caches by update.
@dataclass(slots=True, unsafe_hash=True)
class TrackingUpdate:
    """A validated row: exactly what is sent to VTEX for it."""

    METHOD: ClassVar[str] = "PATCH"
    RESOURCE: ClassVar[str] = "Notify invoice"
    SUCCESS: ClassVar[Success] = UPDATED

    order_id: str
    invoice_number: str
    tracking_number: str
    tracking_url: str | None = None
    courier: str | None = None
    dispatched_date: str | None = None

    def path(self) -> str:
        return invoice_path(self.order_id, self.invoice_number)

    def body(self) -> dict[str, Any]:
        """The JSON body of the PATCH request; optional values travel as null."""
        return {
            "trackingNumber": self.tracking_number,
            "trackingUrl": self.tracking_url,
            "courier": self.courier,
            "dispatchedDate": self.dispatched_date,
        }


@dataclass(frozen=True, slots=True)
class Event:
    """One step of a parcel's journey, as the tracking request carries it."""

    city: str
    state: str
    description: str
    date: str

    def body(self) -> dict[str, str]:
        return {
            "city": self.city,
            "state": self.state,
            "description": self.description,
            "date": self.date,
        }


@dataclass(frozen=True, slots=True)
class EventsUpdate:
    """A parcel's tracking events: exactly what is sent to VTEX for the rows of one invoice
    (``PUT .../invoice/{invoiceNumber}/tracking``). ``delivered_date`` is written
    ``yyyy-mm-dd hh:mm``, as the API documents."""

    METHOD: ClassVar[str] = "PUT"
    RESOURCE: ClassVar[str] = "Notify invoice"
    SUCCESS: ClassVar[Success] = UPDATED

    order_id: str
    invoice_number: str
    is_delivered: bool
    delivered_date: str | None
    events: tuple[Event, ...]

    def path(self) -> str:
        return invoice_path(self.order_id, self.invoice_number) + "/tracking"

    def body(self) -> dict[str, Any]:
        return {
            "isDelivered": self.is_delivered,
            "deliveredDate": self.delivered_date,
            "events": [event.body() for event in self.events],
        }


# What one request changes on one invoice.
InvoiceUpdate = TrackingUpdate | EventsUpdate


class Status(StrEnum):
    """The final state of an input row, as written in the results file."""

    SENT = "sent"
    INVALID = "invalid"
    FAILED = "failed"
    SKIPPED = "skipped"
    VALID = "valid"


@dataclass(frozen=True, slots=True, init=False)
class Delivery:
    """What happened when an update was sent (or why it was not).

    ``error`` says why it failed or was skipped, as a message (see
    :mod:`~batch_uploader.messages`); ``error_message`` is its English text. Built with
    ``error_message`` as text (its ``{hint}``, if any, standing for ``hint``), a delivery says
    that text as it is.
    """

    status: Status
    attempts: int
    http_status: int | None
    receipt: str | None
    error_code: str | None
    error: Message | None
    fatal: bool
    payload: Any = field(repr=False, compare=False)

    def __init__(
        self,
        status: Status,
        attempts: int = 0,
        http_status: int | None = None,
        receipt: str | None = None,
        error_code: str | None = None,
        error_message: str | None = None,
        fatal: bool = False,
        payload: Any = None,
        hint: Hint | None = None,
        *,
        error: Message | None = None,
    ) -> None:
        if error is None and error_message is not None:
            error = _said(error_message, hint)
        setter = object.__setattr__
        setter(self, "status", status)
        setter(self, "attempts", attempts)
        setter(self, "http_status", http_status)
        setter(self, "receipt", receipt)
        setter(self, "error_code", error_code)
        setter(self, "error", error)
        setter(self, "fatal", fatal)
        setter(self, "payload", payload)

    @property
    def error_message(self) -> str | None:
        """The error in English, its remedy worded by the command line."""
        return None if self.error is None else self.error.text()

    @property
    def hint(self) -> Hint | None:
        """The remedy the error names, if any (see hints)."""
        return None if self.error is None else self.error.hint

    def error_text(
        self, words: Mapping[Hint, str] = COMMAND_LINE, translate: Translate | None = None
    ) -> str | None:
        """The error's message, its remedy worded by ``words``, translated by ``translate``."""
        return None if self.error is None else self.error.text(words, translate)


def _said(text: str, hint: Hint | None) -> Message:
    """A message written out in full, said as it is: only its ``{hint}`` stands for ``hint``."""
    if hint is None or PLACE not in text:
        return Message.as_is(text)
    # Not for the catalogues: a text from outside has no template of batch-uploader's.
    template = text.replace("{", "{{").replace("}", "}}").replace("{{hint}}", PLACE)
    return Message(template, {"hint": hint})


# Why a row holding a secret of the run (the app token pasted into a cell) is not sent: it
# would be stored on the order, and its value is never quoted anywhere.
SECRET_IN_ROW = RowError(
    row_codes.SECRET_IN_ROW,
    "",
    N_(
        "a value of the row holds the app token: it is never sent nor repeated; take it out of "
        "the file and upload the row again"
    ),
)


class Verdict(StrEnum):
    """What reading an order back after its update showed."""

    VERIFIED = "verified"
    MISMATCH = "mismatch"
    NOT_CHECKED = "not-checked"


@dataclass(frozen=True, slots=True)
class Verification:
    """A row's read-back: the verdict, and what VTEX holds or why it was not checked."""

    verdict: Verdict
    detail: str = ""


# Not frozen: one is built for every row, and a frozen dataclass takes three times as long
# to build. Nothing changes one once built.
@dataclass(slots=True)
class Outcome:
    """One line of the results: an input row and what became of it."""

    row: Row
    status: Status
    update: InvoiceUpdate | None = None
    delivery: Delivery | None = None
    errors: tuple[RowError, ...] = ()
    warnings: tuple[RowError, ...] = ()
    notes: tuple[Message, ...] = ()
    verification: Verification | None = None

    @property
    def error_code(self) -> str:
        """The code of what went wrong, as the results say it: VTEX's answer, or the row's
        problems joined by ``;``; empty when nothing did."""
        if self.delivery is not None:
            return self.delivery.error_code or ""
        return ";".join(error.code for error in self.errors)

    @property
    def landed(self) -> bool:
        """Whether VTEX accepted the row's update: now, or in an earlier run."""
        delivery = self.delivery
        return self.status is Status.SENT or (
            self.status is Status.SKIPPED
            and delivery is not None
            and delivery.error_code == row_codes.ALREADY_SENT
        )
