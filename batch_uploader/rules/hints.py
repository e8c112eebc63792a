"""What a person can do about a row's problem, worded by each front end.

A row's message says what is wrong and, where the remedy is an option of the run, holds
``{hint}`` where that remedy goes; its parameter names the remedy as a code (see messages),
which each front end words when the message is shown. The command line words it as its flag
(``--force sends it again``), a page as its own control (a checkbox), so no front end shows
another's words. The results file and the journal keep the command line's wording, as they
always did.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class Hint(StrEnum):
    """A remedy that is an option of the run."""

    # Send again a row the journal says was sent before.
    FORCE = "force"
    # Say whether the slashed dates of a column are day or month first.
    DATE_ORDER = "date-order"
    # Point the run at the store's OMS (its account, or its address).
    TARGET = "target"
    # Give the tracking page of a courier that has no template.
    URL_TEMPLATES = "url-templates"


# Where a message puts its remedy.
PLACE = "{hint}"

COMMAND_LINE: Mapping[Hint, str] = {
    Hint.FORCE: "--force sends it again",
    Hint.DATE_ORDER: "give --date-format dmy (24/11/2026) or mdy (11/24/2026)",
    Hint.TARGET: "check that --account or --base-url points at VTEX's OMS",
    Hint.URL_TEMPLATES: "add one with --url-templates",
}


def worded(message: str, hint: Hint | None, words: Mapping[Hint, str] = COMMAND_LINE) -> str:
    """``message``, a text written out in full, with its remedy worded by ``words`` (the
    command line's by default). A message made from a template holds its hint as a parameter
    instead (see messages)."""
    return message.replace(PLACE, words[hint]) if hint is not None else message
