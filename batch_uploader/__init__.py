"""batch-uploader: carrier spreadsheets of tracking numbers into VTEX orders.

The command line is ``batch-uploader``; everything it does is available from Python too:
:func:`run` uploads files (or only checks them) and returns a :class:`Report`;
:func:`upload_events` does the same for delivery events, and :func:`verify_results` reads
back the orders of a results file.

Inside a running event loop (a web server's), :class:`TrackingUpload` is the same upload as a
job (:class:`EventsUpload` for delivery events, :class:`ReadBack` for the read-back of a
results file): opened, it reads its files; ``await job.run(control, on_event)`` sends, telling
its progress as the events of :mod:`batch_uploader.jobs.progress` and stopped by a
:class:`Control`. Folded in order (:meth:`Report.fold`), an upload's events give the report
it returns.
"""

from .errors import BatchUploaderError, InputError, UsageError
from .exit_statuses import ExitStatus
from .jobs import progress
from .jobs.control import Control
from .jobs.deliveries import EventsUpload
from .jobs.read_back import ReadBack
from .jobs.report import Report
from .jobs.tracking import TrackingUpload
from .messages import Message, RunMessage
from .models import Delivery, Outcome, Row, RowError, Status, TrackingUpdate
from .rules.hints import Hint
from .sandbox.oms import Sandbox, SandboxConfig
from .scripting import run, upload_events, verify_results
from .vtex.retry import RetryPolicy
from .vtex.settings import Settings
from .vtex.target import Credentials

__version__ = "0.1.0"

__all__ = [
    "BatchUploaderError",
    "Control",
    "Credentials",
    "Delivery",
    "EventsUpload",
    "ExitStatus",
    "Hint",
    "InputError",
    "Message",
    "Outcome",
    "ReadBack",
    "Report",
    "RetryPolicy",
    "Row",
    "RowError",
    "RunMessage",
    "Sandbox",
    "SandboxConfig",
    "Settings",
    "Status",
    "TrackingUpdate",
    "TrackingUpload",
    "UsageError",
    "__version__",
    "progress",
    "run",
    "upload_events",
    "verify_results",
]
