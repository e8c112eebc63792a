"""Reading the dispatch date the way a warehouse writes it, without guessing.

ISO 8601 (with or without time and offset), Excel date cells and Excel serial numbers are
read as they are. Slashed dates (``24/11/2026 16:05``) are read day-first or month-first as
``--date-format`` says, or as the whole column shows: a day above 12 decides, and a column
that never decides, or decides both ways, is an error rather than a guess.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

from ..messages import N_, Message, Params
from ..models import CellKind
from . import row_codes
from .hints import Hint

# A time after a date: 16:05[:09], as Brazil writes one (16h05, 16h, 16h05min, 16:05h), or on
# the 12-hour clock 4:05 PM (4:05pm, 4:05 p.m.); after a space, a comma, a T or a word
# (às, a las, at) or dash between the two.
# Seconds only after minutes: 16h:30 is no time.
_CLOCK = r"(\d{1,2})(?::(?=\d{2})|[hH])(?:(\d{2})(?::(\d{2}))?)?(?:[hH]|min)?"
_MERIDIEM = r"\s*([AaPp])\.?\s*[Mm]\.?"
_BEFORE_TIME = r"(?:,\s*|[ T]|\s+(?:[àaÀA][sS]|[aA]\s+las|[aA][tT]|-|\u2013)\s+)"
_TIME = rf"(?:{_BEFORE_TIME}{_CLOCK}(?:{_MERIDIEM})?)?"
_SLASHED = re.compile(rf"^(\d{{1,2}})[/.-](\d{{1,2}})[/.-](\d{{4}}|\d{{2}}){_TIME}$")
# ISO 8601 but for the 12-hour clock, which fromisoformat does not know.
_ISO_12_HOUR = re.compile(rf"^(\d{{4}})-(\d{{2}})-(\d{{2}})[ T]{_CLOCK}{_MERIDIEM}$")
# Months by name, in Portuguese, Spanish and English, in full and abbreviated; no name is two
# months, so a date that names its month needs no column order.
_MONTH_NAMES = (
    ("janeiro", "enero", "january", "jan", "ene"),
    ("fevereiro", "febrero", "february", "fev", "feb"),
    ("março", "marco", "marzo", "march", "mar"),
    ("abril", "april", "abr", "apr"),
    ("maio", "mayo", "may", "mai"),
    ("junho", "junio", "june", "jun"),
    ("julho", "julio", "july", "jul"),
    ("agosto", "august", "ago", "aug"),
    ("setembro", "septiembre", "setiembre", "september", "set", "sep", "sept"),
    ("outubro", "octubre", "october", "out", "oct"),
    ("novembro", "noviembre", "november", "nov"),
    ("dezembro", "diciembre", "december", "dez", "dic", "dec"),
)
_MONTHS = {name: number for number, names in enumerate(_MONTH_NAMES, 1) for name in names}
# Weekdays, Monday first, that Excel's long dates start with ("terça-feira, 24 de novembro de
# 2026", "Tuesday, November 24, 2026"): checked against the date, then left aside.
_WEEKDAY_NAMES = (
    ("segunda-feira", "segunda", "seg", "lunes", "lun", "monday", "mon"),
    ("terça-feira", "terca-feira", "terça", "terca", "ter", "martes", "tuesday", "tue", "tues"),
    ("quarta-feira", "quarta", "qua", "miércoles", "miercoles", "mié", "mie", "wednesday",
     "wed"),
    ("quinta-feira", "quinta", "qui", "jueves", "jue", "thursday", "thu", "thur", "thurs"),
    ("sexta-feira", "sexta", "sex", "viernes", "vie", "friday", "fri"),
    ("sábado", "sabado", "sáb", "sab", "saturday", "sat"),
    ("domingo", "dom", "sunday", "sun"),
)  # fmt: skip
_WEEKDAYS = {name: number for number, names in enumerate(_WEEKDAY_NAMES) for name in names}
_WEEKDAY = re.compile(r"^([^\W\d_]+(?:-feira)?)\.?,?\s+(?=\S)", re.I)
# 3 de dezembro de 2026, 03/ago/2026, 7-Dic-26, Oct. 3, 2026, diciembre 7 de 2026, Dec 1st.
_DAY = r"(\d{1,2})(?:st|nd|rd|th|º|°)?"
_NAME = r"([^\W\d_]{3,10})\.?"
_BETWEEN = r"(?:\s*[-/.,]\s*|\s+(?:de|del)\s+|\s+)"
_YEAR = r"(\d{4}|\d{2})"
_NAMED_DAY_FIRST = re.compile(rf"^{_DAY}{_BETWEEN}{_NAME}{_BETWEEN}{_YEAR}{_TIME}$", re.I)
_NAMED_MONTH_FIRST = re.compile(rf"^{_NAME}{_BETWEEN}{_DAY}{_BETWEEN}{_YEAR}{_TIME}$", re.I)
# Every pattern of a day, month and year has the year in group 3.
_WITH_YEAR = (_SLASHED, _NAMED_DAY_FIRST, _NAMED_MONTH_FIRST)
# A two-digit year YY is 20YY: 19YY is before EARLIEST and 21YY more than a day ahead, so the
# range check leaves no other century (until 2100).
_CENTURY = 2000
_SEPARATORS = ("/", ".", "-")
_SERIAL = re.compile(r"^\d{5}(\.\d+)?$")
# Excel serial numbers of 2000-01-01 and 2099-12-31 (days since 1899-12-30).
_SERIALS = (36526.0, 73051.0)
_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
EARLIEST = dt.date(2000, 1, 1)
# How far ahead of now a dispatch date may be (clocks and time zones differ).
FUTURE_TOLERANCE = dt.timedelta(days=1)


class DateOrder(StrEnum):
    """How to read 01/02/2026: day first (1 February) or month first (2 January)."""

    DMY = "dmy"
    MDY = "mdy"


@dataclass(frozen=True, kw_only=True, slots=True)
class DateRules:
    """How a column's dates are read: its ``order`` (``None`` while undecided), whether the
    column showed both orders (``mixed``), the zone given to times without an offset, and
    ``now`` for the check against dates in the future."""

    order: DateOrder | None = None
    mixed: bool = False
    timezone: dt.tzinfo | None = None
    now: dt.datetime | None = None


class DateProblem(ValueError):
    """Why a value is not a usable dispatch date: a stable code, and a note for a person as a
    template and its parameters (see messages)."""

    def __init__(self, code: str, template: str, params: Params) -> None:
        super().__init__(template)
        self.code = code
        self.template = template
        self.params = params

    @property
    def hint(self) -> Hint | None:
        """The remedy the note names, if any."""
        return Message(self.template, self.params).hint

    def __str__(self) -> str:
        return Message(self.template, self.params).text()


def evidence(text: str) -> DateOrder | None:
    """The order a slashed date proves by itself (a day above 12), if any."""
    # Most dates are ISO 8601: a separator can stand only second or third in a slashed one.
    if text[1:2] not in _SEPARATORS and text[2:3] not in _SEPARATORS:
        return None
    found = _SLASHED.match(text)
    if found is None:
        return None
    first, second = int(found[1]), int(found[2])
    if first > 12 >= second:
        return DateOrder.DMY
    if second > 12 >= first:
        return DateOrder.MDY
    return None


def column_order(texts: Iterable[str]) -> tuple[DateOrder | None, bool]:
    """The order a column's values show, and whether they show both."""
    return decided_order(Counter(order for text in texts if (order := evidence(text))))


