"""Turning a row into the request to send, or into the reasons it cannot be sent."""

from __future__ import annotations

import re
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from urllib.parse import urlsplit

from ..files.reader import MAX_EXACT_DIGITS
from ..messages import N_, Message
from ..models import FIELDS, REQUIRED_FIELDS, CellKind, Row, RowError, TrackingUpdate
from . import row_codes
from .dates import DateProblem, DateRules, read_date

# Characters that cannot travel in a path segment of the OMS route: "/" breaks the route even
# percent-encoded, whitespace gives a 500, "#" and "?" end the path.
_UNROUTABLE = re.compile(r"[/#?\s]")
_SPACE = re.compile(r"\s")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# What keeps an identifier out of the path, named for a person.
_CHARACTER_NAMES = {
    "/": Message(N_('a slash "/"')),
    "#": Message(N_('a "#"')),
    "?": Message(N_('a "?"')),
}
_A_SPACE = Message(N_("a space"))
_ONLY_DOTS = Message(N_("only dots"))
# "1.23457E+17", "1,23457E+17": a long number Excel showed in scientific notation.
_SCIENTIFIC = re.compile(r"^[+-]?\d+([.,]\d+)?[eE][+-]?\d+$")
IDENTIFIERS = ("orderId", "invoiceNumber", "trackingNumber")
# Excel's error values in English, Portuguese and Spanish.
_ERROR_VALUES = frozenset(
    {"#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NULL!", "#NUM!", "#SPILL!", "#CALC!"}
    # An .xls cell still waiting for an external source when the file was saved.
    | {"#GETTING_DATA"}
    | {"#N/D", "#VALOR!", "#NOME?", "#NULO!", "#NÚM!", "#NOMBRE?", "#¡REF!", "#¡VALOR!"}
)
# LibreOffice's error values are numbered ("Err:502"), beside Excel's ("#N/A").
_NUMBERED_ERROR = re.compile(r"ERR:[0-9]{3}")
_LEFTOVER_STARTS = ("=", "#", "E")
_SHOWN = 60
_ANY_ORDER = DateRules()
# Most rows are plain: identifiers of letters, digits and ". _ -", other cells free of control
# characters and of U+FFFD (bytes that were not text), and not starting as a formula or an
# error value. One match over the row, its values joined by a control character, proves that
# none of the common problems is there, so the checks that explain them run only for the rest.
_ID = r"[0-9A-Za-z][0-9A-Za-z._-]*"
_TEXT = r"(?!Err:)[^=#\x00-\x1f\x7f-\x9f\ufffd][^\x00-\x1f\x7f-\x9f\ufffd]*"
_PLAIN_ROW = re.compile("\x1f".join((_ID, _ID, _TEXT, f"(?:{_TEXT})?", f"(?:{_TEXT})?")))
# An absolute http(s) address with a plain host, which needs no closer look.
_PLAIN_WEB_URL = re.compile(r"(?i:https?)://[A-Za-z0-9.-]*[A-Za-z0-9](?::[0-9]*)?(?:[/?#]\S*)?")


def validate(row: Row, dates: DateRules = _ANY_ORDER) -> TrackingUpdate | list[RowError]:
    """The update for ``row``, or every problem that keeps it from being sent. ``dates`` says
    how the row's column of dispatch dates is read."""
    values = row.values  # keyed by field: a file with all six columns has them all
    value = values if len(values) == len(FIELDS) else {n: values.get(n, "") for n in FIELDS}
    errors: list[RowError]
    spoiled: AbstractSet[str]
    if _is_plain(row, value):
        errors, spoiled = [], _NOTHING_SPOILED
    else:
        errors, spoiled = common_problems(
            row, value, REQUIRED_FIELDS, IDENTIFIERS, (*IDENTIFIERS, "trackingUrl", "courier")
        )
    url = value["trackingUrl"]
    if (
        url
        and "trackingUrl" not in spoiled
        and not _PLAIN_WEB_URL.fullmatch(url)
        and not _is_web_url(url)
    ):
        errors.append(
            RowError(
                row_codes.INVALID_URL,
                "trackingUrl",
                N_(
                    "{value} is not an absolute web address; write it in full, starting with "
                    "https:// (or leave the cell empty)"
                ),
                {"value": shown(url)},
            )
        )
    date = checked_date(row, value, "dispatchedDate", dates, spoiled, errors)
    if errors:
        return errors
    return TrackingUpdate(
        order_id=value["orderId"],
        invoice_number=value["invoiceNumber"],
        tracking_number=value["trackingNumber"],
        tracking_url=url or None,
        courier=value["courier"] or None,
        dispatched_date=date,
    )


