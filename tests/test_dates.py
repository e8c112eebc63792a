from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from batch_uploader.models import CellKind
from batch_uploader.rules import dates
from batch_uploader.rules.dates import DateOrder, DateProblem, DateRules, column_order, read_date
from batch_uploader.rules.hints import worded

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
DMY = DateRules(order=DateOrder.DMY, now=NOW)
MDY = DateRules(order=DateOrder.MDY, now=NOW)
UNDECIDED = DateRules(now=NOW)
YEAR_END = DateRules(now=dt.datetime(2026, 12, 31, 12, 0, tzinfo=dt.UTC))


@pytest.mark.parametrize(
    ("text", "rules", "sent"),
    [
        ("2026-11-24", UNDECIDED, "2026-11-24"),
        ("2026-11-24T16:05:00-03:00", UNDECIDED, "2026-11-24T16:05:00-03:00"),
        ("2026-11-24 16:05", UNDECIDED, "2026-11-24T16:05:00"),
        ("24/11/2026", UNDECIDED, "2026-11-24"),  # a day above 12 decides by itself
        ("11/24/2026", UNDECIDED, "2026-11-24"),
        ("05/05/2026", UNDECIDED, "2026-05-05"),  # the same either way
        ("01/02/2026", DMY, "2026-02-01"),
        ("01/02/2026", MDY, "2026-01-02"),
        ("24/11/2026 16:05", DMY, "2026-11-24T16:05:00"),
        ("24.11.2026 16:05:09", DMY, "2026-11-24T16:05:09"),
        ("46350", UNDECIDED, "2026-11-24"),  # an Excel serial number
        ("46350.5", UNDECIDED, "2026-11-24T12:00:00"),
    ],
)
def test_dates_read(text: str, rules: DateRules, sent: str) -> None:
    assert read_date(text, None, rules) == sent


@pytest.mark.parametrize(
    ("text", "sent"),
    [
        ("2026-11-24 16:05:00", "2026-11-24T16:05:00"),  # SQL's DATETIME: a space for the T
        ("2026-11-24 16:05:00.000", "2026-11-24T16:05:00"),  # SQL Server's, with milliseconds
        ("2026-11-24 16:05:00-03:00", "2026-11-24T16:05:00-03:00"),
    ],
)
def test_sql_date_times_read_as_iso(text: str, sent: str) -> None:
    assert read_date(text, None, UNDECIDED) == sent


@pytest.mark.parametrize(
    ("text", "rules", "sent"),
    [
        ("05/11/26", DMY, "2026-11-05"),  # 26 can only be 2026: 1926 is before 2000, 2126 ahead
        ("05/11/26", MDY, "2026-05-11"),
        ("24/11/26", UNDECIDED, "2026-11-24"),  # a day above 12 still decides by itself
        ("11-24-26", UNDECIDED, "2026-11-24"),
        ("24.11.00 16:05", DMY, "2000-11-24T16:05:00"),
        ("1/2/26 9:05:09", DMY, "2026-02-01T09:05:09"),
    ],
)
def test_two_digit_years_are_this_century(text: str, rules: DateRules, sent: str) -> None:
    assert read_date(text, None, rules) == sent


@pytest.mark.parametrize(
    ("text", "rules", "code", "says"),
    [
        ("05/11/26", UNDECIDED, "ambiguous-date", "give --date-format dmy"),
        ("05/12/99", DMY, "date-out-of-range", "99 is read as 2099"),  # 1999: refused too
        ("05/12/026", DMY, "invalid-date", "is not a date"),
    ],
)
def test_two_digit_years_refused(text: str, rules: DateRules, code: str, says: str) -> None:
    with pytest.raises(DateProblem) as caught:
        read_date(text, None, rules)

    assert caught.value.code == code
    assert says in worded(str(caught.value), caught.value.hint)