def decided_order(seen: Counter[DateOrder]) -> tuple[DateOrder | None, bool]:
    """The order shown by a column's count of evidence, and whether it shows both."""
    if len(seen) > 1:
        return None, True
    return (next(iter(seen)) if seen else None), False


@lru_cache(maxsize=4096)
def read_date(text: str, kind: CellKind | None, rules: DateRules) -> str:
    """``text`` as the ISO 8601 date, or date and time, sent to VTEX. Raises
    :class:`DateProblem` when it is not a date that can be trusted. Cached: a file's rows
    share a few dozen dispatch dates."""
    value = _parse(text, kind, rules)
    if isinstance(value, dt.datetime) and value.tzinfo is None and rules.timezone is not None:
        value = value.replace(tzinfo=rules.timezone)
    _check_range(text, value, rules)
    return value.isoformat()


def looks_like_date(text: str, kind: CellKind | None) -> bool:
    """Whether ``text`` reads as a date or a time, day first or month first, however old or
    new: for telling what a column holds, not for sending."""
    if kind is CellKind.DATE:
        return True
    for order in DateOrder:
        try:
            _parse(text, kind, DateRules(order=order))
        except (DateProblem, ValueError, OverflowError):
            continue
        return True
    return False


def _parse(text: str, kind: CellKind | None, rules: DateRules) -> dt.date | dt.datetime:
    if kind is not CellKind.DATE and _SERIAL.match(text):
        serial = float(text)
        if _SERIALS[0] <= serial <= _SERIALS[1]:
            moment = _EXCEL_EPOCH + dt.timedelta(days=serial)
            return moment.date() if serial.is_integer() else moment.replace(microsecond=0)
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        pass
    found = _SLASHED.match(text)
    if found is not None:
        return _slashed(text, found, rules)
    # The rarer ways below are tried only once the common ones failed.
    found = _ISO_12_HOUR.match(text)
    if found is not None:
        year, month, day = (int(found[i]) for i in (1, 2, 3))
        return _at(text, year, month, day, found, 4, N_("{value} is not a date as ISO 8601"))
    found = _NAMED_DAY_FIRST.match(text)
    if found is not None:
        return _named(text, found, day=1, name=2)
    found = _NAMED_MONTH_FIRST.match(text)
    if found is not None:
        return _named(text, found, day=2, name=1)
    found = _WEEKDAY.match(text)
    if found is not None and (weekday := _WEEKDAYS.get(found[1].lower())) is not None:
        return _on_weekday(text, _parse(text[found.end() :], kind, rules), found[1], weekday)
    raise DateProblem(
        row_codes.INVALID_DATE,
        N_(
            "{value} is not a date; write it as 2026-11-24, 24/11/2026 or "
            "2026-11-24T15:30:00-03:00 (or leave the cell empty)"
        ),
        {"value": repr(text)},
    )


