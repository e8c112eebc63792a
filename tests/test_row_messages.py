"""Every note about a row is a fixed English template with named placeholders, and its
parameters: a front end translates the template (a gettext msgid) and fills in the parameters,
the results, the rows to fix, the journal and the console the English, as they always did."""

from __future__ import annotations

import ast
import json
import pickle
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import batch_uploader
from batch_uploader.jobs.journal import SentBefore
from batch_uploader.jobs.spill import Spill
from batch_uploader.models import Delivery, Row, RowError, Status
from batch_uploader.rules import row_codes
from batch_uploader.rules.hints import COMMAND_LINE, Hint
from batch_uploader.rules.messages import N_, Message, Param, Translate
from batch_uploader.rules.validator import validate
from batch_uploader.vtex.sender import given_up

from . import row_scenarios
from .conftest import make_row

PACKAGE = Path(batch_uploader.__file__).parent
BEFORE = Path(__file__).parent / "data" / "row-messages.json"
# Where a template is given to what makes a message: the argument's position, or keyword.
TEMPLATE_ARGUMENT = {"RowError": 2, "Message": 0, "DateProblem": 1, "Success": 0}


def placeholders(template: str) -> set[str]:
    """The names of ``template``'s placeholders."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        yield str(path.relative_to(PACKAGE)), ast.parse(path.read_text(encoding="utf-8"))


def _calls(name: str) -> Iterator[tuple[str, ast.Call]]:
    """Every call of ``name`` in the package, with where it stands."""
    for module, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == name:
                yield f"{module}:{node.lineno}", node


def marked_templates() -> dict[str, str]:
    """Every template marked in the package, and where (one place each)."""
    found: dict[str, str] = {}
    for where, call in _calls("N_"):
        assert not call.keywords, where
        (argument,) = call.args
        assert isinstance(argument, ast.Constant), where
        assert isinstance(argument.value, str), where
        found.setdefault(argument.value, where)
    return found


# (a) Templates as an extractor finds them.


def test_every_template_is_a_string_literal_with_named_placeholders() -> None:
    templates = marked_templates()

    assert len(templates) == len(list(_calls("N_"))) > 70  # one place each
    for template, where in templates.items():
        parsed = list(string.Formatter().parse(template))
        for literal, name, spec, conversion in parsed:
            # Braces are placeholders only: a literal brace would be one a translator could
            # break.
            assert "{" not in literal, where
            assert "}" not in literal, where
            if name is not None:
                assert name.isidentifier(), where
                assert (spec, conversion) == ("", None), where
        assert template.format_map(dict.fromkeys(placeholders(template), "x")), where


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
        for where, call in _calls(name):
            if len(call.args) > position:
                assert _a_template(call.args[position]), where
    for where, call in _calls("Delivery"):
        # A delivery's error is a message: text written out would not be translated.
        assert "error_message" not in {keyword.arg for keyword in call.keywords}, where


def test_the_marker_is_defined_once_and_gives_the_template_back() -> None:
    defined = [
        module
        for module, tree in _modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef) and node.name == "N_"
    ]

    assert defined == ["rules/messages.py"]
    assert N_("{value} is late") == "{value} is late"


# (b) The places that use a template give exactly its placeholders, and say what they said.


@dataclass(frozen=True)
class Scenarios:
    """What the scenarios' results said, and every message shown to say it."""

    said: Any
    messages: list[Message]


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory: pytest.TempPathFactory) -> Scenarios:
    shown: list[Message] = []
    text = Message.text

    def noted(
        self: Message, words: Mapping[Hint, str] = COMMAND_LINE, translate: Translate | None = None
    ) -> str:
        shown.append(self)
        return text(self, words, translate)

    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path_factory.mktemp("scenarios"))
        patch.setattr(Message, "text", noted)
        said = row_scenarios.normalised(row_scenarios.everything())
    return Scenarios(said, shown)


def within(message: Message) -> Iterator[Message]:
    """``message`` and every message among its parameters."""
    yield message
    for value in message.params.values():
        values = value if isinstance(value, tuple) else (value,)
        for item in values:
            if isinstance(item, Message):
                yield from within(item)


def test_every_row_says_what_it_said_before(scenarios: Scenarios) -> None:
    before = json.loads(BEFORE.read_text(encoding="utf-8"))

    assert scenarios.said.keys() == before.keys()
    for scenario, said in before.items():
        assert scenarios.said[scenario] == said, scenario


