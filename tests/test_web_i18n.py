"""The page in Brazilian Portuguese, Spanish and English: complete catalogues, the language
picked from the browser or a link, and pages with no English left in another language
(batch_uploader.web.i18n and batch_uploader.web.wording)."""

from __future__ import annotations

import html
import re
import string
from pathlib import Path

import pytest
from babel.messages import pofile
from babel.messages.catalog import Catalog, Message
from babel.messages.frontend import CommandLineInterface

from batch_uploader.rules.hints import Hint
from batch_uploader.sandbox.oms import Sandbox, SandboxConfig
from batch_uploader.vtex.settings import Settings
from batch_uploader.web.i18n import LANGUAGE_COOKIE, LOCALE_DIR, negotiate
from batch_uploader.web.wording import PAGE_WORDS
from tests.web_helpers import (
    SAME_ORIGIN,
    SAMPLES,
    app_for,
    client,
    element,
    finished,
    sent,
    table,
    upload,
)

TRANSLATED = ("pt_BR", "es")
ROOT = Path(__file__).resolve().parents[1]


def catalogue(code: str) -> Catalog:
    with (LOCALE_DIR / code / "LC_MESSAGES" / "messages.po").open("rb") as source:
        return pofile.read_po(source, locale=code)


def template() -> Catalog:
    with (LOCALE_DIR / "messages.pot").open("rb") as source:
        return pofile.read_po(source)


def placeholders(text: str) -> set[str]:
    """The ``{name}`` fields (with their conversion and format spec: ``{sheets!r:, }``) and
    ``%(name)s`` of a template."""
    braces = {
        "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
        for _, name, spec, conversion in string.Formatter().parse(text)
        if name is not None
    }
    return braces | set(re.findall(r"%\(\w+\)s", text))


def key(message: Message) -> str | tuple[str, ...]:
    """The msgid of ``message``, a plural one's as its singular and plural ids together."""
    return message.id if isinstance(message.id, str) else tuple(message.id)


def ids(catalog: Catalog) -> set[str | tuple[str, ...]]:
    """The msgids of ``catalog`` (see :func:`key`)."""
    return {key(message) for message in catalog if message.id}


def strings(message: Message) -> list[str]:
    """The msgstr of ``message``, or each of its msgstr[N]."""
    found = message.string
    return [found] if isinstance(found, str) else [str(text) for text in found or ()]


def test_the_template_holds_the_page_the_row_messages_and_the_remedies() -> None:
    ids = {message.id for message in template() if message.id}
    assert "Check the files" in ids
    assert "{value} is a formula, not its result; copy the column and paste it as values" in ids
    assert set(PAGE_WORDS.values()) <= ids
    assert set(PAGE_WORDS) == set(Hint)