def _slashed(text: str, found: re.Match[str], rules: DateRules) -> dt.date | dt.datetime:
    first, second, year = int(found[1]), int(found[2]), _full_year(found[3])
    if rules.mixed:
        raise DateProblem(
            row_codes.AMBIGUOUS_DATE,
            N_(
                "{value} cannot be read safely: this column has dates written day first "
                "(25/11/2026) and month first (11/25/2026); write them as 2026-11-25, or {hint}"
            ),
            {"value": repr(text), "hint": Hint.DATE_ORDER},
        )
    order = rules.order or evidence(text)
    if order is None and first != second:
        raise DateProblem(
            row_codes.AMBIGUOUS_DATE,
            N_("{value} may be day first or month first, and no date of this column tells; {hint}"),
            {"value": repr(text), "hint": Hint.DATE_ORDER},
        )
    if order is DateOrder.MDY:
        invalid = N_("{value} is not a date when read month first, as this column is")
        return _at(text, year, first, second, found, 4, invalid)
    invalid = N_("{value} is not a date when read day first, as this column is")
    return _at(text, year, second, first, found, 4, invalid)


def _on_weekday(
    text: str, value: dt.date | dt.datetime, said: str, weekday: int
) -> dt.date | dt.datetime:
    """``value``, read after the weekday ``said`` that a long date starts with, when it falls on
    that day: a weekday that does not is a date typed wrong, in one of its two parts."""
    if value.weekday() != weekday:
        raise DateProblem(
            row_codes.INVALID_DATE,
            N_(
                "{value} is not a date that can be trusted: {date} is not a {weekday}; correct "
                "the day or the weekday"
            ),
            {"value": repr(text), "date": f"{value:%Y-%m-%d}", "weekday": said},
        )
    return value


