"""The page served: a socket bound first (a port taken fails at once, and port 0 gives a
free one whose number is known before the address is printed), then uvicorn on it until
Ctrl-C or SIGTERM, which end the streams and stop the jobs through their controls before
the server waits for its connections."""

from __future__ import annotations

import socket
from types import FrameType

import uvicorn

from .app import PageApp

# Seconds the server waits for its connections once stopping, as a backstop: the streams
# end at once.
GRACEFUL = 5


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host``:``port`` (0: a free port); raises OSError when the
    port is taken."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    return sock


class PageServer(uvicorn.Server):
    """uvicorn, telling the page it closes as soon as it is asked to stop: its streams end
    and its jobs stop, so the server does not wait for them."""

    def __init__(self, app: PageApp) -> None:
        super().__init__(
            uvicorn.Config(
                app,
                # uvicorn's lines go through the command's logging, which redacts the secrets;
                # no access log (the printed address holds the session's token).
                log_config=None,
                log_level="warning",
                access_log=False,
                lifespan="on",
                timeout_graceful_shutdown=GRACEFUL,
                # The jobs settle their rows within their own grace period.
                timeout_keep_alive=5,
            )
        )
        self.page = app

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # A second Ctrl-C ends the jobs at once, as it ends a run of the command line.
        again = self.should_exit
        super().handle_exit(sig, frame)
        self.page.closing_now(abort=again)

    def stop(self) -> None:
        """Stops the server from another thread, as a signal would."""
        self.should_exit = True
        self.page.closing_now()
