"""One message concept for everything batch-uploader says to a person: a fixed English template
marked for the catalogues, and its parameters. Row notes (see test_row_messages) and messages
about the run (see test_run_messages) are made, translated, worded for a page, pickled and
redacted alike; these are the checks they share."""

from __future__ import annotations

import ast
import copy
import pickle
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import batch_uploader
from batch_uploader import message_codes, messages
from batch_uploader.messages import N_, Message, Param, RunMessage, dump, load
from batch_uploader.models import RowError
from batch_uploader.rules import row_codes
from batch_uploader.rules.hints import COMMAND_LINE, Hint
from batch_uploader.vtex.target import Credentials

PACKAGE = Path(batch_uploader.__file__).parent
# Where a template is given to what makes a message: the argument's position.
TEMPLATE_ARGUMENT = {"RowError": 2, "Message": 0, "RunMessage": 1, "DateProblem": 1, "Success": 0}
# How a page might word each remedy: its own controls, and the message's params where it
# wants them.
PAGE: dict[Hint, str] = {
    Hint.FORCE: "tick “Send again” to send it anyway",
    Hint.DATE_ORDER: "choose how this column's dates are written",
    Hint.TARGET: "check the store chosen in Settings",
    Hint.CHOOSE_TARGET: "choose a store in Settings",
    Hint.NO_SENDING: "tick “Only check the files”",
    Hint.BASE_URL: "the store's address in Settings",
    Hint.BASE_URL_GIVEN: "the store's address {base_url!r}",
    Hint.CREDENTIALS: "the app key and token saved in Settings",
    Hint.TIMEOUT: "the time a request may take, in Settings",
    Hint.RESULTS: "the results file {results}",
    Hint.MAP_CHOOSE: "choose the column of the {field} under “Columns”",
    Hint.MAP_NAME: "choose their columns under “Columns”",
    Hint.MAP_USES: "choose it under “Columns”",
    Hint.MAP_WOULD_SEND: "choosing it under “Columns” sends it",
    Hint.MAP_PAIR: "the column chosen as {pair!r}",
    Hint.MAPPING_FILE: "the carrier's saved columns",
    Hint.SHEET: "tick “{sheet}” under “Sheets” to read it",
    Hint.SHEET_ONE: "tick one of them under “Sheets” to read it",
    Hint.ENCODING: "choose its encoding under “Encoding”",
    Hint.ENCODING_ONE_OF: "choose it under “Encoding” ({choices:, })",
    Hint.ENCODING_GIVEN: "the encoding {encoding!r}",
    Hint.JOURNAL: "choose another journal in Settings",
    Hint.JOURNAL_THIS: "choose another journal for this run in Settings",
    Hint.JOURNAL_OTHER: "choose another journal in Settings",
    Hint.URL_TEMPLATES: "add its tracking page under “Couriers”",
    Hint.CHECK_ADDRESS: "check the store's address in Settings, and what answers there",
}


