"""Sanity checks of tracking numbers for couriers whose numbering is known.

They warn, never refuse: a courier may start a new series, and the person who reads the
results decides. Correios numbers follow the UPU S10 standard: two letters, eight digits, a
check digit, and the country (``AA123456785BR``).
"""

from __future__ import annotations

import operator
import re
from functools import lru_cache

from ..files.columns import normalise
from ..messages import N_
from ..models import RowError, TrackingUpdate
from . import row_codes

_S10 = re.compile(r"^[A-Z]{2}(\d{8})(\d)[A-Z]{2}$")
_S10_WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
_CORREIOS = ("correios", "sedex", "pac")


def warnings(update: TrackingUpdate) -> list[RowError]:
    """What looks wrong with ``update``'s tracking number for its courier."""
    if not _is_correios(update.courier or ""):
        return []
    number = update.tracking_number.upper()
    found = _S10.match(number)
    if found is None:
        return [
            RowError(
                row_codes.UNEXPECTED_TRACKING_NUMBER,
                "trackingNumber",
                N_(
                    "{value} does not look like a Correios number (two letters, nine digits, "
                    "two letters, as AA123456785BR); check it"
                ),
                {"value": repr(update.tracking_number)},
            )
        ]
    if s10_check_digit(found[1]) != int(found[2]):
        return [
            RowError(
                row_codes.UNEXPECTED_TRACKING_NUMBER,
                "trackingNumber",
                N_(
                    "{value} has a wrong check digit for a Correios number; check it for a "
                    "typing mistake"
                ),
                {"value": repr(update.tracking_number)},
            )
        ]
    return []


def correios_code(update: TrackingUpdate) -> str | None:
    """``update``'s tracking number as Correios writes it (capitals, no spaces), when its
    courier is Correios and that is a valid S10 code, check digit included; ``None`` otherwise."""
    if not _is_correios(update.courier or ""):
        return None
    number = "".join(update.tracking_number.split()).upper()
    found = _S10.match(number)
    if found is None or s10_check_digit(found[1]) != int(found[2]):
        return None
    return number


@lru_cache(maxsize=1024)
def _is_correios(courier: str) -> bool:
    # A file names a handful of couriers over and over: normalise each name once.
    return normalise(courier).startswith(_CORREIOS)


def s10_check_digit(digits: str) -> int:
    """The UPU S10 check digit of eight serial digits."""
    total: int = sum(map(operator.mul, map(int, digits), _S10_WEIGHTS))
    remainder = 11 - total % 11
    return {10: 0, 11: 5}.get(remainder, remainder)
