"""Every note about a row is a fixed English template with named placeholders, and its
parameters: a front end translates the template (a gettext msgid) and fills in the parameters,
the results, the rows to fix, the journal and the console the English, as they always did."""

from __future__ import annotations

import json
import pickle
import string
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from batch_uploader.jobs.journal import SentBefore
from batch_uploader.jobs.spill import Spill
from batch_uploader.messages import N_, Message, Param, RunMessage, Translate
from batch_uploader.models import Delivery, Row, RowError, Status
from batch_uploader.rules import row_codes
from batch_uploader.rules.hints import COMMAND_LINE, Hint
from batch_uploader.rules.validator import validate
from batch_uploader.vtex.sender import given_up

from . import row_scenarios
from .conftest import make_row
from .test_messages import PAGE, marked_templates, placeholders, run_templates

BEFORE = Path(__file__).parent / "data" / "row-messages.json"


# (a) The places that use a template give exactly its placeholders, and say what they said
# (how templates are marked: see test_messages).


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


def about_rows(scenarios: Scenarios) -> list[Message]:
    """Every message shown about a row, and every message within one, once each: not those
    about the run (see test_run_messages), whose remedies take their parameters too."""
    found = {
        id(m): m
        for shown in scenarios.messages
        if not isinstance(shown, RunMessage)
        for m in within(shown)
    }
    return list(found.values())


def test_every_row_says_what_it_said_before(scenarios: Scenarios) -> None:
    before = json.loads(BEFORE.read_text(encoding="utf-8"))

    assert scenarios.said.keys() == before.keys()
    for scenario, said in before.items():
        assert scenarios.said[scenario] == said, scenario


def test_each_message_gives_exactly_the_placeholders_of_its_template(
    scenarios: Scenarios,
) -> None:
    for message in about_rows(scenarios):
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

    assert set(marked_templates()) - run_templates() - said == set()


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


# (b) A front end's translation, through the same formatting path.


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
    for message in about_rows(scenarios):
        assert message.text(PAGINA, shouted) == expected_shouted(message, PAGINA)


def test_no_row_message_worded_for_a_page_names_a_flag(scenarios: Scenarios) -> None:
    messages = about_rows(scenarios)

    hints = {message.hint for message in messages}
    assert {Hint.FORCE, Hint.DATE_ORDER, Hint.TARGET, Hint.URL_TEMPLATES} <= hints
    assert {Hint.TIMEOUT, Hint.CHECK_ADDRESS, Hint.CREDENTIALS} <= hints
    for message in messages:
        assert "--" not in message.text(PAGE), message.text(PAGE)


# How a page might word the remedies, in Portuguese, and a catalogue of three templates.
PAGINA = {
    Hint.FORCE: "marque “Enviar de novo” para enviá-la mesmo assim",
    Hint.DATE_ORDER: "escolha como as datas desta coluna estão escritas",
    Hint.TARGET: "confira a loja escolhida em Configurações",
    Hint.URL_TEMPLATES: "cadastre um em Transportadoras",
    Hint.TIMEOUT: "o tempo de uma requisição, em Configurações",
    Hint.CHECK_ADDRESS: "confira o endereço da loja em Configurações, e o que responde nele",
    Hint.CREDENTIALS: "a app key e o token da loja em Configurações",
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


# (c) Rows waiting for their turn are pickled.


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