def placeholders(template: str) -> set[str]:
    """The names of ``template``'s placeholders."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        yield str(path.relative_to(PACKAGE)), ast.parse(path.read_text(encoding="utf-8"))


def calls(name: str) -> Iterator[tuple[str, ast.Call]]:
    """Every call of ``name`` in the package, with where it stands."""
    for module, tree in modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == name:
                yield f"{module}:{node.lineno}", node


def marked_templates() -> dict[str, str]:
    """Every template marked in the package, and where (one place each)."""
    found: dict[str, str] = {}
    for where, call in calls("N_"):
        assert not call.keywords, where
        (argument,) = call.args
        assert isinstance(argument, ast.Constant), where
        assert isinstance(argument.value, str), where
        found.setdefault(argument.value, where)
    return found


def _marked_in(node: ast.AST, assigned: dict[str, list[ast.expr]], seen: set[str]) -> set[str]:
    """The templates marked in ``node``, and in what the names it reads were given."""
    found: set[str] = set()
    for part in ast.walk(node):
        if isinstance(part, ast.Call) and getattr(part.func, "id", None) == "N_":
            (argument,) = part.args
            assert isinstance(argument, ast.Constant)
            found.add(str(argument.value))
        elif isinstance(part, ast.Name) and part.id in assigned and part.id not in seen:
            seen.add(part.id)
            for value in assigned[part.id]:
                found |= _marked_in(value, assigned, seen)
    return found


def run_templates() -> set[str]:
    """The templates of the messages about the run: marked in what a RunMessage is made of."""
    found: set[str] = set()
    for _, tree in modules():
        assigned: dict[str, list[ast.expr]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        assigned.setdefault(target.id, []).append(node.value)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "RunMessage":
                found |= _marked_in(node, assigned, set())
    return found


# (a) Templates as an extractor finds them: every message's, about a row or about the run.


def _sample(spec: str) -> Param:
    """A value a placeholder with the format spec ``spec`` takes: a number for a number's
    spec, else a tuple joined by it."""
    try:
        format(1, spec)
    except ValueError:
        return ("x", "y")
    return 1 if spec else "x"


def test_every_template_is_a_string_literal_with_valid_placeholders() -> None:
    templates = marked_templates()

    assert len(templates) == len(list(calls("N_"))) > 150  # one place each
    assert len(run_templates()) > 70
    for template, where in templates.items():
        values: dict[str, Param] = {}
        for literal, name, spec, conversion in string.Formatter().parse(template):
            # Braces are placeholders only: a literal brace would be one a translator could
            # break.
            assert "{" not in literal, where
            assert "}" not in literal, where
            if name is not None:
                assert name.isidentifier(), where
                assert conversion in (None, "r", "q"), where
                values[name] = _sample(spec or "")
        assert Message(template, values).text(), where


def _a_template(node: ast.expr) -> bool:
    """Whether ``node`` gives a template made elsewhere: marked there, or here; a choice
    between two. A literal, an f-string or a concatenation would reach no catalogue."""
    if isinstance(node, ast.IfExp):
        return _a_template(node.body) and _a_template(node.orelse)
    if isinstance(node, ast.Call):
        return getattr(node.func, "id", None) == "N_"
    return isinstance(node, ast.Name | ast.Attribute | ast.Subscript)


def test_messages_are_made_from_marked_templates_not_from_text() -> None:
    for name, position in TEMPLATE_ARGUMENT.items():
        for where, call in calls(name):
            if len(call.args) > position:
                assert _a_template(call.args[position]), where
    for where, call in calls("Delivery"):
        # A delivery's error is a message: text written out would not be translated.
        assert "error_message" not in {keyword.arg for keyword in call.keywords}, where


def test_the_marker_and_the_message_are_defined_once() -> None:
    defined = [
        (module, node.name)
        for module, tree in modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and node.name in ("N_", "Message")
    ]

    assert defined == [("messages.py", "N_"), ("messages.py", "Message")]
    assert N_("{value} is late") == "{value} is late"
    assert issubclass(RunMessage, Message)
    assert issubclass(RowError, Message)


# (b) No front end is shown another's words.


def test_the_page_words_every_hint_and_names_no_flag() -> None:
    assert set(PAGE) == set(Hint) == set(COMMAND_LINE)
    assert not any("--" in words for words in PAGE.values())


def test_no_template_names_a_flag() -> None:
    # A flag is a remedy of the command line's: a hint, which each front end words.
    flagged = {
        where: template for template, where in marked_templates().items() if "--" in template
    }
    assert flagged == {}


# The errors given plain text, which no catalogue holds.
_PLAIN_ERRORS = ("UsageError", "InputError")


def _texts(node: ast.AST, constants: dict[str, ast.AST]) -> Iterator[ast.Constant]:
    """Every literal text in ``node``, f-strings' parts and the module's constants it names
    included."""
    for part in ast.walk(node):
        if isinstance(part, ast.Constant) and isinstance(part.value, str):
            yield part
        elif isinstance(part, ast.Name) and part.id in constants:
            yield from _texts(constants[part.id], {})


def flags_in_errors(tree: ast.Module) -> list[str]:
    """The literal texts of the errors of ``tree`` given as text that hold a flag (``--``)."""
    constants: dict[str, ast.AST] = {
        target.id: statement.value
        for statement in tree.body
        if isinstance(statement, ast.Assign)
        for target in statement.targets
        if isinstance(target, ast.Name)
    }
    found: dict[int, str] = {}  # by node: an error within an error is walked twice
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") in _PLAIN_ERRORS:
            found |= {id(text): str(text.value) for text in _texts(node, constants)}
    return [text for text in found.values() if "--" in text]


def test_no_error_outside_the_command_line_names_a_flag_in_its_text() -> None:
    flagged = {
        module: flags
        for module, tree in modules()
        if not module.startswith("cli/") and (flags := flags_in_errors(tree))
    }
    assert flagged == {}


def test_the_check_finds_a_flag_in_an_error() -> None:
    sample = """
