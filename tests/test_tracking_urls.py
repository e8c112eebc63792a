"""Tracking URLs made from the courier's template: matching, filling, the TOML file, the
command line."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from batch_uploader.cli.main import cli
from batch_uploader.errors import InputError
from batch_uploader.models import TrackingUpdate
from batch_uploader.rules.tracking_urls import BUILT_IN, Courier, UrlTemplates, template_problem
from batch_uploader.sandbox.oms import Sandbox

from .conftest import CsvFactory

TEMPLATES = UrlTemplates(
    (
        Courier("Correios", "https://track.example/c/{trackingNumber}", ("Sedex", "PAC")),
        Courier("Jadlog", "https://track.example/j?cte={trackingNumber}"),
    )
)


def update(courier: str | None, url: str | None = None, number: str = "AA123") -> TrackingUpdate:
    return TrackingUpdate("1-01", "9", number, tracking_url=url, courier=courier)


@pytest.mark.parametrize("name", ["Correios", "CORREIOS", " correios ", "SEDEX", "Sédex", "P.A.C."])
def test_couriers_match_whatever_their_case_accents_and_punctuation(name: str) -> None:
    filled, note = TEMPLATES.fill(update(name))

    assert filled.tracking_url == "https://track.example/c/AA123"
    assert note == "trackingUrl from the Correios template"


def test_a_rows_own_url_wins() -> None:
    given = update("Correios", url="https://carrier.example/mine")

    assert TEMPLATES.fill(given) == (given, None)


def test_the_tracking_number_is_percent_encoded_in_the_url() -> None:
    filled, _ = TEMPLATES.fill(update("Jadlog", number="A B/1&x"))

    assert filled.tracking_url == "https://track.example/j?cte=A%20B%2F1%26x"


def test_an_unknown_courier_is_sent_without_url_and_said_so() -> None:
    given = update("Transportadora Zé")

    assert TEMPLATES.fill(given) == (
        given,
        "no tracking URL: no template for courier 'Transportadora Zé' (add one with "
        "--url-templates)",
    )


def test_no_courier_no_note() -> None:
    assert TEMPLATES.fill(update(None)) == (update(None), None)


def test_a_file_adds_couriers_and_replaces_built_in_ones(tmp_path: Path) -> None:
    path = tmp_path / "couriers.toml"
    path.write_text(
        '[couriers."Minha Transportadora"]\n'
        'url = "https://mt.example/r/{trackingNumber}"\n'
        'aliases = ["MT"]\n'
        "[couriers.Correios]\n"
        'url = "https://own.example/correios/{trackingNumber}"\n',
        encoding="utf-8",
    )

    loaded = UrlTemplates.load(path, base=TEMPLATES.couriers)

    assert loaded.fill(update("mt"))[0].tracking_url == "https://mt.example/r/AA123"
    assert loaded.fill(update("Correios"))[0].tracking_url == "https://own.example/correios/AA123"
    # The replaced courier's aliases go with it; the others stay.
    assert loaded.find("Sedex") is None
    assert loaded.fill(update("Jadlog"))[0].tracking_url == "https://track.example/j?cte=AA123"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[couriers.X]\nurl = 'https://x.example/'\n", "must hold {trackingNumber} once"),
        ("[couriers.X]\nurl = 'https://x.example/{id}/{trackingNumber}'\n", "has braces"),
        ("[couriers.X]\nurl = 'ftp://x.example/{trackingNumber}'\n", "not an absolute web"),
        ("[couriers.X]\nlink = 'https://x.example/{trackingNumber}'\n", "unknown keys link"),
        ("[couriers.X]\nurl = 'https://x.example/{trackingNumber}'\naliases = 'Y'\n", "aliases"),
        ("[other]\n", "no [couriers"),
        ("[couriers\n", "not valid TOML"),
    ],
)
def test_a_bad_templates_file_is_refused_with_the_reason(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "couriers.toml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(InputError, match=message.replace("[", r"\[").replace("{", r"\{")):
        UrlTemplates.load(path)


def test_every_built_in_template_is_sound_and_names_its_source() -> None:
    names = [n for courier in BUILT_IN for n in (courier.name, *courier.aliases)]
    assert len(BUILT_IN) >= 8
    assert all(template_problem(courier.url) is None for courier in BUILT_IN)
    assert all(courier.source.startswith("https://") for courier in BUILT_IN)
    assert all(courier.url.startswith("https://") for courier in BUILT_IN)
    assert len({UrlTemplates().find(name) for name in names}) == len(BUILT_IN)


def _upload(source: Path, results: Path, *extra: str) -> list[dict[str, str]]:
    with Sandbox() as sandbox:
        outcome = CliRunner().invoke(
            cli,
            ["upload", str(source), "--base-url", sandbox.base_url, "--results", str(results),
             "--journal", str(results.with_suffix(".journal.sqlite3")), *extra],
            env={"VTEX_APP_KEY": "k", "VTEX_APP_TOKEN": "app-token-9c1f-Qz7w-kV3x"},
            catch_exceptions=False,
        )  # fmt: skip
        assert outcome.exit_code == 0, outcome.output
        sent = {r.order_id: r.body["trackingUrl"] for r in sandbox.received}
    with results.open(encoding="utf-8-sig", newline="") as handle:
        lines = list(csv.DictReader(handle))
    assert {line["orderId"]: line["trackingUrl"] or None for line in lines} == sent
    return lines


FILE = (
    "orderId,invoiceNumber,trackingNumber,courier,trackingUrl\n"
    "1-01,1,AA123456785BR,Correios,\n"
    "2-01,2,JD1,Jadlog,https://carrier.example/own/JD1\n"
    "3-01,3,ZZ9,Transportadora Zé,\n"
)


def test_upload_fills_urls_from_templates_and_says_so_in_the_results(
    write_csv: CsvFactory, tmp_path: Path
) -> None:
    lines = _upload(write_csv(FILE), tmp_path / "r.csv")

    correios = UrlTemplates().find("Correios")
    assert correios is not None
    assert [(line["trackingUrl"], line["notes"]) for line in lines] == [
        (
            correios.url.replace("{trackingNumber}", "AA123456785BR"),
            "trackingUrl from the Correios template",
        ),
        ("https://carrier.example/own/JD1", ""),
        ("", "no tracking URL: no template for courier 'Transportadora Zé' (add one with "
             "--url-templates)"),
    ]  # fmt: skip


def test_upload_takes_a_templates_file_and_can_turn_templates_off(
    write_csv: CsvFactory, tmp_path: Path
) -> None:
    templates = tmp_path / "couriers.toml"
    templates.write_text(
        '[couriers."Transportadora Zé"]\nurl = "https://ze.example/{trackingNumber}"\n',
        encoding="utf-8",
    )
    source = write_csv(FILE)

    with_file = _upload(source, tmp_path / "a.csv", "--url-templates", str(templates))
    turned_off = _upload(source, tmp_path / "b.csv", "--no-url-templates")

    assert with_file[2]["trackingUrl"] == "https://ze.example/ZZ9"
    assert with_file[0]["notes"] == "trackingUrl from the Correios template"
    assert [(line["trackingUrl"], line["notes"]) for line in turned_off] == [
        ("", ""),
        ("https://carrier.example/own/JD1", ""),
        ("", ""),
    ]
