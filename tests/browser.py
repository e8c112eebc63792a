"""Helpers of the browser tests: the distribution's Chromium, the page's server on a free port,
what a page says in its console, and screenshots of each step."""

from __future__ import annotations

import os
import secrets
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Error,
    Locator,
    Page,
    Request,
    ViewportSize,
)

from batch_uploader.sandbox.oms import Sandbox, SandboxConfig
from batch_uploader.vtex.settings import Settings
from batch_uploader.vtex.target import Credentials
from batch_uploader.web.app import create_app, page_hosts
from batch_uploader.web.server import PageServer, bind
from batch_uploader.web.settings import PageSettings

DEFAULT_CHROMIUM = Path("/usr/bin/chromium")
# The size every page is seen at, and every screenshot taken at.
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
# How long a page has to show what a step does, and an action or expectation waits (the
# sandbox answers in milliseconds; a busy machine may be slow to draw).
STEP_TIMEOUT_MS = 15_000
# The sandbox answers each request after a short wait and the page sends a few rows a second,
# so that a few rows take long enough for their progress to be seen arriving.
SANDBOX = SandboxConfig(latency=0.05)
SENDING = Settings(rate=5.0)
SANDBOX_CREDENTIALS = Credentials("sandbox-key", "sandbox-token")


def chromium_path() -> Path:
    """The Chromium the tests drive: ``$CHROMIUM``, else the distribution's."""
    return Path(os.environ.get("CHROMIUM") or DEFAULT_CHROMIUM)


def missing_chromium(path: Path) -> str | None:
    """Why the browser tests cannot run, or None when ``path`` is a program."""
    if path.is_file() and os.access(path, os.X_OK):
        return None
    return f"Chromium not found at {path}; install the distribution's chromium package"


def on_ci() -> bool:
    """Whether the suite runs on CI, where a browser test that cannot run is a failure."""
    return os.environ.get("CI", "").lower() == "true"


def require_chromium() -> Path:
    """The Chromium to launch. When there is none, the browser tests skip with the reason, or
    fail with it on CI."""
    path = chromium_path()
    reason = missing_chromium(path)
    if reason is not None:
        if on_ci():
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return path


@dataclass
class Problems:
    """What went wrong on a page that a person would not see: console errors and warnings
    (Chromium reports each Content Security Policy violation there), scripts that threw, and
    requests that failed."""

    seen: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        page.on("console", self._console)
        page.on("pageerror", self._page_error)
        page.on("requestfailed", self._request_failed)

    def take(self) -> list[str]:
        """The problems seen so far, forgotten once returned."""
        taken, self.seen = self.seen, []
        return taken

    def _console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            where = message.location.get("url", "")
            self.seen.append(f"console {message.type}: {message.text} ({where})")

    def _page_error(self, error: Error) -> None:
        self.seen.append(f"uncaught: {error.message}")

    def _request_failed(self, request: Request) -> None:
        # A download's request ends when the file is saved, and a stream of events when its
        # page goes: neither is a failure.
        if request.failure == "net::ERR_ABORTED":
            return
        self.seen.append(f"request failed: {request.method} {request.url}: {request.failure}")


@dataclass
class Tab:
    """A page in a browser context of its own (its own cookies and language), and its
    problems."""

    page: Page
    problems: Problems


class Tabs:
    """Opens tabs in ``browser``, each in a new context that accepts downloads and sees the
    site at :data:`VIEWPORT`; closes them all at the end."""

    def __init__(self, browser: Browser) -> None:
        self.browser = browser
        self.contexts: list[BrowserContext] = []
        self.opened: list[Tab] = []

    def open(self, locale: str = "pt-BR") -> Tab:
        """A new tab whose browser asks for ``locale`` (its Accept-Language)."""
        context = self.browser.new_context(locale=locale, accept_downloads=True, viewport=VIEWPORT)
        context.set_default_timeout(STEP_TIMEOUT_MS)
        self.contexts.append(context)
        page = context.new_page()
        problems = Problems()
        problems.watch(page)
        tab = Tab(page, problems)
        self.opened.append(tab)
        return tab

    def close(self) -> list[str]:
        """Closes every context; returns the problems no test took."""
        for context in self.contexts:
            context.close()
        return [problem for tab in self.opened for problem in tab.problems.take()]


class Screenshots:
    """Screenshots of the steps of a test in ``folder``, and also in ``$SCREENSHOTS_DIR`` when
    that is set (the README shows the ones in docs/screenshots)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        extra = os.environ.get("SCREENSHOTS_DIR")
        self.extra = Path(extra) if extra else None

    def take(self, page: Page, name: str, showing: Locator | None = None) -> Path:
        """Saves what ``page`` shows in its viewport as ``name``.png, scrolled first so that
        the end of ``showing`` is at its bottom when given (what a person scrolls to)."""
        if showing is not None:
            showing.evaluate("element => element.scrollIntoView({block: 'end'})")
        path = self.folder / f"{name}.png"
        page.screenshot(path=path, animations="disabled", caret="initial")
        if self.extra is not None:
            self.extra.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, self.extra / path.name)
        return path


@dataclass(frozen=True)
class Site:
    """The page's server as a test reaches it, and the sandbox its jobs send to."""

    root: str  # http://127.0.0.1:PORT/
    token: str
    sandbox: Sandbox

    @property
    def tokened(self) -> str:
        """The address ``batch-uploader web`` prints and opens: the root with its token."""
        return f"{self.root}?token={self.token}"


@contextmanager
def serve(
    state_dir: Path,
    sandbox: SandboxConfig = SANDBOX,
    sending: Settings = SENDING,
    *,
    journal: Path | None = None,
    inboxes: tuple[Path, ...] = (),
    accounts: Path | None = None,
) -> Iterator[Site]:
    """The page, sending every job to a sandbox started here (as ``batch-uploader web
    --sandbox`` does), its Settings kept in ``accounts`` and its history read from ``journal``
    and ``inboxes``, served by uvicorn in a thread on 127.0.0.1 while the block runs. The
    socket is bound first, on a free port, so the address is known before the server starts
    and nothing else can take it."""
    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    token = secrets.token_urlsafe(32)
    try:
        with Sandbox(sandbox) as fake:
            settings = PageSettings(
                state_dir=state_dir,
                base_url=fake.base_url,
                credentials=SANDBOX_CREDENTIALS,
                sandbox=True,
                sending=sending,
                journal=journal,
                inboxes=inboxes,
                accounts=accounts,
            )
            server = PageServer(create_app(settings, token, page_hosts("127.0.0.1", port)))
            thread = threading.Thread(
                target=server.run, kwargs={"sockets": [sock]}, name="page-server", daemon=True
            )
            thread.start()
            try:
                _wait_started(server, thread)
                yield Site(f"http://127.0.0.1:{port}/", token, fake)
            finally:
                server.stop()
                thread.join(10)
            assert not thread.is_alive(), "the page's server did not stop in 10 s"
    finally:
        sock.close()


def _wait_started(server: PageServer, thread: threading.Thread) -> None:
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the page's server stopped while starting")
        if time.monotonic() > deadline:
            raise RuntimeError("the page's server did not start in 10 s")
        time.sleep(0.01)
