"""The page as an ASGI app: its routes behind the guard, its languages, its jobs, and what
closes them when the server stops."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable

from markupsafe import Markup
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.types import ASGIApp

from ..redaction import Redactor
from .guard import Guard, SecurityHeaders
from .history import History
from .history_pages import HistoryPages
from .i18n import LANGUAGE_COOKIE, languages, negotiate
from .jobs import Jobs
from .pages import Pages
from .settings import PageSettings
from .settings_pages import SettingsPages


class PageApp(Starlette):
    """The page's app; :meth:`closing_now` (from any thread) ends its streams and stops its
    jobs, as a server about to stop calls it."""

    jobs: Jobs
    closing: asyncio.Event
    loop: asyncio.AbstractEventLoop | None = None

    def build_middleware_stack(self) -> ASGIApp:
        # Outermost: an error page of Starlette's own has the headers too.
        return SecurityHeaders(super().build_middleware_stack())

    def closing_now(self, *, abort: bool = False) -> None:
        """Ends the streams and stops the jobs (``abort``: at once, their requests in flight
        abandoned)."""
        loop = self.loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._close, abort)

    def _close(self, abort: bool) -> None:
        self.closing.set()
        self.jobs.stop_all(abort=abort)


def create_app(settings: PageSettings, token: str, hosts: Iterable[str]) -> PageApp:
    """The page for ``settings``, admitting the session of ``token`` on ``hosts``
    (``127.0.0.1:8765``...)."""
    jobs = Jobs(settings)
    # Every token the page has seen, those of accounts added while it runs too.
    found = languages(lambda value: _secret_free(value, jobs.targets.redactor()))
    closing = asyncio.Event()
    history = History.of(settings.journal, settings.inboxes, settings.state_dir)
    pages = Pages(jobs, found, closing, history)

    def refusal(status: int, headers: dict[str, str]) -> bytes:
        chosen = _cookie_language(headers.get("cookie", ""))
        language = found[negotiate(headers.get("accept-language"), chosen)]
        html = pages.fragment(language, "refused.html", status=status, path="/")
        return html.encode()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        page.loop = asyncio.get_running_loop()
        try:
            yield
        finally:
            closing.set()
            await jobs.close()

    page = PageApp(
        routes=pages.routes()
        + HistoryPages(pages, history).routes()
        + SettingsPages(pages).routes(),
        exception_handlers=pages.exception_handlers(),
        middleware=[
            Middleware(
                Guard, token=token, hosts=list(hosts), max_body=settings.max_body, refusal=refusal
            ),
        ],
        lifespan=lifespan,
    )
    page.jobs = jobs
    page.closing = closing
    return page


def page_hosts(host: str, port: int) -> list[str]:
    """The ``Host`` headers the page answers to when it listens on ``host``:``port``."""
    hosts = [f"127.0.0.1:{port}", f"localhost:{port}"]
    if host not in ("127.0.0.1", "localhost"):
        hosts.append(f"{url_host(host)}:{port}")
    return hosts


def url_host(host: str) -> str:
    """``host`` as an address writes it: an IPv6 one in brackets (``[::1]``)."""
    return f"[{host}]" if ":" in host else host


def _secret_free(value: object, redactor: Redactor) -> object:
    """What a template shows, without the secrets of the page's accounts."""
    if isinstance(value, Markup):
        return Markup(redactor.text(value))
    return redactor.text(value) if isinstance(value, str) else value


def _cookie_language(header: str) -> str | None:
    for part in header.split(";"):
        name, _, value = part.strip().partition("=")
        if name == LANGUAGE_COOKIE:
            return value
    return None
