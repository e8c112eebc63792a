"""What the tests of the page share: an app for a folder, a client holding its session, and
the cells of a table as a person reads them."""

from __future__ import annotations

import html
import re
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from starlette.exceptions import StarletteDeprecationWarning

from batch_uploader.sandbox.oms import Sandbox
from batch_uploader.vtex.target import Credentials
from batch_uploader.web.app import PageApp, create_app, page_hosts
from batch_uploader.web.settings import PageSettings

with warnings.catch_warnings():
    # Starlette would rather have httpx2: the client works the same with httpx.
    warnings.simplefilter("ignore", StarletteDeprecationWarning)
    from starlette.testclient import TestClient as TestClient

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"
TOKEN = "the-session-token-of-the-test"
# An app token as VTEX's look, which nothing the page shows may hold.
APP_TOKEN = "VTEXTOKEN" + "Qx7Lm2Pz9Rt4" * 8
SAME_ORIGIN = {"sec-fetch-site": "same-origin"}


def settings(tmp_path: Path, base_url: str = "http://127.0.0.1:9", **more: Any) -> PageSettings:
    """The settings of a page keeping its files under ``tmp_path``."""
    return PageSettings(
        state_dir=tmp_path / "web",
        base_url=base_url,
        credentials=Credentials("vtexappkey-test", APP_TOKEN),
        **more,
    )


def app_for(tmp_path: Path, **more: Any) -> PageApp:
    return create_app(settings(tmp_path, **more), TOKEN, page_hosts("127.0.0.1", PORT))


@contextmanager
def client(app: PageApp, language: str = "en") -> Iterator[TestClient]:
    """A browser of the page, its session opened with the printed address."""
    with TestClient(app, base_url=BASE, headers={"accept-language": language}) as browser:
        answer = browser.get(f"/?token={TOKEN}", follow_redirects=False)
        assert answer.status_code == 303
        yield browser


@contextmanager
def sandboxed(tmp_path: Path, language: str = "en") -> Iterator[tuple[TestClient, Sandbox]]:
    """A browser of a page that sends to a sandbox."""
    with (
        Sandbox() as fake,
        client(app_for(tmp_path, base_url=fake.base_url, sandbox=True), language) as browser,
    ):
        yield browser, fake


def upload(browser: TestClient, *paths: Path, kind: str = "tracking") -> str:
    """Uploads ``paths`` with the form; the job's page address."""
    files = [("files", (path.name, path.read_bytes(), "text/plain")) for path in paths]
    answer = browser.post(
        "/jobs", files=files, data={"kind": kind}, headers=SAME_ORIGIN, follow_redirects=False
    )
    assert answer.status_code == 303, answer.text
    return str(answer.headers["location"])


def finished(browser: TestClient, job: str) -> str:
    """The job's page once its sending is over."""
    for _ in range(300):
        page = str(browser.get(job).text)
        if '<section id="results">' in page:
            return page
        time.sleep(0.05)
    raise AssertionError("the job did not finish")


def sent(browser: TestClient, job: str) -> str:
    """Sends ``job`` with its page's button; its page once the sending is over."""
    answer = browser.post(f"{job}/send", headers=SAME_ORIGIN, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return finished(browser, job)


def table(page: str, table_id: str) -> list[list[str]]:
    """The body cells of the table ``table_id`` of ``page``, as text."""
    found = re.search(rf'<table id="{table_id}">(.*?)</table>', page, re.S)
    assert found, f"no table #{table_id}"
    body = found.group(1).split("<tbody>", 1)[-1]
    return [
        [text(_shown(cell)) for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def _shown(cell: str) -> str:
    """A cell as a person sees it: a text input shows its value."""
    return re.sub(r'<input type="text"[^>]* value="([^"]*)"[^>]*>', r"\1", cell)


def element(page: str, element_id: str) -> str:
    """The text of the element ``element_id`` of ``page``."""
    found = re.search(rf'<(\w+)[^>]* id="{element_id}"[^>]*>(.*?)</\1>', page, re.S)
    assert found, f"no element #{element_id}"
    return text(found.group(2))


def text(fragment: str) -> str:
    """What a person reads of an HTML fragment: no tags, entities decoded, spaces joined."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())
