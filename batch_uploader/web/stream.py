"""A job's progress as server-sent events: HTML fragments the page swaps in (htmx's SSE
extension), the latest state at most five times a second however fast rows are decided, and
``job-finished`` last, with the results; a stream also ends when the page closes.

A stream reads the job's :class:`~.snapshot.Snapshot`, never its events: a second tab, or a
browser reconnecting, is sent where the job is now.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

from .snapshot import Snapshot

# The least time between two updates of a stream.
INTERVAL = 0.2
# Seconds of silence before a comment keeps the connection open through proxies.
KEEP_ALIVE = 15.0
PROGRESS = "progress"
FINISHED = "job-finished"


def sse(event: str, data: str) -> str:
    """One server-sent event: its name, and ``data`` (HTML, one ``data:`` line a line)."""
    lines = [f"event: {event}"] + [f"data: {line}" for line in data.splitlines() or [""]]
    return "\n".join(lines) + "\n\n"


async def progress_events(
    snapshot: Snapshot,
    progress: Callable[[], str],
    finished: Callable[[], str],
    closing: asyncio.Event,
) -> AsyncIterator[str]:
    """The events of the job of ``snapshot``: ``progress()`` whenever it changed (at most
    every :data:`INTERVAL`), then ``progress()`` and ``finished()`` once it is over; stops
    when ``closing`` is set. A disconnected browser cancels it (Starlette does)."""
    yield "retry: 2000\n\n"
    shown = -1
    while not closing.is_set():
        if snapshot.over:
            yield sse(PROGRESS, progress())
            yield sse(FINISHED, finished())
            return
        if snapshot.version != shown:
            shown = snapshot.version
            yield sse(PROGRESS, progress())
            await _either(asyncio.sleep(INTERVAL), closing)
            continue
        if not await _either(snapshot.changed(shown, KEEP_ALIVE), closing):
            yield ": keep-alive\n\n"


async def _either(waiting: object, closing: asyncio.Event) -> bool:
    """Awaits ``waiting`` (a coroutine) unless ``closing`` is set first; its result, or
    False."""
    task = asyncio.ensure_future(waiting)  # type: ignore[call-overload]
    closed = asyncio.ensure_future(closing.wait())
    try:
        done, _ = await asyncio.wait({task, closed}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for pending in (task, closed):
            pending.cancel()
    return bool(task.result()) if task in done and not task.cancelled() else False