def test_each_message_gives_exactly_the_placeholders_of_its_template(
    scenarios: Scenarios,
) -> None:
    for message in {id(m): m for shown in scenarios.messages for m in within(shown)}.values():
        template, params = message.template, message.params
        assert set(params) == placeholders(template), template
        hints = {name for name, value in params.items() if isinstance(value, Hint)}
        assert hints <= {"hint"}, template
        # Filled with its parameters' names, nothing of the template is left unfilled.
        filled = template.format_map({name: f"<{name}>" for name in params})
        assert "{" not in filled, template
        assert "}" not in filled, template
        assert all(f"<{name}>" in filled for name in params), template


def test_every_template_is_said_in_a_scenario(scenarios: Scenarios) -> None:
    said = {m.template for shown in scenarios.messages for m in within(shown)}

    assert set(marked_templates()) - said == set()


def test_row_errors_carry_their_codes_and_marked_templates(scenarios: Scenarios) -> None:
    errors = [m for m in scenarios.messages if isinstance(m, RowError)]

    assert {error.code for error in errors} <= row_codes.ERROR_CODES | row_codes.WARNING_CODES
    assert {error.code for error in errors} >= {
        row_codes.MISSING_VALUE,
        row_codes.AMBIGUOUS_DATE,
        row_codes.CONFLICTING_ROWS,
        row_codes.PARCEL_INCOMPLETE,
        row_codes.WRONG_CELL_COUNT,
        row_codes.SECRET_IN_ROW,
        row_codes.ORDER_ID_WITHOUT_SUFFIX,
    }
    assert {error.template for error in errors} <= set(marked_templates())


# (c) A front end's translation, through the same formatting path.


def shouted(template: str) -> str:
    """A stand-in for a catalogue: the template's words in capitals, its placeholders kept."""
    return "".join(
        literal.upper() + ("" if name is None else "{" + name + "}")
        for literal, name, _, _ in string.Formatter().parse(template)
    )


def expected_shouted(message: Message, words: Mapping[Hint, str]) -> str:
    """What ``message`` says translated by :func:`shouted`, worked out apart from messages."""
    parts = []
    for literal, name, _, _ in string.Formatter().parse(message.template):
        parts.append(literal.upper())
        if name is not None:
            parts.append(_expected_value(message.params[name], words))
    return "".join(parts)


def _expected_value(value: Param, words: Mapping[Hint, str]) -> str:
    if isinstance(value, Hint):
        return words[value]
    if isinstance(value, Message):
        return expected_shouted(value, words)
    if isinstance(value, tuple):
        return ", ".join(_expected_value(item, words) for item in value)
    return str(value)


def test_every_message_translated_keeps_its_parameters_in_place(scenarios: Scenarios) -> None:
    for message in {id(m): m for m in scenarios.messages}.values():
        assert message.text(PAGINA, shouted) == expected_shouted(message, PAGINA)


# How a page might word the remedies, in Portuguese, and a catalogue of three templates.
PAGINA = {
    Hint.FORCE: "marque “Enviar de novo” para enviá-la mesmo assim",
    Hint.DATE_ORDER: "escolha como as datas desta coluna estão escritas",
    Hint.TARGET: "confira a loja escolhida em Configurações",
    Hint.URL_TEMPLATES: "cadastre um em Transportadoras",
}
CATALOGO = {
    "{field} is empty; every row needs {required}": (
        "{field} está vazio; toda linha precisa de {required}"
    ),
    "{value} may be day first or month first, and no date of this column tells; {hint}": (
        "{value} pode ter o dia ou o mês primeiro, e nenhuma data desta coluna diz qual; {hint}"
    ),
    "{message} (gave up after {attempts} attempts)": (
        "{message} (desistiu depois de {attempts} tentativas)"
    ),
    "the parcel's rows {rows} cannot be sent, and a parcel's events are sent together; "
    "correct them and upload the parcel again": (
        "as linhas {rows} do volume não podem ser enviadas, e os eventos de um volume vão "
        "juntos; corrija-as e envie o volume de novo"
    ),
}


def portugues(template: str) -> str:
    return CATALOGO.get(template, template)  # as gettext gives back what it does not know


def refusal(row: Row) -> RowError:
    """The one problem of ``row``."""
    problems = validate(row)
    assert isinstance(problems, list)
    (problem,) = problems
    return problem


