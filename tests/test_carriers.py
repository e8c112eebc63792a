from __future__ import annotations

import pytest

from batch_uploader.models import TrackingUpdate
from batch_uploader.rules.carriers import s10_check_digit, warnings


def update(number: str, courier: str | None) -> TrackingUpdate:
    return TrackingUpdate("1-01", "9", number, courier=courier)


@pytest.mark.parametrize(("digits", "check"), [("47312482", 9), ("12345678", 5)])
def test_s10_check_digit(digits: str, check: int) -> None:
    assert s10_check_digit(digits) == check


@pytest.mark.parametrize("courier", ["Correios", "CORREIOS - PAC", "Sedex 10"])
def test_good_correios_numbers_pass(courier: str) -> None:
    assert warnings(update("RA473124829BR", courier)) == []


@pytest.mark.parametrize(
    ("number", "says"),
    [
        ("RA473124828BR", "wrong check digit"),
        ("10012345678901", "does not look like a Correios number"),
    ],
)
def test_doubtful_correios_numbers_warn(number: str, says: str) -> None:
    (warning,) = warnings(update(number, "Correios"))

    assert (warning.code, warning.field) == ("unexpected-tracking-number", "trackingNumber")
    assert says in warning.message


@pytest.mark.parametrize("courier", ["Jadlog", None, "Loggi"])
def test_other_couriers_are_not_checked(courier: str | None) -> None:
    assert warnings(update("anything", courier)) == []
