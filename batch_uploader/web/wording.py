"""Every message of batch-uploader worded for the page, in its language (see
:mod:`batch_uploader.messages`): about a row (a :class:`~batch_uploader.models.RowError`, a
note) or about the run (an error's, a report's note).

Their remedies (:class:`~batch_uploader.rules.hints.Hint`) are worded as what a person does
with this page, never as a command-line flag: the page's words for each are English templates
marked for the catalogues, translated like the messages themselves. This is the one module of
the page that knows the message classes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ..errors import BatchUploaderError
from ..messages import Message
from ..models import Outcome, RowError
from ..redaction import Redactor
from ..rules.hints import Hint
from .i18n import Language


def W_(text: str) -> str:
    """Marks ``text``, words of the page's own, for its catalogues; returns it as it is."""
    return text


# What a person does on this page for each remedy. A row message takes these as they are;
# a run message fills in the params named in the comments of Hint.
PAGE_WORDS: Mapping[Hint, str] = {
    Hint.FORCE: W_("this page does not send it again"),
    Hint.DATE_ORDER: W_("choose how its dates are written above and check again"),
    Hint.TARGET: W_("check the account this page was started for"),
    Hint.CHOOSE_TARGET: W_("start the page for an account, or in sandbox mode"),
    Hint.NO_SENDING: W_("start the page in sandbox mode"),
    Hint.BASE_URL: W_("the address this page was started with"),
    Hint.BASE_URL_GIVEN: W_("the address {base_url}"),
    Hint.CREDENTIALS: W_("the app key and token this page was started with"),
    Hint.TIMEOUT: W_("the time limit this page was started with"),
    Hint.RESULTS: W_("the results file {results}"),
    Hint.MAP_CHOOSE: W_("delete the column that is not the {field} from the file and upload it again"),  # noqa: E501
    Hint.MAP_NAME: W_("rename them in the file with headings this page knows and upload it again"),
    Hint.MAP_USES: W_("renaming the heading '{heading}' to {field} in the file uses it"),
    Hint.MAP_WOULD_SEND: W_("renaming the heading '{heading}' to {field} in the file would send it"),  # noqa: E501
    Hint.MAP_PAIR: W_("the heading {pair}"),
    Hint.MAPPING_FILE: W_("the file of headings {file}"),
    Hint.SHEET: W_("show the sheet in the workbook and upload it again to read it"),
    Hint.SHEET_ONE: W_("show one of them in the workbook and upload it again to read it"),
    Hint.ENCODING: W_("save it again as CSV UTF-8 and upload it again"),
    Hint.ENCODING_ONE_OF: W_("save the file as CSV UTF-8 and upload it again"),
    Hint.ENCODING_GIVEN: W_("the encoding {encoding}"),
    Hint.JOURNAL: W_("start the page with another journal"),
    Hint.JOURNAL_THIS: W_("start the page with another journal"),
    Hint.JOURNAL_OTHER: W_("start the page with a journal this version can read"),
    Hint.URL_TEMPLATES: W_("ask whoever started this page to add its tracking page to the templates"),  # noqa: E501
    Hint.CHECK_ADDRESS: W_("check the address this page was started with, or whatever answers there"),  # noqa: E501
}  # fmt: skip


# A remedy about an account of the Settings page (its check, its fields, a job sent to it)
# points at that account, not at how the page was started.
ACCOUNT_WORDS: Mapping[Hint, str] = {
    **PAGE_WORDS,
    Hint.TARGET: W_("check the account's name and environment, or its address, in Settings"),
    Hint.BASE_URL: W_("the account's address"),
    Hint.CREDENTIALS: W_("the account's app key and token in Settings"),
    Hint.CHECK_ADDRESS: W_("check the account's address in Settings, or whatever answers there"),
}


def words(language: Language, *, account: bool = False) -> dict[Hint, str]:
    """The page's words for each remedy, in ``language``; with ``account``, about an account
    of the Settings page."""
    chosen = ACCOUNT_WORDS if account else PAGE_WORDS
    return {hint: language.gettext(text) for hint, text in chosen.items()}


def row_message(message: Message, language: Language, *, account: bool = False) -> str:
    """A row's message (a refusal, a warning, a note) as the page shows it."""
    return message.text(words(language, account=account), language.gettext)


@dataclass(frozen=True, slots=True)
class Refusal:
    """A row refused, as the page's table shows it: where (``source``, ``row``), the column
    as the file names it (empty for the whole row), the value it holds there, and why."""

    source: str
    row: int
    column: str
    value: str
    code: str
    message: RowError


def refusals(outcome: Outcome, redactor: Redactor) -> list[Refusal]:
    """A refused row's refusals, one a problem, without the secrets of ``redactor`` (a token
    pasted in a cell is not repeated)."""
    row = outcome.row
    found = []
    for error in outcome.errors:
        column = row.columns.get(error.field, "") if error.field else ""
        found.append(
            Refusal(
                redactor.text(str(row.source)),
                row.number,
                redactor.text(column.removeprefix("column ")),
                redactor.text(row.get(error.field)) if error.field else "",
                error.code,
                error,
            )
        )
    return found


def run_message(message: Message | str, language: Language, *, account: bool = False) -> str:
    """A message about the run (a note, an error's text) as the page shows it: translated
    when it is a message with a template, its remedy worded by the page (about an account of
    its Settings, with ``account``)."""
    if isinstance(message, Message):
        return message.text(words(language, account=account), language.gettext)
    return message


def error_message(error: BatchUploaderError, language: Language, *, account: bool = False) -> str:
    """What a person reads on the page when the files cannot be read or the run cannot
    start: the error's message worded for the page, never a traceback."""
    return run_message(error.message, language, account=account)
