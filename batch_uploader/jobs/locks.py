"""Locks that keep two runs from working on the same thing at once (a journal, an inbox)."""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import socket
import sys
from pathlib import Path
from typing import IO

from .. import message_codes
from ..errors import UsageError
from ..messages import N_, Param, RunMessage
from ..rules.hints import Hint


def take_lock(path: Path, what: str, hint: Hint | None = None) -> IO[str]:
    """An exclusive lock on the file ``path``, held until the handle returned is closed and
    released by the system however the process ends. When another process holds it, a
    :class:`UsageError` says that ``what`` is in use, by whom, and what to do: wait, or the
    remedy ``hint``."""
    # The remedy, when there is one, is the other way out.
    remedy: dict[str, Param] = {} if hint is None else {"hint": hint}
    try:
        handle = path.open("a+", encoding="utf-8")
    except OSError as error:
        # A read-only folder, say, where the lock file does not exist yet.
        raise UsageError(
            RunMessage(
                message_codes.LOCK_NOT_CREATED,
                _NOT_CREATED if hint is None else _NOT_CREATED_OR,
                {
                    "lock": str(path),
                    "what": what,
                    "reason": str(error.strerror),
                    "folder": str(path.parent),
                    **remedy,
                },
            )
        ) from None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise UsageError(
            RunMessage(
                message_codes.IN_USE,
                _IN_USE if hint is None else _IN_USE_OR,
                {"what": what, "holder": holder, **remedy},
            )
        ) from None
    handle.seek(0)
    handle.truncate()
    command = " ".join([Path(sys.argv[0]).name, *sys.argv[1:]])
    since = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    handle.write(f"pid {os.getpid()} on {socket.gethostname()} since {since} ({command})\n")
    handle.flush()
    return handle


# What stops a run whose lock cannot be taken, without a remedy of its own and with one.
_NOT_CREATED = N_(
    "cannot create the lock file {lock} of {what}: {reason}; let batch-uploader write in {folder}"
)
_NOT_CREATED_OR = N_(
    "cannot create the lock file {lock} of {what}: {reason}; let batch-uploader write in "
    "{folder}, or {hint}"
)
_IN_USE = N_("{what} is in use by {holder}; wait for that run to end")
_IN_USE_OR = N_("{what} is in use by {holder}; wait for that run to end, or {hint}")