def test_the_template_is_what_the_code_marks_today(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The committed messages.pot is what ``pybabel extract`` (configured in pyproject.toml)
    gives from the code as it is: a message marked, changed or removed without extracting
    and updating the catalogues again fails here."""
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("BABEL_PYPROJECT_TOML", str(ROOT / "pyproject.toml"))
    extracted = tmp_path / "messages.pot"
    # Babel's command line has no annotations.
    command = ["pybabel", "-q", "extract", "-o", str(extracted)]
    CommandLineInterface().run(command)  # type: ignore[no-untyped-call]
    with extracted.open("rb") as source:
        fresh = pofile.read_po(source)
    assert ids(fresh) == ids(template())
    assert len(ids(fresh)) > 200


@pytest.mark.parametrize("code", [*TRANSLATED, "en"])
def test_every_catalogue_holds_every_message_and_none_fuzzy(code: str) -> None:
    held = catalogue(code)
    assert ids(held) == ids(template()), code
    assert [message.id for message in held if message.id and message.fuzzy] == []


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_message_is_translated_with_the_same_placeholders(code: str) -> None:
    held = catalogue(code)
    forms = held.num_plurals
    translated = {key(message): message for message in held if message.id}
    for message in template():
        if not message.id:
            continue
        found = translated.get(key(message))
        assert found is not None, f"{code} lacks {message.id!r}"
        assert not found.fuzzy, message.id
        texts = strings(found)
        if message.pluralizable:
            assert len(texts) == forms, message.id
            expected = [placeholders(str(message.id[0])), placeholders(str(message.id[1]))]
        else:
            expected = [placeholders(str(message.id))]
        for text in texts:
            assert text.strip(), f"{code} leaves {message.id!r} untranslated"
            assert placeholders(text) in expected, (message.id, text)


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("pt-BR,pt;q=0.9", "pt_BR"),
        ("pt", "pt_BR"),
        ("pt-PT,pt", "pt_BR"),
        ("es-MX", "es"),
        ("es-AR,es;q=0.8,en;q=0.5", "es"),
        ("fr", "en"),
        ("de, en;q=0.1, pt-BR;q=0.5", "pt_BR"),
        ("", "en"),
        ("*", "en"),
    ],
)
def test_the_language_comes_from_the_browser(header: str, language: str) -> None:
    assert negotiate(header) == language


def test_a_language_chosen_on_the_page_wins_and_is_remembered(tmp_path: Path) -> None:
    with client(app_for(tmp_path), language="en") as browser:
        chosen = browser.get("/?lang=es")
        later = browser.get("/")
    assert element(chosen.text, "check") == "Revisar los archivos"
    assert LANGUAGE_COOKIE in chosen.headers["set-cookie"]
    assert '<html lang="es">' in later.text
    assert element(later.text, "check") == "Revisar los archivos"


def test_every_page_has_the_links_to_the_languages(tmp_path: Path) -> None:
    with client(app_for(tmp_path)) as browser:
        page = browser.get("/").text
        job = browser.get(upload(browser, SAMPLES / "jadlog-envios.csv")).text
    for shown in (page, job):
        nav = shown.split('<nav id="languages"')[1].split("</nav>")[0]
        assert "?lang=pt-BR" in nav
        assert "?lang=es" in nav
        assert "?lang=en" in nav


def _language_links(page: str) -> dict[str, str]:
    nav = page.split('<nav id="languages"')[1].split("</nav>")[0]
    return {
        tag: html.unescape(href)
        for href, tag in re.findall(r'<a href="([^"]+)" hreflang="([^"]+)"', nav)
    }


def test_the_language_links_stay_on_the_page_shown_with_its_query(tmp_path: Path) -> None:
    with client(app_for(tmp_path), language="pt-BR") as browser:
        job = upload(browser, SAMPLES / "jadlog-envios.csv")
        shown = {
            address: _language_links(browser.get(address).text)["es"]
            for address in (
                "/history",
                "/history?order=1300000000001-01",
                "/history?file=jadlog",
                f"{job}?status=failed",
                "/?lang=en",
            )
        }
        switched = browser.get(shown["/history?order=1300000000001-01"])
    assert shown == {
        "/history": "/history?lang=es",
        "/history?order=1300000000001-01": "/history?order=1300000000001-01&lang=es",
        "/history?file=jadlog": "/history?file=jadlog&lang=es",
        f"{job}?status=failed": f"{job}?status=failed&lang=es",
        "/?lang=en": "/?lang=es",
    }
    assert '<html lang="es">' in switched.text
    assert element(switched.text, "no-rows").startswith("Ninguna ejecución")


# English sentences of the catalogue a page in Portuguese must not show.
ENGLISH = [
    "Check the files",
    "What I understood",
    "Rows refused",
    "Send to VTEX",
    "Value in the file",
    "Header row",
    "day first (24/11/2026)",
    "is empty; every row needs",
    "which cannot travel in the request's address",
    "is not an absolute web address",
    "Change the columns or the dates",
    "not in this file",
    "as the file shows",
    "Remember for this carrier's files",
    "Check again",
    "Correct a value below",
]


def test_a_page_in_portuguese_holds_no_english_sentence(tmp_path: Path) -> None:
    with client(app_for(tmp_path), language="pt-BR") as browser:
        upload_page = browser.get("/").text
        page = browser.get(upload(browser, SAMPLES / "jadlog-envios.csv")).text
    assert '<html lang="pt-BR">' in page
    assert element(upload_page, "check") == "Verificar os arquivos"
    assert element(page, "send") == "Enviar à VTEX"
    for english in ENGLISH:
        assert english not in upload_page
        assert english not in page
    assert table(page, "refused")[0] == [
        "5",
        "C 'Código de Rastreio'",
        "",
        "missing-value",
        "trackingNumber está vazio; toda linha precisa de orderId, invoiceNumber, trackingNumber",
    ]


def test_the_rows_a_stop_left_unsent_say_why_in_the_page_language(tmp_path: Path) -> None:
    journal = tmp_path / "journal.sqlite3"
    with (
        Sandbox(SandboxConfig(latency=0.3)) as fake,
        client(
            app_for(tmp_path, base_url=fake.base_url, sandbox=True, journal=journal), "es"
        ) as browser,
    ):
        job = upload(browser, SAMPLES / "jadlog-envios.csv")
        browser.post(f"{job}/send", headers=SAME_ORIGIN)
        browser.post(f"{job}/stop", headers=SAME_ORIGIN)
        page = finished(browser, job)
        run = browser.get("/history").text
        past = browser.get(re.findall(r'<a href="(/history/[^"/]+/\d+)"', run)[0])
    said = "no enviada: la ejecución se detuvo porque se detuvo en la página"
    unsent = [row for row in table(page, "rows") if row[4] == "falló"]
    assert unsent
    assert {row[5] for row in unsent} == {said}
    assert said in [row[5] for row in table(past.text, "rows")]


def test_why_a_job_stopped_early_is_said_in_the_page_language(tmp_path: Path) -> None:
    with (
        Sandbox(SandboxConfig(refuse_credentials=403)) as fake,
        client(app_for(tmp_path, base_url=fake.base_url, sandbox=True), "pt-BR") as browser,
    ):
        job = upload(browser, SAMPLES / "jadlog-envios.csv")
        page = sent(browser, job)
    assert element(page, "stopped") == (
        "Parado antes do fim porque a app key não pode atualizar notas fiscais (403 Forbidden); "
        "dê ao seu perfil o recurso 'Notify invoice' (perfis 'OMS - Full access' ou "
        "'IntegrationProfile - Fulfillment Oms')."
    )


def test_a_refused_token_is_said_with_the_pages_words_never_a_variable(tmp_path: Path) -> None:
    with (
        Sandbox(SandboxConfig(refuse_credentials=401)) as fake,
        client(app_for(tmp_path, base_url=fake.base_url, sandbox=True), "pt-BR") as browser,
    ):
        job = upload(browser, SAMPLES / "jadlog-envios.csv")
        page = sent(browser, job)
    assert element(page, "stopped") == (
        "Parado antes do fim porque a VTEX recusou a app key ou o token (401 Unauthorized); "
        "verifique a app key e o token com que esta página foi iniciada."
    )
    assert "VTEX_APP" not in page


@pytest.mark.parametrize(("language", "shown"), [("pt-BR", "2,5"), ("es", "2,5"), ("en", "2.5")])
def test_the_pace_is_written_as_the_persons_language_writes_numbers(
    tmp_path: Path, language: str, shown: str
) -> None:
    with (
        Sandbox() as fake,
        client(
            app_for(tmp_path, base_url=fake.base_url, sandbox=True, sending=Settings(rate=2.5)),
            language,
        ) as browser,
    ):
        job = upload(browser, SAMPLES / "jadlog-envios.csv")
        page = sent(browser, job)
    assert element(page, "pace") == shown


def test_a_remedy_is_worded_in_the_page_language(tmp_path: Path) -> None:
    path = tmp_path / "datas.csv"
    path.write_text(
        "Pedido;NF;Rastreio;Data de envio\n1300000000001-01;1;AA123456785BR;03/04/2026\n",
        encoding="utf-8",
    )
    with client(app_for(tmp_path), language="es") as browser:
        page = browser.get(upload(browser, path)).text
    assert table(page, "refused")[0][4] == (
        "'03/04/2026' puede tener el día primero o el mes primero, y ninguna fecha de esta "
        "columna lo dice; elige arriba cómo están escritas sus fechas y revisa de nuevo"
    )


def test_the_catalogues_ship_with_the_package() -> None:
    pyproject = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    assert '"web/locale/*/LC_MESSAGES/*.po"' in pyproject
    assert '"web/templates/*.html"' in pyproject
    assert '"web/static/*"' in pyproject
