"""One module owns the exit statuses: their numbers, the rule that picks a run's, and the order
that picks the worse of two; the old import paths still lead to it."""

from __future__ import annotations

import itertools

import batch_uploader
from batch_uploader import exit_statuses
from batch_uploader.errors import InputError, UsageError
from batch_uploader.exit_statuses import ExitStatus, ran_to_the_end, run_status, worst
from batch_uploader.jobs import report


def test_the_numbers_of_the_contract() -> None:
    numbers = {name: value for name, value in vars(ExitStatus).items() if not name.startswith("_")}
    assert numbers == {
        "OK": 0,
        "ROWS_NOT_SENT": 1,
        "USAGE": 2,
        "ABORTED": 3,
        "INTERNAL_ERROR": 70,
        "CANNOT_WRITE": 74,
        "INTERRUPTED": 130,
    }


def test_the_old_names_lead_to_the_same_statuses() -> None:
    assert report.ExitStatus is batch_uploader.ExitStatus is exit_statuses.ExitStatus
    assert UsageError("x").exit_status == InputError("x").exit_status == ExitStatus.USAGE


def test_the_first_thing_that_happened_decides_a_run() -> None:
    for interrupted, unwritten, stopped, rows_left in itertools.product((False, True), repeat=4):
        status = run_status(
            interrupted=interrupted, unwritten=unwritten, stopped=stopped, rows_left=rows_left
        )
        expected = (
            ExitStatus.INTERRUPTED
            if interrupted
            else ExitStatus.CANNOT_WRITE
            if unwritten
            else ExitStatus.ABORTED
            if stopped
            else ExitStatus.ROWS_NOT_SENT
            if rows_left
            else ExitStatus.OK
        )
        assert status == expected


def test_the_worse_of_two_statuses() -> None:
    order = [0, 1, 2, 3, 74, 70, 130]
    for better, worse in itertools.combinations(order, 2):
        assert worst(better, worse) == worst(worse, better) == worse
    assert [ran_to_the_end(status) for status in order] == [True, True] + [False] * 5
