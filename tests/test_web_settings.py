"""The Settings page as a person uses it: accounts added, edited with their token kept,
removed and checked against their store; a job sent to the account chosen on the upload form;
and the tokens of them all on no page (batch_uploader.web.settings_pages, .accounts and
.targets)."""

from __future__ import annotations

import re
import stat
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from batch_uploader.sandbox.oms import Sandbox, SandboxConfig
from batch_uploader.web.accounts import label_id
from batch_uploader.web.app import create_app, page_hosts
from batch_uploader.web.settings import PageSettings
from tests.web_helpers import (
    APP_TOKEN,
    PORT,
    SAME_ORIGIN,
    SAMPLES,
    TOKEN,
    TestClient,
    client,
    element,
    finished,
    sent,
    settings,
    table,
    upload,
)

JADLOG = SAMPLES / "jadlog-envios.csv"
# The tokens of the accounts added on the page: as long as VTEX's, unlike any text.
CENTRO_TOKEN = "CENTROTOKEN" + "Zr8Wq3Lp5Nv1" * 8
SUL_TOKEN = "SULTOKEN" + "Hy4Tb7Mc2Xs6" * 8


def accounts_file(tmp_path: Path) -> Path:
    return tmp_path / "config" / "batch-uploader" / "accounts.toml"


@contextmanager
def page(
    tmp_path: Path, language: str = "en", *, started: bool = True, **more: Any
) -> Iterator[TestClient]:
    """A browser of a page with an accounts file under ``tmp_path``; ``started``: the page
    was started for an account of its own too (one nothing answers at)."""
    base = settings(tmp_path, accounts=accounts_file(tmp_path), **more)
    if not started:
        base = PageSettings(state_dir=base.state_dir, accounts=base.accounts)
    with client(create_app(base, TOKEN, page_hosts("127.0.0.1", PORT)), language) as browser:
        yield browser


def add(browser: TestClient, expected: int = 303, **fields: str) -> str:
    """Adds an account with the Settings form; the page it leads to."""
    values = {
        "label": "Loja Centro",
        "account": "lojacentro",
        "environment": "vtexcommercestable",
        "base_url": "",
        "app_key": "vtexappkey-lojacentro-ABCDEF",
        "app_token": CENTRO_TOKEN,
        "rate": "3",
        **fields,
    }
    answer = browser.post(
        "/settings/accounts", data=values, headers=SAME_ORIGIN, follow_redirects=False
    )
    assert answer.status_code == expected, answer.text
    if expected == 303:
        return str(browser.get(answer.headers["location"]).text)
    return str(answer.text)