_NOTHING_SPOILED: frozenset[str] = frozenset()


def _is_plain(row: Row, value: Mapping[str, str]) -> bool:
    """Whether :func:`common_problems` is sure to find nothing in the row (see _PLAIN_ROW)."""
    if row.read_errors or (row.kinds and not row.kinds.keys().isdisjoint(IDENTIFIERS)):
        return False
    identifiers = (value["orderId"], value["invoiceNumber"], value["trackingNumber"])
    ids = "\x1f".join(identifiers)
    joined = "\x1f".join((ids, value["trackingUrl"], value["courier"]))
    date = value["dispatchedDate"]
    if _PLAIN_ROW.fullmatch(joined) is None or date[:1] in _LEFTOVER_STARTS or "\ufffd" in date:
        return False
    # A text cell showing scientific notation ("1.23457E+17") is a rounded number.
    if "e" not in ids and "E" not in ids:
        return True
    return not any(("e" in v or "E" in v) and _SCIENTIFIC.match(v) for v in identifiers)


def common_problems(
    row: Row,
    value: Mapping[str, str],
    required: tuple[str, ...],
    identifiers: tuple[str, ...],
    texts: tuple[str, ...],
) -> tuple[list[RowError], set[str]]:
    """The problems every kind of row can have, and the fields spoiled by a spreadsheet or a
    mixed encoding (their value is no value): leftover formulas and errors, text that was not
    text in the file's encoding, missing ``required`` values,
    ``identifiers`` a spreadsheet damaged, control characters in ``texts``, and order and
    invoice numbers that cannot travel in a path."""
    errors = list(row.read_errors)
    spoiled = set()
    for name, text in value.items():
        # Formulas start with "=" and every error value with "#" or "Err:": most cells do not.
        if text[:1] in _LEFTOVER_STARTS and (problem := _spreadsheet_leftover(name, text)):
            errors.append(problem)
            spoiled.add(name)
        elif "\ufffd" in text:
            errors.append(_undecodable(row, name, text))
            spoiled.add(name)
    for name in required:
        if not value[name]:
            errors.append(
                RowError(
                    row_codes.MISSING_VALUE,
                    name,
                    N_("{field} is empty; every row needs {required}"),
                    {"field": name, "required": ", ".join(required)},
                )
            )
    for name in identifiers:
        if name not in spoiled and (damage := _spreadsheet_damage(row, name)):
            errors.append(damage)
    for name in texts if _CONTROL.search("".join(map(value.__getitem__, texts))) else ():
        if _CONTROL.search(value[name]):
            errors.append(
                RowError(
                    row_codes.CONTROL_CHARACTER,
                    name,
                    N_(
                        "{value} contains a line break or an invisible control character; "
                        "retype the cell"
                    ),
                    {"value": shown(value[name])},
                )
            )
    for name in ("orderId", "invoiceNumber"):
        found = _UNROUTABLE.search(value[name])
        if name not in spoiled and (found or (value[name] and not value[name].strip("."))):
            character = _CHARACTER_NAMES.get(found.group(), _A_SPACE) if found else _ONLY_DOTS
            errors.append(
                RowError(
                    row_codes.UNROUTABLE_IDENTIFIER,
                    name,
                    N_(
                        "{value} contains {character}, which cannot travel in the request's "
                        "address; correct the {field}"
                    ),
                    {"value": shown(value[name]), "character": character, "field": name},
                )
            )
    return errors, spoiled


