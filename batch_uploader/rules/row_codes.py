"""The codes batch-uploader writes about a row: in the results' ``errorCode`` column (why a row
was refused, skipped or failed) and in its ``warnings`` column.

They are stable, for scripts, and the README's "Error codes" table lists the same. VTEX's own
codes (``OMS007``...) are written as its answer gives them, and are not here.
"""

from __future__ import annotations

# Refused: the row is not sent.
MISSING_VALUE = "missing-value"  # orderId, invoiceNumber or trackingNumber is empty
UNROUTABLE_IDENTIFIER = "unroutable-identifier"  # an identifier VTEX cannot put in a URL path
CONTROL_CHARACTER = "control-character"  # a line break or invisible control character
SECRET_IN_ROW = "secret-in-row"  # a cell holds the app token
UNDECODABLE_TEXT = "undecodable-text"  # bytes that are not UTF-8 in a UTF-8 file
NUMBER_PRECISION_LOST = "number-precision-lost"  # an identifier a spreadsheet rounded
WRONG_CELL_TYPE = "wrong-cell-type"  # an identifier stored as a date, boolean or decimal
FORMULA_CELL = "formula-cell"  # a formula where its value should be
SPREADSHEET_ERROR = "spreadsheet-error"  # an error value such as #N/A
INVALID_URL = "invalid-url"  # trackingUrl is not an absolute http(s) address
INVALID_DATE = "invalid-date"  # a date that is none, or not in its column's order
AMBIGUOUS_DATE = "ambiguous-date"  # day and month cannot be told apart
DATE_OUT_OF_RANGE = "date-out-of-range"  # before 2000 or in the future
WRONG_CELL_COUNT = "wrong-cell-count"  # a CSV row wider or narrower than its header
FILE_CHANGED = "file-changed"  # the file changed while it was read
CONFLICTING_ROWS = "conflicting-rows"  # same order and invoice, other tracking data
INVALID_FLAG = "invalid-flag"  # (events) isDelivered is not yes or no
PARCEL_INCOMPLETE = "parcel-incomplete"  # (events) another line of the parcel is invalid
CONFLICTING_DELIVERED = "conflicting-delivered"  # (events) delivery said and unsaid

# Skipped: the row needs no request.
DUPLICATE_ROW = "duplicate-row"  # it repeats an earlier row, which is sent
ALREADY_SENT = "already-sent"  # the journal has it as sent to this account

# Failed: the row's request did not land, or may not have.
NOT_ATTEMPTED = "not-attempted"  # the run stopped before trying it
INTERRUPTED = "interrupted"  # its request left, and the run did not wait for the answer
UNEXPECTED_ANSWER = "unexpected-answer"  # a 2xx answer without VTEX's receipt
ANSWER_TOO_LARGE = "answer-too-large"  # an answer over the size any VTEX answer has
TIMEOUT = "timeout"  # no answer in time after every attempt
CONNECTION_ERROR = "connection-error"  # no connection after every attempt
HTTP_ERROR = "http-error"  # an answer that could not be read after every attempt

ERROR_CODES = frozenset(
    {
        MISSING_VALUE,
        UNROUTABLE_IDENTIFIER,
        CONTROL_CHARACTER,
        SECRET_IN_ROW,
        UNDECODABLE_TEXT,
        NUMBER_PRECISION_LOST,
        WRONG_CELL_TYPE,
        FORMULA_CELL,
        SPREADSHEET_ERROR,
        INVALID_URL,
        INVALID_DATE,
        AMBIGUOUS_DATE,
        DATE_OUT_OF_RANGE,
        WRONG_CELL_COUNT,
        FILE_CHANGED,
        CONFLICTING_ROWS,
        INVALID_FLAG,
        PARCEL_INCOMPLETE,
        CONFLICTING_DELIVERED,
        DUPLICATE_ROW,
        ALREADY_SENT,
        NOT_ATTEMPTED,
        INTERRUPTED,
        UNEXPECTED_ANSWER,
        ANSWER_TOO_LARGE,
        TIMEOUT,
        CONNECTION_ERROR,
        HTTP_ERROR,
    }
)
"""Every fixed code of the ``errorCode`` column; :func:`http_status` makes the others."""


def http_status(status: int) -> str:
    """``http-404``: an error answer's code when VTEX's body names none."""
    return f"http-{status}"


# Warnings: the row is sent all the same.
UNEXPECTED_TRACKING_NUMBER = "unexpected-tracking-number"  # not Correios' S10 pattern
CORREIOS_CODE_REWRITTEN = "correios-code-rewritten"  # sent in capitals, without spaces
ORDER_ID_WITHOUT_SUFFIX = "order-id-without-suffix"  # no -NN ending: sent as written

WARNING_CODES = frozenset(
    {UNEXPECTED_TRACKING_NUMBER, CORREIOS_CODE_REWRITTEN, ORDER_ID_WITHOUT_SUFFIX}
)
"""Every code of the ``warnings`` column."""