@pytest.mark.parametrize(
    ("text", "sent"),
    [
        ("24/11/2026 4:05 PM", "2026-11-24T16:05:00"),
        ("24/11/2026 4:05pm", "2026-11-24T16:05:00"),
        ("24/11/2026 12:30 AM", "2026-11-24T00:30:00"),  # 12 AM is midnight
        ("24/11/2026 12:30 PM", "2026-11-24T12:30:00"),  # 12 PM is noon
        ("11/24/2026 4:05:09 p.m.", "2026-11-24T16:05:09"),
        ("11/24/26, 9:10 AM", "2026-11-24T09:10:00"),  # as JavaScript's toLocaleString writes
        ("2026-11-24 4:05 PM", "2026-11-24T16:05:00"),
        ("2026-11-24T04:05:00 am", "2026-11-24T04:05:00"),
    ],
)
def test_twelve_hour_times(text: str, sent: str) -> None:
    assert read_date(text, None, UNDECIDED) == sent


@pytest.mark.parametrize(
    ("text", "sent"),
    [
        ("24/11/2026 16h05", "2026-11-24T16:05:00"),  # as Brazil writes a time
        ("24/11/2026 16h", "2026-11-24T16:00:00"),
        ("24/11/2026 16h05min", "2026-11-24T16:05:00"),
        ("24/11/2026 16:05h", "2026-11-24T16:05:00"),
        ("24/11/2026 às 16:05", "2026-11-24T16:05:00"),
        ("24/11/2026 as 16h05", "2026-11-24T16:05:00"),
        ("24/11/2026 - 16:05", "2026-11-24T16:05:00"),
        ("24/11/2026 \u2013 16:05", "2026-11-24T16:05:00"),
        ("24/11/2026 ÀS 16H05", "2026-11-24T16:05:00"),
        ("24 de novembro de 2026 às 16h05", "2026-11-24T16:05:00"),
        ("24/11/2026 a las 16:05", "2026-11-24T16:05:00"),
        ("Nov 24, 2026 at 4:05 PM", "2026-11-24T16:05:00"),
    ],
)
def test_times_as_people_write_them(text: str, sent: str) -> None:
    assert read_date(text, None, DMY) == sent


@pytest.mark.parametrize("text", ["24/11/2026 25h05", "24/11/2026 16h75", "24/11/2026 às"])
def test_times_as_people_write_them_refused_when_no_time(text: str) -> None:
    with pytest.raises(DateProblem):
        read_date(text, None, DMY)


@pytest.mark.parametrize("text", ["24/11/2026 16h:30", "24/11/2026 às 9h:15"])
def test_seconds_without_minutes_are_refused_not_read(text: str) -> None:
    # "16h:30" means half past four, or nothing: never four o'clock and 30 seconds.
    with pytest.raises(DateProblem):
        read_date(text, None, DMY)


@pytest.mark.parametrize(
    "text", ["24/11/2026 16:05 PM", "24/11/2026 0:30 AM", "2026-11-24 13:00 AM"]
)
def test_twelve_hour_times_refused_past_twelve(text: str) -> None:
    with pytest.raises(DateProblem) as caught:
        read_date(text, None, UNDECIDED)

    assert caught.value.code == "invalid-date"
    assert "12-hour" in str(caught.value)


def test_twelve_hour_times_take_the_timezone() -> None:
    rules = DateRules(timezone=ZoneInfo("America/Sao_Paulo"), now=NOW)

    assert read_date("24/11/2026 4:05 PM", None, rules) == "2026-11-24T16:05:00-03:00"


@pytest.mark.parametrize(
    ("text", "sent"),
    [
        ("03/ago/2026", "2026-08-03"),
        ("7-Dic-26", "2026-12-07"),
        ("12 de outubro de 2026", "2026-10-12"),
        ("Oct 3, 2026 9:10", "2026-10-03T09:10:00"),
        ("3 de dezembro de 2026", "2026-12-03"),
        ("3 Sept 2026", "2026-09-03"),
        ("3-SET-2026", "2026-09-03"),
        ("3.sep.2026", "2026-09-03"),
        ("12 de octubre del 2026", "2026-10-12"),
        ("3 DE MARÇO DE 2026", "2026-03-03"),
        ("3 de marco de 2026", "2026-03-03"),
        ("3 dez. 2026 16:05", "2026-12-03T16:05:00"),
        ("Oct. 3, 2026 4:05 PM", "2026-10-03T16:05:00"),
        ("October 3 2026", "2026-10-03"),
        ("diciembre 7 de 2026", "2026-12-07"),
        ("Dec 1st, 2026", "2026-12-01"),
        ("1º de dezembro de 2026", "2026-12-01"),
        ("03 ago 26", "2026-08-03"),
    ],
)
def test_month_names(text: str, sent: str) -> None:
    assert read_date(text, None, YEAR_END) == sent


