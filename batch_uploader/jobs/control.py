"""Stopping a job from outside it: the command line binds SIGINT and SIGTERM to a
:class:`Control`, a page binds a button."""

from __future__ import annotations

from collections.abc import Callable

from ..messages import Message

INTERRUPTED = "it was interrupted"


def stop_message(reason: str) -> Message:
    """A front end's ``reason`` to stop (its own words, marked for its catalogue) as the rows
    not sent say it: a message its catalogue translates, the same text in English."""
    if "{" in reason or "}" in reason:  # not a template: said as it is
        return Message.as_is(reason)
    return Message(reason)


class Control:
    """What a front end holds to stop a running job.

    :meth:`stop` lets the requests in flight finish (for the settings' grace period at most)
    and sends nothing more; :meth:`abort` ends the job at once. Either way every row read gets
    its status in the results. A stop asked before the job starts sending is kept: the job
    sends nothing.
    """

    def __init__(self) -> None:
        self.reason: str | None = None
        self.aborted = False
        self._listeners: list[Callable[[bool], None]] = []

    @property
    def stopping(self) -> bool:
        return self.reason is not None or self.aborted

    def stop(self, reason: str = "it was stopped") -> None:
        """Finish what is in flight, then end; rows not sent say the job stopped because
        ``reason``. A second call changes nothing."""
        if self.reason is None:
            self.reason = reason
            self._tell(aborted=False)

    def abort(self) -> None:
        """End now: requests in flight are abandoned (their rows fail as interrupted)."""
        if not self.aborted:
            self.reason = self.reason or INTERRUPTED
            self.aborted = True
            self._tell(aborted=True)

    def interrupt(self) -> None:
        """What a signal asks: to stop the first time, to abort the second."""
        if self.reason is None:
            self.stop(INTERRUPTED)
        else:
            self.abort()

    def listen(self, listener: Callable[[bool], None]) -> Callable[[], None]:
        """Calls ``listener(aborted)`` at each stop or abort asked from now on; returns what
        ends the listening."""
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _tell(self, *, aborted: bool) -> None:
        for listener in list(self._listeners):
            listener(aborted)
