"""A first look at every row of a run, before any is sent.

Some questions can only be answered from all the rows: how a column writes its dates, and
which rows repeat an invoice of another row (in any file of the run). The survey reads the
rows once, keeping little per row (two 64-bit hashes), so a file of a million rows stays cheap.
"""

from __future__ import annotations

from array import array
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..files.inputs import Values
from ..models import Source
from .dates import DateOrder, decided_order, evidence

RowRef = tuple[Source, int]
_MASK = (1 << 64) - 1


@dataclass
class Survey:
    """What the rows of a run say as a whole.

    ``numbers`` holds each table's row numbers (4 bytes a row), so that no row it saw can go
    missing from the results; ``date_orders`` each table's date order and whether its dates
    show both orders;
    ``duplicates`` maps a row to the earlier row it repeats exactly (same order, invoice and
    tracking data); ``conflicts`` maps each row of an invoice given different tracking data
    to the other rows of that invoice.
    """

    rows: int = 0
    rows_by_source: Counter[Source] = field(default_factory=Counter)
    numbers: dict[Source, array[int]] = field(default_factory=dict)
    date_orders: dict[Source, tuple[DateOrder | None, bool]] = field(default_factory=dict)
    duplicates: dict[RowRef, RowRef] = field(default_factory=dict)
    conflicts: dict[RowRef, tuple[RowRef, ...]] = field(default_factory=dict)
    # With ``by_parcel``: the lines of each invoice (a parcel), by the hash of its key, in
    # place of duplicates and conflicts (a parcel's lines are meant to repeat its invoice).
    parcels: dict[int, int] = field(default_factory=dict)


def survey(
    rows: Iterable[Values], dates: tuple[str, ...] = ("dispatchedDate",), by_parcel: bool = False
) -> Survey:
    """Reads ``rows`` (from :func:`~batch_uploader.files.inputs.data_values`) once and tells what
    they say as a whole; ``dates`` are the columns whose slashed dates tell the order."""
    result = Survey()
    sources: dict[Source, int] = {}
    evidence_by_source: dict[Source, Counter[DateOrder]] = defaultdict(Counter)
    # Invoice key hash -> the first row's source index, row number and payload hash, packed.
    first: dict[int, int] = {}
    repeated: dict[int, list[tuple[RowRef, int]]] = {}
    source: Source | None = None
    source_index, orders = 0, Counter[DateOrder]()
    for row_source, number, values in rows:
        if row_source is not source:  # rows come file by file: look the file up once
            source = row_source
            source_index = sources.setdefault(source, len(sources))
            orders = evidence_by_source[source]
            numbers = result.numbers.setdefault(source, array("L"))
        numbers.append(number)
        get = values.get
        for name in dates:
            if order := evidence(get(name, "")):
                orders[order] += 1
        order_id, invoice = get("orderId"), get("invoiceNumber")
        if not order_id or not invoice:
            continue
        key = hash((order_id, invoice))
        if by_parcel:
            result.parcels[key] = result.parcels.get(key, 0) + 1
            continue
        payload = (
            hash(
                (
                    get("trackingNumber", ""),
                    get("trackingUrl", ""),
                    get("courier", ""),
                    get("dispatchedDate", ""),
                )
            )
            & _MASK
        )
        seen = first.get(key)
        if seen is None:
            first[key] = (source_index << 96) | (number << 64) | payload
        else:
            group = repeated.setdefault(key, [(_unpack_ref(seen, sources), seen & _MASK)])
            group.append(((source, number), payload))
    for source, numbers in result.numbers.items():
        result.rows_by_source[source] = len(numbers)
    result.rows = sum(result.rows_by_source.values())
    for source in sources:
        result.date_orders[source] = decided_order(evidence_by_source.get(source, Counter()))
    for group in repeated.values():
        refs = [ref for ref, _ in group]
        if len({payload for _, payload in group}) == 1:
            result.duplicates.update((ref, refs[0]) for ref in refs[1:])
        else:
            result.conflicts.update((ref, tuple(r for r in refs if r != ref)) for ref in refs)
    return result


def _unpack_ref(packed: int, sources: dict[Source, int]) -> RowRef:
    index, number = packed >> 96, (packed >> 64) & ((1 << 32) - 1)
    source = next(source for source, i in sources.items() if i == index)
    return source, number
