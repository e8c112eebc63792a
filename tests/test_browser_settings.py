"""The Settings page in a real browser, as a person who runs two stores uses it: open it from
the header, add an account pointing at a store (a local sandbox here), press Check and read
what the store said; a wrong token is said as plainly."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from batch_uploader.sandbox.oms import Sandbox, SandboxConfig
from batch_uploader.web.accounts import label_id

from .browser import Screenshots, Tabs, serve

CENTRO_TOKEN = "CENTROTOKEN" + "Zr8Wq3Lp5Nv1" * 8
SUL_TOKEN = "SULTOKEN" + "Hy4Tb7Mc2Xs6" * 8


def add_account(page: Page, label: str, address: str, key: str, token: str) -> None:
    page.fill("#label", label)
    page.fill("#base-url", address)
    page.fill("#app-key", key)
    page.fill("#app-token", token)
    page.fill("#rate", "5")
    page.locator("#add").click()


def test_an_account_added_and_checked(tabs: Tabs, screenshots: Screenshots, tmp_path: Path) -> None:
    accounts = tmp_path / "config" / "accounts.toml"
    with (
        Sandbox() as centro,
        Sandbox(SandboxConfig(refuse_credentials=401)) as sul,
        serve(tmp_path / "web", accounts=accounts) as site,
    ):
        tab = tabs.open("pt-BR")
        page = tab.page
        page.goto(site.tokened)
        page.locator("#settings-link").click()
        expect(page.locator("h1")).to_have_text("Configurações")
        expect(page.locator("#no-accounts")).to_have_text("Nenhuma conta ainda.")
        expect(page.locator("#app-token")).to_have_attribute("type", "password")

        add_account(page, "Loja Centro", centro.base_url, "vtexappkey-centro", CENTRO_TOKEN)
        row = page.locator(f"tr#account-{label_id('Loja Centro')}")
        expect(row.locator(".label")).to_have_text("Loja Centro")
        expect(row.locator(".where")).to_have_text(centro.base_url)
        expect(row.locator(".token")).to_have_text("…" + CENTRO_TOKEN[-4:])
        expect(page.locator("#app-token")).to_have_value("")

        row.locator("button.check").click()
        verdict = page.locator(f"#verdict-{label_id('Loja Centro')}")
        expect(verdict).to_have_text(
            f"OK: {centro.base_url} aceita a app key, e ela pode atualizar notas fiscais"
        )
        expect(verdict).to_have_class("verdict ok")
        screenshots.take(page, "settings-accounts")
        assert centro.requests == 1

        # A store that refuses the token: the page says so, and what to check.
        add_account(page, "Loja Sul", sul.base_url, "vtexappkey-sul", SUL_TOKEN)
        sul_row = page.locator(f"tr#account-{label_id('Loja Sul')}")
        sul_row.locator("button.check").click()
        expect(page.locator(f"#verdict-{label_id('Loja Sul')}")).to_have_text(
            f"{sul.base_url} recusou a app key ou o token (401): verifique a app key e o token "
            "da conta em Configurações"
        )
        content = page.content()
        assert CENTRO_TOKEN not in content
        assert SUL_TOKEN not in content
        # Whatever the page still loads (its icon) is loaded before the server stops.
        page.wait_for_load_state("networkidle")
        page.close()
        assert tab.problems.take() == []