def test_no_month_name_is_two_months() -> None:
    assert len(dates._MONTHS) == sum(map(len, dates._MONTH_NAMES))


@pytest.mark.parametrize("text", ["Oct 3, 2026", "3/oct/2026", "10/out/2026"])
def test_a_month_name_needs_no_column_order(text: str) -> None:
    orders = [DateRules(order=order, now=NOW) for order in DateOrder]
    read = {read_date(text, None, rules) for rules in [UNDECIDED, *orders]}
    mixed = DateRules(mixed=True, now=NOW)

    assert len(read) == 1
    assert read_date(text, None, mixed) == read.pop()


@pytest.mark.parametrize(
    ("text", "code", "says"),
    [
        ("31 de fevereiro de 2026", "invalid-date", "is not a date"),
        ("3 Foo 2026", "invalid-date", "'Foo' is not a month"),
        ("3 de dezembro de 1999", "date-out-of-range", "before 2000"),
        ("Dec 3, 99", "date-out-of-range", "99 is read as 2099"),
    ],
)
def test_month_names_refused(text: str, code: str, says: str) -> None:
    with pytest.raises(DateProblem) as caught:
        read_date(text, None, UNDECIDED)

    assert caught.value.code == code
    assert says in worded(str(caught.value), caught.value.hint)


def test_excel_date_cells_are_taken_as_they_are() -> None:
    assert read_date("2026-11-24T09:15:00", CellKind.DATE, UNDECIDED) == "2026-11-24T09:15:00"


def test_timezone_given_to_naive_times_only() -> None:
    rules = DateRules(timezone=ZoneInfo("America/Sao_Paulo"), now=NOW)

    assert read_date("2026-11-24 16:05", None, rules) == "2026-11-24T16:05:00-03:00"
    assert read_date("2026-11-24T16:05:00+00:00", None, rules) == "2026-11-24T16:05:00+00:00"
    assert read_date("2026-11-24", None, rules) == "2026-11-24"


@pytest.mark.parametrize(
    ("text", "rules", "code", "says"),
    [
        ("01/02/2026", UNDECIDED, "ambiguous-date", "give --date-format dmy"),
        ("24/11/2026", DateRules(mixed=True, now=NOW), "ambiguous-date", "day first"),
        ("24/11/2026", MDY, "invalid-date", "when read month first"),
        ("31/02/2026", DMY, "invalid-date", "when read day first"),
        ("1999-12-31", UNDECIDED, "date-out-of-range", "before 2000"),
        ("2026-11-28", UNDECIDED, "date-out-of-range", "in the future"),
        ("2026-11-27T10:00:00+00:00", UNDECIDED, "date-out-of-range", "in the future"),
        ("tomorrow", UNDECIDED, "invalid-date", "is not a date"),
        ("12345", UNDECIDED, "invalid-date", "is not a date"),
    ],
)
def test_dates_refused(text: str, rules: DateRules, code: str, says: str) -> None:
    with pytest.raises(DateProblem) as caught:
        read_date(text, None, rules)

    assert caught.value.code == code
    assert says in worded(str(caught.value), caught.value.hint)


def test_a_day_ahead_is_tolerated() -> None:
    assert read_date("2026-11-26", None, UNDECIDED) == "2026-11-26"