_LATER = "; --sheet {sheet} reads it"
raise UsageError(f"--results {path}: must end in .csv")
raise InputError(f"{path}: hidden" + _LATER)
raise UsageError(RunMessage(codes.Y, N_("{hint}: must end in .csv"), {"hint": Hint.RESULTS}))
"""
    assert flags_in_errors(ast.parse(sample)) == ["--results ", "; --sheet {sheet} reads it"]


# (c) Made for every row: lazy, cheap, and filled in by str.format_map alone.


def test_nothing_is_formatted_until_asked_and_the_english_is_made_once() -> None:
    made = Message(
        N_("{field} is empty; every row needs {required}"), {"field": "x", "required": "y"}
    )

    assert made._english is None
    assert made.text() is made.text()
    assert made.text(PAGE) is not made.text()  # another front end's: made when asked


def test_a_row_message_needs_no_formatter_and_a_run_message_only_its_conversions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    row = Message(
        N_("no tracking URL: no template for courier {courier} ({hint})"),
        {"courier": "'Total Express'", "hint": Hint.URL_TEMPLATES},
    )
    sheet = RunMessage(
        message_codes.HIDDEN_SHEET,
        N_("{file}: sheet {sheet!r} is hidden: left out; {hint}"),
        {"file": "a.xlsx", "sheet": "Pedidos 2026", "hint": Hint.SHEET},
    )
    filling = messages._Filling
    made: list[object] = []

    def counted(*args: Any) -> Any:
        made.append(args)
        return filling(*args)

    monkeypatch.setattr(messages, "_Filling", counted)

    assert row.text() == (
        "no tracking URL: no template for courier 'Total Express' (add one with --url-templates)"
    )
    assert made == []
    assert sheet.text() == (
        "a.xlsx: sheet 'Pedidos 2026' is hidden: left out; --sheet 'Pedidos 2026' reads it"
    )
    assert made


def test_tuples_are_listed_with_commas_or_joined_by_their_spec() -> None:
    listed = Message(N_("{rows}"), {"rows": (7, 8)})
    joined = RunMessage(message_codes.NOT_A_FIELD, N_("{fields: or }"), {"fields": ("a", "b")})

    assert (str(listed), str(joined)) == ("7, 8", "a or b")


# (d) Kept on disk, copied, compared, redacted: a message stays a message of its kind.

EXAMPLES: list[Message] = [
    Message(N_("it was interrupted")),
    Message.as_is("503 Service Unavailable: down"),
    RowError(
        row_codes.MISSING_VALUE,
        "trackingNumber",
        N_("{field} is empty; every row needs {required}"),
        {"field": "trackingNumber", "required": "orderId, invoiceNumber, trackingNumber"},
    ),
    RunMessage(
        message_codes.HIDDEN_SHEET,
        N_("{file}: sheet {sheet!r} is hidden: left out; {hint}"),
        {"file": "a.xlsx", "sheet": "Pedidos 2026", "hint": Hint.SHEET},
    ),
]


def test_messages_dumped_as_a_journal_keeps_them_are_made_again() -> None:
    nested = Message(
        N_("gave up after {attempts} attempts: {answer}"),
        {"attempts": 3, "answer": Message.as_is("503 Service Unavailable: down")},
    )
    listed = Message(N_("{fields: or }; {hint}"), {"fields": ("a", "b"), "hint": Hint.FORCE})
    kept = [*EXAMPLES, nested, listed]

    again = load(dump(kept))

    assert [type(message) for message in again] == [Message] * len(kept)
    assert [message.text() for message in again] == [message.text() for message in kept]
    assert [message.text(PAGE) for message in again] == [message.text(PAGE) for message in kept]
    assert again[-1].hint is Hint.FORCE


@pytest.mark.parametrize(
    "text",
    ["", "not json", "{}", "[1]", '[{"template": 1, "params": {}}]', '[{"hint": "no-such"}]',
     '[{"template": "{a}", "params": {"a": true}}]', '[{"template": "{a}"}]'],
)  # fmt: skip
def test_anything_else_in_a_journal_loads_as_no_message(text: str) -> None:
    assert load(text) == ()


@pytest.mark.parametrize("message", EXAMPLES, ids=lambda message: type(message).__name__)
def test_a_message_pickles_as_its_template_and_params(message: Message) -> None:
    message.text()  # its English made: not what is kept
    kept = pickle.dumps(message, 5)

    for again in (pickle.loads(kept), copy.deepcopy(message), copy.copy(message)):
        assert type(again) is type(message)
        assert again._english is None  # made again when asked for
        assert again == message
        assert (again.template, again.params, again.hint) == (
            message.template,
            message.params,
            message.hint,
        )
        assert again.text(PAGE) == message.text(PAGE)


TOKEN = "messages-token-7e2a-Kq9z"


def test_a_message_holding_a_secret_is_redacted_and_stays_of_its_kind() -> None:
    redactor = Credentials("vtexappkey-mystore-X", TOKEN).redactor()
    heading = f"Token {TOKEN}"
    error = RowError(
        row_codes.CONTROL_CHARACTER,
        "courier",
        N_("{field} holds {value}"),
        {"field": "courier", "value": Message.as_is(heading)},
    )
    note = RunMessage(
        message_codes.UNUSED_COLUMN_MAY_BE_FIELD,
        N_("{source}: column {heading!r} {hint}"),
        {
            "source": "a.csv",
            "heading": heading,
            "field": "trackingNumber",
            "hint": Hint.MAP_WOULD_SEND,
        },
    )

    clean_error, clean_note = error.redacted(redactor), note.redacted(redactor)

    assert (type(clean_error), clean_error.code, clean_error.field) == (
        RowError,
        error.code,
        error.field,
    )
    assert (type(clean_note), clean_note.code, clean_note.hint) == (
        RunMessage,
        note.code,
        note.hint,
    )
    for clean in (clean_error, clean_note):
        assert TOKEN not in str(clean)
        assert TOKEN not in clean.text(PAGE)
        assert "[redacted]" in str(clean)
    # A message without a secret is given back as it is.
    plain = RunMessage(message_codes.INPUT_GREW, N_("{file} grew"), {"file": "a.csv"})
    assert plain.redacted(redactor) is plain
