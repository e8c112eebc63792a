"""Legacy code pages: a DOS file's accented headings are recognised, and where a file's few
accented letters read as well in two code pages, the dry run says the encoding is a guess and
how to name it."""

from __future__ import annotations

from pathlib import Path

from batch_uploader import message_codes, run
from batch_uploader.jobs.progress import Event, TableUnderstood
from batch_uploader.messages import Message, RunMessage
from batch_uploader.rules.hints import COMMAND_LINE, Hint

from .conftest import CsvFactory, invoke


def dry_run_lines(path: str) -> list[str]:
    outcome = invoke("upload", path, "--dry-run", "--results", path + ".results.csv")
    assert outcome.exit_code == 0, outcome.output
    return outcome.stdout.splitlines()


def test_a_dos_437_file_in_spanish_has_its_headings_recognised(write_csv: CsvFactory) -> None:
    text = (
        "Pedido;Factura;Número de guía;Paquetería;Dirección\r\n"
        "1-01;000001;GUIA1;Estafeta;Calle Ñandú, Querétaro\r\n"
    )
    source = write_csv(text, "estafeta.csv", encoding="cp437")

    lines = dry_run_lines(str(source))

    # cp437 and cp850 share every letter of Spanish and of Portuguese's lower case.
    assert lines[0].startswith(f'{source}: CSV, cp850, delimiter ";"')
    assert "trackingNumber = column C 'Número de guía'" in lines[1]
    assert "courier = column D 'Paquetería'" in lines[1]


def test_a_guess_between_two_code_pages_is_said_with_how_to_name_it(
    write_csv: CsvFactory,
) -> None:
    # One accented letter: 0x87 is ç in DOS's cp850 and á in Mac Roman, both inside a word.
    source = write_csv(
        "Pedido;NF;Rastreio;Obs\r\n1-01;000001;LGI1;Pra\x87a\r\n", encoding="latin-1"
    )

    lines = dry_run_lines(str(source))

    assert lines[0] == (
        f"{source}: CSV, cp850 (a guess: if accented letters look wrong, name it with "
        '--encoding mac_roman), delimiter ";"; header on row 1; 1 data rows'
    )


def test_a_file_whose_words_settle_it_is_no_guess(write_csv: CsvFactory) -> None:
    source = write_csv(
        "Pedido;NF;Rastreio;Observação\r\n1-01;000001;LGI1;São João, Conceição, Ribeirão\r\n",
        encoding="cp1252",
    )

    lines = dry_run_lines(str(source))

    assert lines[0] == f'{source}: CSV, cp1252, delimiter ";"; header on row 1; 1 data rows'


def test_a_page_is_told_the_guess_as_a_message_it_words_itself(
    write_csv: CsvFactory, tmp_path: Path
) -> None:
    source = write_csv(
        "Pedido;NF;Rastreio;Obs\r\n1-01;000001;LGI1;Pra\x87a\r\n", encoding="latin-1"
    )
    events: list[Event] = []

    run([source], results_path=tmp_path / "r.csv", dry_run=True, on_event=events.append)

    (table,) = [event for event in events if isinstance(event, TableUnderstood)]
    described = table.format
    assert isinstance(described, Message)
    assert described.code == message_codes.CSV_FORMAT
    encoding = described.params["encoding"]
    assert isinstance(encoding, RunMessage)
    assert encoding.code == message_codes.ENCODING_GUESSED
    assert encoding.params["choices"] == ("mac_roman",)
    assert str(described) == (
        "CSV, cp850 (a guess: if accented letters look wrong, name it with --encoding "
        'mac_roman), delimiter ";"'
    )
    page = {**COMMAND_LINE, Hint.ENCODING_ONE_OF: "choose it under “Encoding” ({choices:, })"}
    assert described.text(page) == (
        "CSV, cp850 (a guess: if accented letters look wrong, choose it under “Encoding” "
        '(mac_roman)), delimiter ";"'
    )
