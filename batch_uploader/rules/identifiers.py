"""Identifiers that look wrong: warnings on the row, never refusals, since only a person can
tell a typing mistake from a new series; and the one identifier batch-uploader writes the
standard way, a Correios object code.

A VTEX order id ends in ``-NN`` (``1300000000123-01``): one without is often a spreadsheet's
number made of it (the ``-01`` lost), or another system's own order number. A Correios code
(UPU S10: two letters, nine digits, two letters) is upper case without spaces wherever Correios
shows it; typed in lower case or spaced (``aa 123 456 785 br``), it is sent the standard way
when that is a valid code (check digit included), and the row says so. No other courier's
number is ever changed.
"""

from __future__ import annotations

from dataclasses import replace

from ..messages import N_
from ..models import RowError, TrackingUpdate
from . import carriers, row_codes


def standardised(update: TrackingUpdate) -> tuple[TrackingUpdate, list[RowError]]:
    """``update`` with its Correios code written the standard way when it was not, and the
    warnings of what looks wrong in its identifiers. Runs for every row: the common case (an
    order id with its suffix, a code as Correios writes it) costs a few string methods."""
    number = update.tracking_number
    if (number != number.upper() or " " in number) and (standard := carriers.correios_code(update)):
        rewritten = RowError(
            row_codes.CORREIOS_CODE_REWRITTEN,
            "trackingNumber",
            N_("{value} is sent as {sent}: a Correios code is written in capitals without spaces"),
            {"value": repr(number), "sent": repr(standard)},
        )
        update = replace(update, tracking_number=standard)
        found = [rewritten, *carriers.warnings(update)]
    else:
        found = carriers.warnings(update)
    order_id = update.order_id
    if not (order_id[-3:-2] == "-" and order_id[-2:].isdigit() and len(order_id) > 3):
        found = [_without_suffix(order_id), *found]
    return update, found


def _without_suffix(order_id: str) -> RowError:
    return RowError(
        row_codes.ORDER_ID_WITHOUT_SUFFIX,
        "orderId",
        N_(
            "{value} has no '-NN' ending, as VTEX's order ids have (1300000000123-01): a "
            "spreadsheet may have made a number of it, or it is another system's order number; "
            "check it against the order in VTEX"
        ),
        {"value": repr(order_id)},
    )
