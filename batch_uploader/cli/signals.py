"""Stopping an upload from outside: SIGINT (Ctrl-C) and SIGTERM (a scheduler's stop), caught
by the event loop for as long as an upload sends, and given back afterwards."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Iterator

STOPPING = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def caught(on_signal: Callable[[], None]) -> Iterator[None]:
    """Calls ``on_signal`` in the running event loop at each SIGINT or SIGTERM while the block
    lasts, then puts back the handlers there were. Only the main thread can catch signals:
    elsewhere they keep their way."""
    loop = asyncio.get_running_loop()
    handled = []
    for number in STOPPING:
        with contextlib.suppress(ValueError, RuntimeError, NotImplementedError):
            previous = signal.getsignal(number)
            loop.add_signal_handler(number, on_signal)
            handled.append((number, previous))
    try:
        yield
    finally:
        for number, previous in handled:
            loop.remove_signal_handler(number)
            if previous is not None:  # removing a handler resets it to the default
                signal.signal(number, previous)
