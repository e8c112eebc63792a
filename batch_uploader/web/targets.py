"""Where the page's jobs may send: the account the page was started for (the command line's,
or the sandbox), and the accounts of its Settings; and the app tokens of them all, kept off
every page, stream and download."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass, field

from ..errors import UsageError
from ..redaction import Redactor
from ..vtex.access import AccessVerdict
from ..vtex.target import Credentials
from . import accounts
from .accounts import Account
from .settings import PageSettings

# The key of the account the page was started for, in the upload form.
STARTED = "started"


@dataclass(frozen=True)
class Target:
    """An account a job sends to: its ``key`` in the upload form, its name (``label``), its
    address and credentials, and how many requests a second its jobs send. ``in_settings``:
    one of the Settings page's accounts, not the one the page was started for."""

    key: str
    label: str
    base_url: str
    credentials: Credentials = field(repr=False)
    rate: float
    in_settings: bool = False


class Targets:
    """The page's targets, over ``settings``: its accounts file is read again whenever asked,
    so that what another tab saved is seen at once."""

    def __init__(self, settings: PageSettings) -> None:
        self.settings = settings
        self.file = settings.accounts
        self.started: Target | None = None
        if settings.base_url is not None and settings.credentials is not None:
            self.started = Target(
                STARTED,
                settings.base_url,
                settings.base_url,
                settings.credentials,
                settings.sending.rate,
            )
        # What each account's check last found, by the account's id (None: a fault of
        # batch-uploader kept it from finding anything).
        self.verdicts: dict[str, AccessVerdict | None] = {}
        self._tokens: set[str] = set()
        self._redactor = Redactor(())
        if self.started is not None:
            self.learn([self.started.credentials.app_token])
        # The file's tokens are secret from the first page on; a file that cannot be used
        # is said on the pages that read it.
        with contextlib.suppress(UsageError):
            self.accounts()

    def accounts(self) -> list[Account]:
        """The accounts of the file (none without one); raises :class:`UsageError` when it
        cannot be used."""
        if self.file is None:
            return []
        found = accounts.read(self.file)
        self.learn(account.app_token for account in found)
        return found

    def save(self, found: list[Account]) -> None:
        """Writes ``found`` as the file's accounts."""
        if self.file is None:
            raise ValueError("the page has no accounts file")
        self.learn(account.app_token for account in found)
        accounts.write(self.file, found)

    def choices(self) -> tuple[list[Target], UsageError | None]:
        """The targets the upload form offers: the sandbox alone in sandbox mode, else the
        account the page was started for and those of the file; and why the file's could not
        be read, if they could not."""
        started = [self.started] if self.started is not None else []
        if self.settings.sandbox:
            return started, None
        try:
            found = self.accounts()
        except UsageError as error:
            return started, error
        return [*started, *(target_of(account) for account in found)], None

    def target(self, key: str) -> Target | None:
        """The target the upload form names ``key``, if it is still there."""
        return next((target for target in self.choices()[0] if target.key == key), None)

    def learn(self, tokens: Iterable[str]) -> None:
        """Keeps ``tokens`` off every page from now on (once seen, a token stays secret even
        when its account is changed or removed: a job may still show what it sent)."""
        new = set(tokens) - self._tokens
        if new:
            self._tokens |= new
            self._redactor = Redactor(sorted(self._tokens))
            if self.settings.keep_secret is not None:
                for token in sorted(new):
                    self.settings.keep_secret(token)

    def redactor(self) -> Redactor:
        """What takes every token the page has seen out of a text."""
        return self._redactor


def target_of(account: Account) -> Target:
    return Target(
        account.id, account.label, account.target, account.credentials, account.rate, True
    )
