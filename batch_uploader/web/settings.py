"""What the page was started with: where its jobs send and with which credentials, how fast,
and where it keeps their files."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..rules.tracking_urls import BUILT_IN_TEMPLATES, UrlTemplates
from ..vtex.settings import Settings
from ..vtex.target import Credentials

# The largest request body the page reads (the uploaded files together).
MAX_BODY = 50 * 1024 * 1024


@dataclass(frozen=True)
class PageSettings:
    """The page's settings: its jobs send to ``base_url`` with ``credentials`` (the built-in
    sandbox's when ``sandbox``), or to an account of the ``accounts`` file (its Settings;
    none without it), keep their files under ``state_dir`` and the journal of sent rows at
    ``journal`` (in memory when ``None``). Without a ``base_url``, the page was started for
    no account: its jobs send only to those of the file. The history also tells the nightly
    runs of each folder of ``inboxes``."""

    state_dir: Path
    base_url: str | None = None
    credentials: Credentials | None = None
    sandbox: bool = False
    journal: Path | None = None
    sending: Settings = field(default_factory=Settings)
    url_templates: UrlTemplates | None = BUILT_IN_TEMPLATES
    max_body: int = MAX_BODY
    inboxes: tuple[Path, ...] = ()
    accounts: Path | None = None
    # Told each app token the page comes to know (one added on its Settings too), so that the
    # command's own output and log lines keep it out as well.
    keep_secret: Callable[[str], None] | None = field(default=None, compare=False)
