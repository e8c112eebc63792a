"""``batch-uploader web``: the page served on loopback, its address (with the session's
token) printed and opened in the browser, until Ctrl-C."""

from __future__ import annotations

import contextlib
import secrets
import sys
import tempfile
import webbrowser
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import click

from ..errors import UsageError
from ..exit_statuses import ExitStatus
from ..files.output_names import JOURNAL_NAME
from ..sandbox.oms import Sandbox, SandboxConfig
from ..vtex.target import Credentials, is_loopback
from ..web.app import create_app, page_hosts, url_host
from ..web.server import PageServer, bind
from ..web.settings import PageSettings

# Where the page keeps its jobs' files by default.
WEB_DIR = Path("output") / "web"


def serve_page(
    settings: PageSettings,
    *,
    host: str,
    port: int,
    open_browser: bool,
    sandbox: tuple[SandboxConfig, Callable[[], Credentials]] | None = None,
) -> None:
    """Serves the page for ``settings`` on ``host``:``port`` until Ctrl-C; with ``sandbox``
    (its configuration and credentials), every job goes to a sandbox started here."""
    try:
        sock = bind(host, port)
    except OSError as error:
        raise UsageError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    fake = None
    session = contextlib.ExitStack()
    try:
        if sandbox is not None:
            config, credentials = sandbox
            fake = Sandbox(config).start()
            settings = replace(
                settings, base_url=fake.base_url, credentials=credentials(), sandbox=True
            )
            if settings.journal is None:
                # The sandbox forgets what it was sent when it stops: so does its journal,
                # kept for the history of this session only.
                folder = session.enter_context(
                    tempfile.TemporaryDirectory(prefix="batch-uploader-sandbox-")
                )
                settings = replace(settings, journal=Path(folder) / JOURNAL_NAME)
        settings.state_dir.mkdir(parents=True, exist_ok=True)
        port = sock.getsockname()[1]
        token = secrets.token_urlsafe(32)
        server = PageServer(create_app(settings, token, page_hosts(host, port)))
        # The address as the browser is to reach it: where the socket listens.
        shown = "127.0.0.1" if host == "localhost" else url_host(host)
        if fake:
            target = "the sandbox (nothing reaches VTEX)"
        elif settings.base_url:
            target = settings.base_url
        else:
            target = "the accounts of its Settings"
        if not is_loopback(host):
            click.echo(
                f"Warning: listening on {host}, not only on this machine: anyone who can reach "
                f"it on port {port} and learns the address below can send to "
                f"{'the sandbox' if fake else target}.",
                err=True,
            )
        url = f"http://{shown}:{port}/?token={token}"
        click.echo(f"The page, sending to {target}: {url}")
        click.echo("Ctrl-C stops it (jobs under way stop and write their results).")
        if open_browser:
            webbrowser.open(url)
        try:
            server.run(sockets=[sock])
        except KeyboardInterrupt:
            sys.exit(ExitStatus.INTERRUPTED)
    finally:
        sock.close()
        if fake is not None:
            fake.stop()
        session.close()
