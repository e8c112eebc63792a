"""What a person can do about a problem, worded by each front end.

A message (see :mod:`~batch_uploader.messages`) says what is wrong and, where the remedy is an
option of the run, holds ``{hint}`` where that remedy goes: its ``hint`` parameter names the
remedy as a code. The command line words it as its flag (``--force sends it again``), a page
as its own control (a checkbox), so no front end shows another's words. The results file, the
journal and summary.json keep the command line's wording, as they always did.

A message may also name an option as what to correct (``--results x.txt``), and a front end's
words for a hint are templates over the message's parameters (``{field}``), with the
conversions of messages (``{sheet!q}``): the comment of each hint names the parameters it
takes.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class Hint(StrEnum):
    """A remedy that is an option of the run, or the option a message asks to correct."""

    # Send again a row the journal says was sent before.
    FORCE = "force"
    # Say whether the slashed dates of a column are day or month first.
    DATE_ORDER = "date-order"
    # Point the run at the store's OMS (its account, or its address).
    TARGET = "target"
    # Say where to send: no account, no address, no sandbox was given.
    CHOOSE_TARGET = "choose-target"
    # Run without credentials: against the sandbox, or checking the files only.
    NO_SENDING = "no-sending"
    # The OMS address, as the run was given it (not quoted: it may hold a secret).
    BASE_URL = "base-url"
    # The OMS address, quoted ({base_url}).
    BASE_URL_GIVEN = "base-url-given"
    # Where the app key and token come from.
    CREDENTIALS = "credentials"
    # How long an attempt may take.
    TIMEOUT = "timeout"
    # The results file asked for ({results}).
    RESULTS = "results"
    # Say which of two columns holds a field ({field}).
    MAP_CHOOSE = "map-choose"
    # Name the columns of the fields not found.
    MAP_NAME = "map-name"
    # Take a column for a field not found ({heading}, {field}).
    MAP_USES = "map-uses"
    # Take an unused column for a field no column gives ({heading}, {field}).
    MAP_WOULD_SEND = "map-would-send"
    # A heading=field pair, as given ({pair}).
    MAP_PAIR = "map-pair"
    # A file of headings for the fields ({file}).
    MAPPING_FILE = "mapping-file"
    # Read a sheet left out ({sheet}).
    SHEET = "sheet"
    # Read one of several sheets left out ({sheet}, the first).
    SHEET_ONE = "sheet-one"
    # Name a CSV file's encoding.
    ENCODING = "encoding"
    # Name a CSV file's encoding, one of those it reads about as well in ({choices}).
    ENCODING_ONE_OF = "encoding-one-of"
    # An encoding, as given ({encoding}).
    ENCODING_GIVEN = "encoding-given"
    # Keep the journal of sent rows elsewhere.
    JOURNAL = "journal"
    # Keep this run's journal elsewhere, while another run holds the one it names.
    JOURNAL_THIS = "journal-this"
    # Use another journal than one this version cannot read.
    JOURNAL_OTHER = "journal-other"
    # Give the tracking page of a courier that has no template.
    URL_TEMPLATES = "url-templates"
    # Check the address the run sends to: what answered there is no OMS of VTEX's.
    CHECK_ADDRESS = "check-address"


# Where a message puts its remedy.
PLACE = "{hint}"

COMMAND_LINE: Mapping[Hint, str] = {
    Hint.FORCE: "--force sends it again",
    Hint.DATE_ORDER: "give --date-format dmy (24/11/2026) or mdy (11/24/2026)",
    Hint.TARGET: "check that --account or --base-url points at VTEX's OMS",
    Hint.CHOOSE_TARGET: (
        "give --account (or VTEX_ACCOUNT_NAME), --base-url (or VTEX_BASE_URL), or --sandbox"
    ),
    Hint.NO_SENDING: "use --sandbox or --dry-run",
    Hint.BASE_URL: "--base-url (or VTEX_BASE_URL)",
    Hint.BASE_URL_GIVEN: "--base-url {base_url!r}",
    Hint.CREDENTIALS: "VTEX_APP_KEY and VTEX_APP_TOKEN (or --credentials)",
    Hint.TIMEOUT: "--timeout",
    Hint.RESULTS: "--results {results}",
    Hint.MAP_CHOOSE: "say which one to use with --map 'Heading={field}'",
    Hint.MAP_NAME: "name them with --map 'Heading in the file=field'",
    Hint.MAP_USES: "--map '{heading}={field}' uses it",
    Hint.MAP_WOULD_SEND: "--map '{heading}={field}' would send it",
    Hint.MAP_PAIR: "--map {pair!r}",
    Hint.MAPPING_FILE: "--mapping {file}",
    # !q: quoted as a shell needs it (a sheet named "Pedidos 2026").
    Hint.SHEET: "--sheet {sheet!q} reads it",
    Hint.SHEET_ONE: "--sheet {sheet!q} reads one",
    Hint.ENCODING: "name its encoding with --encoding",
    Hint.ENCODING_ONE_OF: "name it with --encoding {choices: or --encoding }",
    Hint.ENCODING_GIVEN: "--encoding {encoding!r}",
    Hint.JOURNAL: "give another --journal",
    Hint.JOURNAL_THIS: "give this one another --journal",
    Hint.JOURNAL_OTHER: "use another --journal",
    Hint.URL_TEMPLATES: "add one with --url-templates",
    Hint.CHECK_ADDRESS: "check --base-url, or whatever stands at the address",
}


def worded(message: str, hint: Hint | None, words: Mapping[Hint, str] = COMMAND_LINE) -> str:
    """``message``, a text written out in full, with its remedy worded by ``words`` (the
    command line's by default), taken as they are. A message made from a template holds its
    hint as a parameter instead (see messages)."""
    return message.replace(PLACE, words[hint]) if hint is not None else message