def _named(text: str, found: re.Match[str], *, day: int, name: int) -> dt.date | dt.datetime:
    """A date that names its month: whatever its column's order, as the name settles it."""
    month = _MONTHS.get(found[name].lower())
    if month is None:
        raise DateProblem(
            row_codes.INVALID_DATE,
            N_(
                "{value} is not a date: {month} is not a month in Portuguese, Spanish or "
                "English (write 3 de dezembro de 2026, 03/dez/2026 or Dec 3, 2026)"
            ),
            {"value": repr(text), "month": repr(found[name])},
        )
    invalid = N_("{value} is not a date (no such day)")
    return _at(text, _full_year(found[3]), month, int(found[day]), found, 4, invalid)


def _at(
    text: str, year: int, month: int, day: int, found: re.Match[str], clock: int, invalid: str
) -> dt.date | dt.datetime:
    """The date, with the time in groups ``clock`` to ``clock + 3`` of ``found`` (hour,
    minute, second, AM/PM) if there is one; ``invalid`` is the template of the error, which
    says how it was read."""
    hour = None if found[clock] is None else _hour(text, int(found[clock]), found[clock + 3])
    try:
        if hour is None:
            return dt.date(year, month, day)
        minute, second = int(found[clock + 1] or 0), int(found[clock + 2] or 0)
        return dt.datetime(year, month, day, hour, minute, second)
    except ValueError:  # DateProblem is one too: _hour is called outside
        raise DateProblem(row_codes.INVALID_DATE, invalid, {"value": repr(text)}) from None


def _hour(text: str, hour: int, meridiem: str | None) -> int:
    """``hour`` on the 24-hour clock; 12 AM is midnight and 12 PM noon."""
    if meridiem is None:
        return hour
    if not 1 <= hour <= 12:
        raise DateProblem(
            row_codes.INVALID_DATE,
            N_(
                "{value} is not a time: AM and PM go with the 12-hour clock (1 to 12); write "
                "16:05 or 4:05 PM"
            ),
            {"value": repr(text)},
        )
    return hour % 12 + (12 if meridiem in "Pp" else 0)


def _full_year(digits: str) -> int:
    return int(digits) + (_CENTURY if len(digits) == 2 else 0)


def _check_range(text: str, value: dt.date | dt.datetime, rules: DateRules) -> None:
    day = value.date() if isinstance(value, dt.datetime) else value
    if day < EARLIEST:
        raise DateProblem(
            row_codes.DATE_OUT_OF_RANGE,
            N_("{value} is before 2000: not a dispatch date of this system"),
            {"value": repr(text)},
        )
    now = rules.now or dt.datetime.now(dt.UTC)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        late = value - now > FUTURE_TOLERANCE
    else:
        late = day - now.date() > FUTURE_TOLERANCE
    if late:
        # Only on the way out: say how a two-digit year was read (99 is 2099, never 1999).
        found = next(filter(None, (pattern.match(text) for pattern in _WITH_YEAR)), None)
        if found is not None and len(found[3]) == 2:
            raise DateProblem(
                row_codes.DATE_OUT_OF_RANGE,
                N_(
                    "{value} is in the future (a two-digit year {short} is read as {year}); a "
                    "parcel cannot have left yet (check day and month)"
                ),
                {"value": repr(text), "short": found[3], "year": day.year},
            )
        raise DateProblem(
            row_codes.DATE_OUT_OF_RANGE,
            N_("{value} is in the future; a parcel cannot have left yet (check day and month)"),
            {"value": repr(text)},
        )