def test_a_page_shows_a_refusal_in_portuguese_with_its_values_and_its_own_remedy() -> None:
    missing = refusal(make_row(orderId="1-01", invoiceNumber="9"))
    row = make_row(
        orderId="1-01", invoiceNumber="9", trackingNumber="T", dispatchedDate="01/02/2026"
    )
    ambiguous = refusal(row)

    assert missing.text(PAGINA, portugues) == (
        "trackingNumber está vazio; toda linha precisa de orderId, invoiceNumber, trackingNumber"
    )
    assert ambiguous.text(PAGINA, portugues) == (
        "'01/02/2026' pode ter o dia ou o mês primeiro, e nenhuma data desta coluna diz qual; "
        "escolha como as datas desta coluna estão escritas"
    )
    # The results keep the English and the command line's words.
    assert row.explain(ambiguous) == (
        "dispatchedDate: '01/02/2026' may be day first or month first, and no date of this "
        "column tells; give --date-format dmy (24/11/2026) or mdy (11/24/2026)"
    )


def test_a_message_within_a_message_is_translated_with_it(scenarios: Scenarios) -> None:
    by_text = {m.text(): m for m in scenarios.messages}
    gave_up = by_text["503 Service Unavailable: down (gave up after 2 attempts)"]
    parcel = by_text[
        "the parcel's rows 7, 8 cannot be sent, and a parcel's events are sent together; correct "
        "them and upload the parcel again"
    ]

    # VTEX's own words are said as they are, whatever the language.
    assert gave_up.text(PAGINA, portugues) == (
        "503 Service Unavailable: down (desistiu depois de 2 tentativas)"
    )
    assert parcel.text(PAGINA, portugues) == (
        "as linhas 7, 8 do volume não podem ser enviadas, e os eventos de um volume vão juntos; "
        "corrija-as e envie o volume de novo"
    )


def test_a_delivery_words_its_remedy_and_translates_its_error() -> None:
    delivery = SentBefore("r-1", "2026-11-24T10:00:00Z", 3, "loggi.csv", 7).delivery()
    catalogue = {
        "already sent on {date} ({file} row {row}, run {run}); {hint}": (
            "já enviada em {date} ({file} linha {row}, execução {run}); {hint}"
        )
    }

    assert delivery.error_text(PAGINA, lambda t: catalogue.get(t, t)) == (
        "já enviada em 2026-11-24T10:00:00Z (loggi.csv linha 7, execução 3); marque “Enviar de "
        "novo” para enviá-la mesmo assim"
    )
    assert delivery.error_message == (
        "already sent on 2026-11-24T10:00:00Z (loggi.csv row 7, run 3); --force sends it again"
    )


# (d) Rows waiting for their turn are pickled.


def test_row_errors_pickle_and_unpickle_equal(scenarios: Scenarios) -> None:
    errors = {id(m): m for m in scenarios.messages if isinstance(m, RowError)}.values()

    for error in errors:
        again = pickle.loads(pickle.dumps(error, 5))
        assert again == error
        assert (again.code, again.field, again.template) == (
            error.code,
            error.field,
            error.template,
        )
        assert again.params == error.params
        assert again.text(PAGINA, shouted) == error.text(PAGINA, shouted)


def test_deliveries_and_rows_kept_on_disk_come_back_equal(scenarios: Scenarios) -> None:
    deliveries = [
        SentBefore("r-1", "2026-11-24T10:00:00Z", 3, "loggi.csv", 7).delivery(),
        given_up(2, None, "parcel"),
        given_up(0, "the person pressed Stop"),
        Delivery(Status.FAILED, 1, 404, error_code="OMS007", error_message="Order Not Found"),
    ]
    read_errors = tuple(m for m in scenarios.messages if isinstance(m, RowError))[:20]
    spill = Spill(memory_items=0)  # every item to disk at once
    try:
        spill.put(0, 0, (deliveries, read_errors))
        ((_, (back, errors)),) = spill.take(0)
    finally:
        spill.close()

    assert back == deliveries
    assert [delivery.hint for delivery in back] == [Hint.FORCE, None, None, None]
    assert errors == read_errors


# What equality means, for the results and the tests that spell a message out.


def test_a_message_written_out_is_the_message_made_from_its_template() -> None:
    made = RowError(
        row_codes.MISSING_VALUE,
        "trackingNumber",
        N_("{field} is empty; every row needs {required}"),
        {"field": "trackingNumber", "required": "orderId, invoiceNumber, trackingNumber"},
    )
    written = RowError(
        row_codes.MISSING_VALUE,
        "trackingNumber",
        "trackingNumber is empty; every row needs orderId, invoiceNumber, trackingNumber",
    )

    assert made == written
    assert hash(made) == hash(written)
    assert made != RowError(row_codes.MISSING_VALUE, "orderId", written.template)
    assert made.message == written.message == written.template
    assert made.text() is made.text()  # made once
