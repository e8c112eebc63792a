"""Read-back verification: did the update really land on the order?

The order is read back (``GET /api/oms/pvt/orders/{orderId}``, through the same pacer and
retries as the updates) and its ``packageAttachment.packages[]`` must hold the invoice with
the tracking number, and the URL and courier when they were sent. An upload with
``verify_orders`` reads each order it updates; :class:`~batch_uploader.jobs.read_back.ReadBack`
reads those of a results file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from ..messages import N_
from ..models import (
    Status,
    Success,
    TrackingUpdate,
    Verdict,
    Verification,
    order_path,
)
from ..rules import row_codes
from ..rules.hints import Hint
from ..rules.validator import shown
from .sender import Sender


@dataclass(frozen=True, slots=True)
class OrderRead:
    """The request that reads an order."""

    METHOD: ClassVar[str] = "GET"
    RESOURCE: ClassVar[str] = "View order"
    SUCCESS: ClassVar[Success] = Success(
        N_(
            "VTEX answered {status} without an order ({preview}), so the order cannot be "
            "checked; {hint}"
        ),
        keys=("orderId",),
        hint=Hint.TARGET,
    )

    order_id: str

    def path(self) -> str:
        return order_path(self.order_id)

    def body(self) -> None:
        return None


async def verify(client: Sender, update: TrackingUpdate) -> Verification:
    """Reads ``update``'s order back with ``client`` and compares."""
    return (await read_back(client, update)).verification


@dataclass(frozen=True, slots=True)
class ReadBackResult:
    """An order read back: the verification, and the row code of why it could not be read
    (``not-attempted``, ``timeout``, VTEX's ``OMS007``...; empty when it was read)."""

    verification: Verification
    code: str = ""


async def read_back(
    client: Sender, update: TrackingUpdate, *, on_request: Callable[[], None] | None = None
) -> ReadBackResult:
    """Reads ``update``'s order back with ``client`` and compares; ``on_request`` is called as
    each request leaves."""
    delivery = await client.send(OrderRead(update.order_id), on_request=on_request)
    if delivery.status is Status.SENT:
        return ReadBackResult(compare(delivery.payload, update))
    code = delivery.error_code or ""
    if code == row_codes.NOT_ATTEMPTED:
        return ReadBackResult(
            Verification(Verdict.NOT_CHECKED, f"not read: {client.stop_reason}"), code
        )
    return ReadBackResult(
        Verification(
            Verdict.NOT_CHECKED,
            f"the order could not be read: {delivery.error_code}: {delivery.error_text()}",
        ),
        code,
    )


def compare(order: Any, update: TrackingUpdate) -> Verification:
    """Whether the ``order`` VTEX returned holds what ``update`` sent."""
    attachment = order.get("packageAttachment") if isinstance(order, dict) else None
    packages = attachment.get("packages") if isinstance(attachment, dict) else None
    packages = [p for p in packages or () if isinstance(p, dict)]
    package = next(
        (p for p in packages if str(p.get("invoiceNumber")) == update.invoice_number), None
    )
    if package is None:
        invoices = ", ".join(shown(str(p.get("invoiceNumber"))) for p in packages)
        held = f"its invoices are {invoices}" if invoices else "it has no invoice"
        return Verification(
            Verdict.MISMATCH, f"the order holds no invoice {shown(update.invoice_number)}: {held}"
        )
    sent = {
        "trackingNumber": update.tracking_number,
        "trackingUrl": update.tracking_url,
        "courier": update.courier,
    }
    differ = [
        f"{key} {shown(str(package.get(key))) if package.get(key) is not None else 'empty'}"
        for key, value in sent.items()
        if value is not None and package.get(key) != value
    ]
    if differ:
        return Verification(Verdict.MISMATCH, "VTEX holds " + ", ".join(differ))
    return Verification(Verdict.VERIFIED)