@pytest.mark.parametrize(
    ("texts", "decided"),
    [
        (["01/02/2026", "24/11/2026", ""], (DateOrder.DMY, False)),
        (["01/02/2026", "11/24/2026"], (DateOrder.MDY, False)),
        (["01/02/2026", "2026-11-24"], (None, False)),
        (["24/11/2026", "11/24/2026"], (None, True)),
        (["01/02/26", "24/11/26"], (DateOrder.DMY, False)),
        (["24/11/26", "11/24/2026"], (None, True)),
        (["01/02/2026", "11/24/2026 4:05 PM"], (DateOrder.MDY, False)),
        # A month's name settles its own date and tells nothing of how numbers are written.
        (["01/02/2026", "Oct 3, 2026", "3 Oct 2026"], (None, False)),
        (["24/11/2026", "Oct 3, 2026"], (DateOrder.DMY, False)),
    ],
)
def test_column_order(texts: list[str], decided: tuple[DateOrder | None, bool]) -> None:
    assert column_order(texts) == decided


# Written here again, not taken from the module: what people type, per language.
_PT = "janeiro fevereiro março abril maio junho julho agosto setembro outubro novembro dezembro"
_ES = "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre"
_EN = "January February March April May June July August September October November December"
_SHORT = (
    "jan fev mar abr mai jun jul ago set out nov dez",
    "ene feb mar abr may jun jul ago sep oct nov dic",
    "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec",
)
_NAMES = [names.split() for names in (_PT, _ES, _EN, *_SHORT)]
_WRITTEN = (
    lambda d, name: f"{d.day} de {name} de {d.year}",
    lambda d, name: f"{d.day:02d}/{name}/{d.year}",
    lambda d, name: f"{d.day}-{name}-{d.year % 100:02d}",
    lambda d, name: f"{d.day:02d}.{name}.{d.year % 100:02d}",
    lambda d, name: f"{name} {d.day}, {d.year}",
    lambda d, name: f"{d.day:02d}/{d.month:02d}/{d.year % 100:02d}",  # day first, as DMY says
)


@settings(max_examples=500, deadline=None)
@given(
    day=st.dates(min_value=dt.date(2000, 1, 1), max_value=NOW.date()),
    written=st.sampled_from(_WRITTEN),
    names=st.sampled_from(_NAMES),
    case=st.sampled_from([str, str.upper, str.lower, str.title]),
    time=st.one_of(st.none(), st.times().map(lambda t: t.replace(microsecond=0))),
)
def test_every_date_in_range_written_a_new_way_reads_as_itself(
    day: dt.date,
    written: Callable[[dt.date, str], str],
    names: list[str],
    case: Callable[[str], str],
    time: dt.time | None,
) -> None:
    text = written(day, names[day.month - 1])
    sent: dt.date | dt.datetime = day
    if time is not None:
        hour = time.hour % 12 or 12
        text += f" {hour}:{time.minute:02d}:{time.second:02d} {'PM' if time.hour >= 12 else 'AM'}"
        sent = dt.datetime.combine(day, time)

    assert read_date(case(text), None, DMY) == sent.isoformat()


@pytest.mark.parametrize(
    ("text", "sent"),
    [
        ("terça-feira, 24 de novembro de 2026", "2026-11-24"),  # Excel's pt-BR long date
        ("Terça-Feira, 24 De Novembro De 2026 16:05", "2026-11-24T16:05:00"),
        ("martes, 24 de noviembre de 2026", "2026-11-24"),
        ("Tuesday, November 24, 2026", "2026-11-24"),
        ("Tue, Nov 24, 2026", "2026-11-24"),
        ("ter, 2026-11-24", "2026-11-24"),
        ("domingo, 1 de novembro de 2026", "2026-11-01"),
    ],
)
def test_a_long_date_that_starts_with_its_weekday(text: str, sent: str) -> None:
    assert read_date(text, None, DateRules(now=NOW)) == sent


def test_a_weekday_that_does_not_fall_on_the_date_is_refused() -> None:
    with pytest.raises(DateProblem) as refused:
        read_date("segunda-feira, 24 de novembro de 2026", None, DateRules(now=NOW))

    assert refused.value.code == "invalid-date"
    assert "2026-11-24 is not a segunda-feira; correct the day or the weekday" in str(refused.value)