def checked_date(
    row: Row,
    value: Mapping[str, str],
    name: str,
    rules: DateRules,
    spoiled: AbstractSet[str],
    errors: list[RowError],
) -> str | None:
    """Field ``name`` read as a date (``None`` when empty); a problem goes to ``errors``."""
    text = value[name]
    if not text or name in spoiled:
        return None
    try:
        return read_date(text, row.kinds.get(name), rules)
    except DateProblem as problem:
        errors.append(RowError(problem.code, name, problem.template, problem.params))
        return None


def shown(value: str) -> str:
    """A value quoted for a message, cut when long."""
    return repr(value if len(value) <= _SHOWN else value[: _SHOWN - 1] + "…")


def _spreadsheet_leftover(name: str, value: str) -> RowError | None:
    """A formula or an error value that a spreadsheet left where data should be."""
    upper = value.upper()
    if upper in _ERROR_VALUES or _NUMBERED_ERROR.fullmatch(upper):
        return RowError(
            row_codes.SPREADSHEET_ERROR,
            name,
            N_(
                "{value} is a spreadsheet error, not a value; fix the formula or type the value "
                "in the source file"
            ),
            {"value": shown(value)},
        )
    if len(value) > 1 and value.startswith("="):
        return RowError(
            row_codes.FORMULA_CELL,
            name,
            N_("{value} is a formula, not its result; copy the column and paste it as values"),
            {"value": shown(value)},
        )
    return None


def _undecodable(row: Row, name: str, value: str) -> RowError:
    """A value holding U+FFFD: bytes of a CSV file that were not text in its encoding (see
    :mod:`batch_uploader.files.charset`), or a workbook cell damaged when its text was copied in."""
    if row.source.sheet is None:
        template = N_(
            "{value} holds bytes that are not UTF-8 text (shown as \ufffd): the file mixes two "
            "encodings; correct the cell, or save the file again as CSV UTF-8"
        )
    else:
        template = N_(
            "{value} holds \ufffd, a character left where text could not be read when it was "
            "copied in; type the value again"
        )
    return RowError(row_codes.UNDECODABLE_TEXT, name, template, {"value": shown(value)})


def _spreadsheet_damage(row: Row, name: str) -> RowError | None:
    """An identifier that a spreadsheet has turned into something else: a rounded number, a
    date, a number with decimals."""
    value, kind = row.get(name), row.kinds.get(name)
    if kind is None and "e" not in value and "E" not in value:
        return None  # a text cell is damaged only when it shows scientific notation
    digits = value.lstrip("-")
    rounded = kind is CellKind.NUMBER and (
        "e" in digits.lower()
        or digits.endswith(".0")
        or (digits.isdigit() and len(digits) > MAX_EXACT_DIGITS)
    )
    if rounded or _SCIENTIFIC.match(value):
        return RowError(
            row_codes.NUMBER_PRECISION_LOST,
            name,
            N_(
                "{value} is a long number that the spreadsheet rounded (it keeps 15 digits), so "
                "the real {field} is lost; format the column as Text, type or paste the numbers "
                "again, and save"
            ),
            {"value": shown(value), "field": name},
        )
    if kind is CellKind.NUMBER and not digits.isdigit():
        return RowError(
            row_codes.WRONG_CELL_TYPE,
            name,
            N_(
                "{value} is a number with decimals, not an identifier; format the column as Text "
                "and type the value again"
            ),
            {"value": shown(value)},
        )
    if kind is CellKind.DATE:
        return RowError(
            row_codes.WRONG_CELL_TYPE,
            name,
            N_(
                "{value} is stored as a date cell, not as the {field}; format the column as Text "
                "and type the value again"
            ),
            {"value": shown(value), "field": name},
        )
    if kind is CellKind.BOOLEAN:
        return RowError(
            row_codes.WRONG_CELL_TYPE,
            name,
            N_(
                "{value} is stored as a boolean cell, not as the {field}; format the column as "
                "Text and type the value again"
            ),
            {"value": shown(value), "field": name},
        )
    return None


def _is_web_url(text: str) -> bool:
    if _SPACE.search(text):
        return False
    try:
        parts = urlsplit(text)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