def stored(tmp_path: Path) -> list[dict[str, Any]]:
    """The accounts of the file, once it is known to be readable by its owner only."""
    path = accounts_file(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    found: list[dict[str, Any]] = tomllib.loads(path.read_text(encoding="utf-8"))["accounts"]
    return found


def problems(shown: str) -> dict[str, str]:
    """The problems the page shows beside the fields of a form, by field."""
    return {
        name: element(shown, f"problem-{name}")
        for name in re.findall(r'id="problem-([\w-]+)"', shown)
    }


def upload_to(browser: TestClient, label: str) -> str:
    """Uploads the Jadlog sample for the account ``label`` of the Settings; the job's page."""
    files = [("files", (JADLOG.name, JADLOG.read_bytes(), "text/csv"))]
    answer = browser.post(
        "/jobs", files=files, data={"account": label_id(label)},
        headers=SAME_ORIGIN, follow_redirects=False,
    )  # fmt: skip
    return str(answer.headers["location"])


def test_an_account_added_is_listed_with_only_the_end_of_its_token(tmp_path: Path) -> None:
    with page(tmp_path) as browser:
        home = browser.get("/").text
        empty = browser.get("/settings").text
        listed = add(browser)
        upload_page = browser.get("/").text
    assert '<a id="settings-link" href="/settings">Settings</a>' in home
    assert element(empty, "no-accounts") == "No account yet."
    assert table(listed, "accounts") == [
        [
            "Loja Centro",
            "lojacentro · vtexcommercestable",
            "vtexappkey-lojacentro-ABCDEF",
            "…" + CENTRO_TOKEN[-4:],
            "3",
            "Check",
        ]
    ]
    assert CENTRO_TOKEN[-5:] not in listed
    assert CENTRO_TOKEN[:8] not in listed
    # The account is a choice of the upload form, after the one the page was started for.
    options = re.findall(r'<option value="(\w+)">([^<]*)</option>', upload_page)
    assert options[-1] == (label_id("Loja Centro"), "Loja Centro")
    assert options[-2] == ("started", "http://127.0.0.1:9 (the account the page was started for)")
    assert stored(tmp_path) == [
        {
            "label": "Loja Centro",
            "account": "lojacentro",
            "environment": "vtexcommercestable",
            "app_key": "vtexappkey-lojacentro-ABCDEF",
            "app_token": CENTRO_TOKEN,
            "rate": 3.0,
        }
    ]


def test_an_account_edited_with_its_token_left_empty_keeps_it(tmp_path: Path) -> None:
    account = label_id("Loja Centro")
    with page(tmp_path) as browser:
        add(browser)
        form = browser.get(f"/settings/accounts/{account}").text
        edited = browser.post(
            f"/settings/accounts/{account}",
            data={"label": "Loja Centro 2", "account": "lojacentro2", "environment": "",
                  "base_url": "", "app_key": "vtexappkey-new", "app_token": "", "rate": "2,5"},
            headers=SAME_ORIGIN, follow_redirects=False,
        )  # fmt: skip
        after_edit = stored(tmp_path)
        listed = browser.get("/settings").text
        renamed = label_id("Loja Centro 2")
        browser.post(
            f"/settings/accounts/{renamed}",
            data={"label": "Loja Centro 2", "account": "lojacentro2", "app_key": "vtexappkey-new",
                  "app_token": SUL_TOKEN},
            headers=SAME_ORIGIN,
        )  # fmt: skip
        after_new_token = stored(tmp_path)
    # The token's field is never filled in, nor remembered by the browser.
    token_input = re.search(r"<input id=\"app-token\"[^>]*>", form)
    assert token_input is not None
    assert token_input.group(0) == (
        '<input id="app-token" name="app_token" type="password" autocomplete="off" '
        'spellcheck="false">'
    )
    assert CENTRO_TOKEN not in form
    assert "Leave it empty to keep the token ending in …" + CENTRO_TOKEN[-4:] + "." in form
    assert 'value="Loja Centro"' in form
    assert 'value="vtexappkey-lojacentro-ABCDEF"' in form
    assert edited.status_code == 303
    assert edited.headers["location"] == f"/settings#account-{renamed}"
    assert after_edit == [
        {
            "label": "Loja Centro 2",
            "account": "lojacentro2",
            "environment": "vtexcommercestable",
            "app_key": "vtexappkey-new",
            "app_token": CENTRO_TOKEN,
            "rate": 2.5,
        }
    ]
    assert table(listed, "accounts")[0][:5] == [
        "Loja Centro 2",
        "lojacentro2 · vtexcommercestable",
        "vtexappkey-new",
        "…" + CENTRO_TOKEN[-4:],
        "2.5",
    ]
    assert after_new_token[0]["app_token"] == SUL_TOKEN
    assert after_new_token[0]["rate"] == 2.5  # an empty rate keeps the account's


def test_an_account_removed_is_gone_from_the_page_and_the_file(tmp_path: Path) -> None:
    with page(tmp_path) as browser:
        add(browser)
        add(browser, label="Loja Sul", account="lojasul", app_token=SUL_TOKEN)
        answer = browser.post(
            f"/settings/accounts/{label_id('Loja Centro')}/remove",
            headers=SAME_ORIGIN,
            follow_redirects=False,
        )
        listed = browser.get("/settings").text
        gone = browser.get(f"/settings/accounts/{label_id('Loja Centro')}")
    assert answer.status_code == 303
    assert [row[0] for row in table(listed, "accounts")] == ["Loja Sul"]
    assert [account["label"] for account in stored(tmp_path)] == ["Loja Sul"]
    assert gone.status_code == 404


def test_what_is_wrong_is_said_beside_each_field_in_the_persons_language(
    tmp_path: Path,
) -> None:
    typed = "TYPEDTOKEN" + "Qa1Ws2Ed3Rf4" * 8
    with page(tmp_path, "pt-BR") as browser:
        shown = add(
            browser, 400, label="", account="loja centro", app_key="", app_token=typed, rate="x"
        )
        short = add(browser, 400, app_token="abc")
        address = add(browser, 400, account="", base_url="http://store.example.com")
    assert problems(shown) == {
        "label": "Dê à conta um nome que as pessoas daqui reconheçam.",
        "account": "a conta 'loja centro' e o ambiente 'vtexcommercestable' devem ser nomes "
        "simples como 'mystore' e 'vtexcommercestable'",
        "app-key": "Informe a app key.",
        "rate": "Escreva as requisições por segundo como um número acima de 0 e no máximo 1000, "
        "como 10.",
    }
    assert typed not in shown  # a token typed is never sent back, even to fix another field
    assert 'value="loja centro"' in shown  # what was typed elsewhere is kept
    assert problems(short)["app-token"].startswith("O token é curto demais (menos de 16 caracteres")
    assert problems(address) == {
        "base-url": "o endereço http://store.example.com usa http simples; use https (http só é "
        "permitido para 127.0.0.1 e localhost)"
    }
    assert not accounts_file(tmp_path).exists()


def test_a_token_typed_in_the_app_keys_field_is_refused_and_not_sent_back(
    tmp_path: Path,
) -> None:
    typed = "TYPEDTOKEN" + "Qa1Ws2Ed3Rf4" * 8
    with page(tmp_path, "es") as browser:
        shown = add(browser, 400, app_key=typed, app_token="vtexappkey-lojacentro-ABCDEFGH")
    assert problems(shown)["app-key"].startswith("Esto parece el token de la app")
    assert typed not in shown
    assert not accounts_file(tmp_path).exists()


def test_an_address_that_cannot_be_parsed_is_said_beside_its_field(tmp_path: Path) -> None:
    with page(tmp_path) as browser:
        shown = add(browser, 400, account="", base_url="https://[::1")
    assert problems(shown) == {
        "base-url": "the address https://[::1 must be an http(s) address such as https://host"
    }
    assert 'value="https://[::1"' in shown
    assert not accounts_file(tmp_path).exists()


def test_a_file_others_may_read_is_refused_with_what_to_do(tmp_path: Path) -> None:
    with page(tmp_path) as browser:
        add(browser)
        path = accounts_file(tmp_path)
        path.chmod(0o644)
        before = path.read_bytes()
        shown = browser.get("/settings").text
        adding = add(browser, 409, label="Loja Sul", app_token=SUL_TOKEN)
        home = browser.get("/").text
    said = (
        f"the accounts file {path} can be read by other users (mode -rw-r--r--), and it holds "
        f"app tokens; make it readable by its owner only: chmod 600 {path}"
    )
    assert element(shown, "accounts-error") == said
    assert 'id="add-account"' not in shown  # nothing is written over what cannot be read
    assert element(adding, "accounts-error") == said
    assert element(home, "accounts-error") == said
    assert path.read_bytes() == before


def test_a_post_from_another_site_is_refused(tmp_path: Path) -> None:
    with page(tmp_path) as browser:
        answer = browser.post(
            "/settings/accounts",
            data={"label": "x", "account": "x", "app_key": "k", "app_token": CENTRO_TOKEN},
            headers={"sec-fetch-site": "cross-site"},
        )
        add(browser)
        removal = browser.post(
            f"/settings/accounts/{label_id('Loja Centro')}/remove",
            headers={"origin": "https://evil.example"},
        )
    assert answer.status_code == 403
    assert removal.status_code == 403
    assert [account["label"] for account in stored(tmp_path)] == ["Loja Centro"]


@pytest.mark.parametrize(
    ("config", "verdict", "ok"),
    [
        (
            SandboxConfig(),
            "OK: {base_url} accepts the key, and the key may update invoices",
            True,
        ),
        (
            SandboxConfig(refuse_credentials=401),
            "{base_url} refused the app key or token (401): check the account's app key and "
            "token in Settings",
            False,
        ),
        (
            SandboxConfig(refuse_credentials=403),
            "{base_url} knows the key, but its role may not update invoices (403): give it the "
            "'Notify invoice' resource (roles 'OMS - Full access' or 'IntegrationProfile - "
            "Fulfillment Oms')",
            False,
        ),
    ],
)
def test_check_says_what_the_store_answered(
    tmp_path: Path, config: SandboxConfig, verdict: str, ok: bool
) -> None:
    account = label_id("Loja Centro")
    with Sandbox(config) as store, page(tmp_path) as browser:
        add(browser, account="", base_url=store.base_url)
        answer = browser.post(
            f"/settings/accounts/{account}/check", headers=SAME_ORIGIN, follow_redirects=False
        )
        shown = browser.get("/settings").text
        probes = store.requests
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/settings#account-{account}"
    assert probes == 1
    assert element(shown, f"verdict-{account}") == verdict.format(base_url=store.base_url)
    assert f'class="verdict {"ok" if ok else "error"}"' in shown
    assert "--" not in element(shown, f"verdict-{account}")


def test_check_is_said_in_the_persons_language(tmp_path: Path) -> None:
    account = label_id("Loja Centro")
    with Sandbox(SandboxConfig(refuse_credentials=401)) as store, page(tmp_path, "es") as browser:
        add(browser, account="", base_url=store.base_url)
        browser.post(f"/settings/accounts/{account}/check", headers=SAME_ORIGIN)
        shown = browser.get("/settings").text
    assert element(shown, f"verdict-{account}") == (
        f"{store.base_url} rechazó la app key o el token (401): revisa la app key y el token de "
        "la cuenta en Configuración"
    )


def test_a_store_that_does_not_answer_is_said_plainly(tmp_path: Path) -> None:
    account = label_id("Loja Centro")
    with page(tmp_path) as browser:
        add(browser, account="", base_url="http://127.0.0.1:9")  # nothing listens there
        browser.post(f"/settings/accounts/{account}/check", headers=SAME_ORIGIN)
        shown = browser.get("/settings").text
    assert element(shown, f"verdict-{account}") == (
        "cannot reach http://127.0.0.1:9 (ConnectError); check the account name, the "
        "environment and the network"
    )


def test_a_fault_checking_is_said_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr("batch_uploader.web.settings_pages.check_access", broken)
    account = label_id("Loja Centro")
    with page(tmp_path) as browser:
        add(browser)
        browser.post(f"/settings/accounts/{account}/check", headers=SAME_ORIGIN)
        shown = browser.get("/settings").text
    assert element(shown, f"verdict-{account}") == (
        "The access could not be checked: a fault of batch-uploader itself, not of the account. "
        "The page's log says more."
    )
    assert "a bug" not in shown
    assert "RuntimeError: a bug" in caplog.text


def test_a_job_goes_to_the_account_chosen_with_its_key(tmp_path: Path) -> None:
    with (
        Sandbox() as started,
        Sandbox() as centro,
        page(tmp_path, base_url=started.base_url) as browser,
    ):
        add(browser, account="", base_url=centro.base_url)
        files = [("files", (JADLOG.name, JADLOG.read_bytes(), "text/csv"))]
        answer = browser.post(
            "/jobs",
            files=files,
            data={"kind": "tracking", "account": label_id("Loja Centro")},
            headers=SAME_ORIGIN,
            follow_redirects=False,
        )
        job = answer.headers["location"]
        shown = browser.get(job).text
        results = sent(browser, job)
    assert element(shown, "target") == f"Sends to Loja Centro ({centro.base_url})."
    assert table(results, "counts")[0] == ["Sent", "6"]
    assert started.received == []
    assert len(centro.received) == 6
    assert {update.headers["x-vtex-api-appkey"] for update in centro.received} == {
        "vtexappkey-lojacentro-ABCDEF"
    }
    assert {update.headers["x-vtex-api-apptoken"] for update in centro.received} == {CENTRO_TOKEN}
    assert CENTRO_TOKEN not in results


def test_one_job_per_account_at_a_time_and_two_accounts_at_once(tmp_path: Path) -> None:
    slow = SandboxConfig(latency=0.2)
    with (
        Sandbox(slow) as started,
        Sandbox(slow) as centro,
        page(tmp_path, base_url=started.base_url) as browser,
    ):
        add(browser, account="", base_url=centro.base_url)
        to_started = [upload(browser, JADLOG) for _ in range(2)]
        to_centro = upload_to(browser, "Loja Centro")
        browser.post(f"{to_started[0]}/send", headers=SAME_ORIGIN)
        busy = browser.post(f"{to_started[1]}/send", headers=SAME_ORIGIN)
        other = browser.post(f"{to_centro}/send", headers=SAME_ORIGIN, follow_redirects=False)
        finished(browser, to_started[0])
        finished(browser, to_centro)
    assert busy.status_code == 409
    assert other.status_code == 303
    assert len(started.received) == 6
    assert len(centro.received) == 6


def test_an_account_removed_since_the_form_was_shown_is_said(tmp_path: Path) -> None:
    with page(tmp_path) as browser:
        files = [("files", (JADLOG.name, JADLOG.read_bytes(), "text/csv"))]
        answer = browser.post(
            "/jobs", files=files, data={"account": "0123456789ab"}, headers=SAME_ORIGIN
        )
    assert answer.status_code == 400
    assert element(answer.text, "error") == (
        "That account is no longer in Settings: choose another."
    )


def test_without_any_account_the_page_says_to_add_one_and_sends_nothing(tmp_path: Path) -> None:
    with page(tmp_path, started=False) as browser:
        home = browser.get("/").text
        job = upload(browser, JADLOG)
        shown = browser.get(job).text
        sending = browser.post(f"{job}/send", headers=SAME_ORIGIN, follow_redirects=False)
        after = browser.get(job).text
    assert element(home, "no-account") == (
        "There is no account to send to yet: the files can be checked, but not sent. "
        "Add an account in Settings"
    )
    assert '<a href="/settings">Add an account in Settings</a>' in home
    assert '<select id="account"' not in home
    assert 'id="understood"' in shown  # the files are checked all the same
    assert 'id="send"' not in shown
    assert element(shown, "no-account").startswith("There is no account to send to: add one")
    assert sending.status_code == 303
    assert 'id="progress"' not in after


def test_in_sandbox_mode_every_job_goes_to_the_sandbox(tmp_path: Path) -> None:
    with (
        Sandbox() as fake,
        Sandbox() as centro,
        page(tmp_path, base_url=fake.base_url, sandbox=True) as browser,
    ):
        add(browser, account="", base_url=centro.base_url)
        home = browser.get("/").text
        shown = browser.get("/settings").text
        job = upload(browser, JADLOG)
        sent(browser, job)
    assert '<select id="account"' not in home
    assert element(shown, "sandbox-note").startswith("The page is in sandbox mode")
    assert len(fake.received) == 6
    assert centro.received == []


def test_no_token_of_any_account_is_on_a_page_even_one_added_while_it_runs(
    tmp_path: Path,
) -> None:
    path = tmp_path / "leak.csv"
    path.write_text(
        f"Pedido;NF;Rastreio;Observação {SUL_TOKEN}\n"
        f"1300000000001-01;1;{CENTRO_TOKEN};{SUL_TOKEN}\n"
        f"1300000000002-01;2;AA123456785BR;{APP_TOKEN}\n",
        encoding="utf-8",
    )
    with Sandbox() as started, page(tmp_path, base_url=started.base_url) as browser:
        shown = [add(browser), add(browser, label="Loja Sul", app_token=SUL_TOKEN)]
        job = upload(browser, path)  # to the account the page was started for
        shown.append(browser.get(job).text)
        browser.post(f"{job}/send", headers=SAME_ORIGIN)
        shown.append(finished(browser, job))
        with browser.stream("GET", f"{job}/events") as events:
            shown.append("".join(events.iter_text()))
        shown.append(browser.get(f"/settings/accounts/{label_id('Loja Sul')}").text)
    for token in (CENTRO_TOKEN, SUL_TOKEN, APP_TOKEN):
        for number, text in enumerate(shown):
            assert token.lower() not in text.lower(), (number, token)
    assert "[redacted]" in shown[2]


def test_a_token_added_on_the_page_is_kept_out_of_the_commands_own_lines(tmp_path: Path) -> None:
    kept: list[str] = []
    with page(tmp_path, keep_secret=kept.append) as browser:
        started = list(kept)
        add(browser)
        add(browser, label="Loja Sul", app_token=SUL_TOKEN)
    assert started == [APP_TOKEN]
    assert kept == [APP_TOKEN, CENTRO_TOKEN, SUL_TOKEN]


def test_two_accounts_sharing_the_journal_send_one_after_the_other(tmp_path: Path) -> None:
    slow = SandboxConfig(latency=0.2)
    journal = tmp_path / "journal.sqlite3"
    with (
        Sandbox(slow) as started,
        Sandbox() as centro,
        page(tmp_path, base_url=started.base_url, journal=journal) as browser,
    ):
        add(browser, account="", base_url=centro.base_url)
        first = upload(browser, JADLOG)
        to_centro = upload_to(browser, "Loja Centro")
        browser.post(f"{first}/send", headers=SAME_ORIGIN)
        waits = browser.post(f"{to_centro}/send", headers=SAME_ORIGIN)
        finished(browser, first)
        browser.post(f"{to_centro}/send", headers=SAME_ORIGIN)
        second = finished(browser, to_centro)

    # The journal of sent rows takes one job at a time, whichever account it sends to.
    assert waits.status_code == 409
    assert element(waits.text, "busy") == (
        "Another job is sending, and the journal of sent rows takes one at a time: wait for it "
        "to end, or stop it. See that job"
    )
    assert 'id="error"' not in second
    assert len(started.received) == 6
    assert len(centro.received) == 6


def test_a_rate_typed_with_a_comma_is_listed_as_the_persons_language_writes_it(
    tmp_path: Path,
) -> None:
    with page(tmp_path, "pt-BR") as browser:
        listed = add(browser, rate="2,5")
    assert table(listed, "accounts")[0][4] == "2,5"
    assert stored(tmp_path)[0]["rate"] == 2.5
