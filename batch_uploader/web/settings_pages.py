"""The Settings' routes: the page's accounts (listed, added, edited, removed) and the check
of each with its store."""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from ..errors import UsageError
from ..vtex.access import check_access
from .accounts import FIELDS, Account, Invalid, key_like_a_token, validated
from .pages import Pages

_log = logging.getLogger(__name__)


class SettingsPages:
    """The Settings' routes, shown by ``pages``, over its jobs' targets."""

    def __init__(self, pages: Pages) -> None:
        self.pages = pages
        self.jobs = pages.jobs

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/settings", self.settings_page, methods=["GET"]),
            Route("/settings/accounts", self.add_account, methods=["POST"]),
            Route("/settings/accounts/{account_id}", self.account_page, methods=["GET"]),
            Route("/settings/accounts/{account_id}", self.edit_account, methods=["POST"]),
            Route("/settings/accounts/{account_id}/remove", self.remove_account, methods=["POST"]),
            Route("/settings/accounts/{account_id}/check", self.check_account, methods=["POST"]),
        ]

    async def settings_page(self, request: Request) -> Response:
        return self._settings(request)

    async def add_account(self, request: Request) -> Response:
        targets = self.jobs.targets
        if targets.file is None:
            return self.pages.render(request, "missing.html", status=404)
        values = await _account_form(request)
        try:
            found = targets.accounts()
        except UsageError:
            return self._settings(request, status=409)  # the page says why
        try:
            account = validated(values, others=found, default_rate=self._default_rate)
        except Invalid as invalid:
            return self._settings(
                request, status=400, values=_shown(values), problems=invalid.problems
            )
        try:
            targets.save([*found, account])
        except UsageError as error:
            return self._settings(request, status=500, values=_shown(values), save_error=error)
        targets.verdicts.pop(account.id, None)
        return RedirectResponse(f"/settings#account-{account.id}", status_code=303)

    async def account_page(self, request: Request) -> Response:
        asked = self._asked(request)
        if asked is None:
            return self.pages.render(request, "missing.html", status=404)
        _found, account = asked
        return self._account(request, account, values=account.values())

    async def edit_account(self, request: Request) -> Response:
        """Saves an account's new values; an empty token field keeps its token."""
        values = await _account_form(request)
        asked = self._asked(request)
        if asked is None:
            return self.pages.render(request, "missing.html", status=404)
        found, account = asked
        others = [other for other in found if other.id != account.id]
        try:
            changed = validated(
                values, others=others, kept_token=account.app_token, default_rate=account.rate
            )
        except Invalid as invalid:
            return self._account(
                request, account, status=400, values=_shown(values), problems=invalid.problems
            )
        try:
            self.jobs.targets.save([changed if other is account else other for other in found])
        except UsageError as error:
            return self._account(
                request, account, status=500, values=_shown(values), save_error=error
            )
        for old in (account.id, changed.id):
            self.jobs.targets.verdicts.pop(old, None)
        return RedirectResponse(f"/settings#account-{changed.id}", status_code=303)

    async def remove_account(self, request: Request) -> Response:
        asked = self._asked(request)
        if asked is None:
            return self.pages.render(request, "missing.html", status=404)
        found, account = asked
        try:
            self.jobs.targets.save([other for other in found if other is not account])
        except UsageError as error:
            return self._account(request, account, status=500, save_error=error)
        self.jobs.targets.verdicts.pop(account.id, None)
        return RedirectResponse("/settings", status_code=303)

    async def check_account(self, request: Request) -> Response:
        """Asks the account's store, with its key and token, whether it may update invoices
        (the command line's ``check``), in the server's loop; the Settings page then says
        what was found."""
        asked = self._asked(request)
        if asked is None:
            return self.pages.render(request, "missing.html", status=404)
        _found, account = asked
        verdicts = self.jobs.targets.verdicts
        try:
            verdicts[account.id] = await check_access(
                account.target,
                account.credentials,
                timeout=self.jobs.settings.sending.timeout,
            )
        except Exception:
            _log.exception("a fault of batch-uploader checking the account %s", account.id)
            verdicts[account.id] = None
        return RedirectResponse(f"/settings#account-{account.id}", status_code=303)

    @property
    def _default_rate(self) -> float:
        return self.jobs.settings.sending.rate

    def _asked(self, request: Request) -> tuple[list[Account], Account] | None:
        """The file's accounts and the one the address names; None when there is none such
        (or no file, or one that cannot be used)."""
        found = self._accounts_or_none()
        account = _account(found, request)
        return None if found is None or account is None else (found, account)

    def _accounts_or_none(self) -> list[Account] | None:
        """The file's accounts; None when there is no file, or it cannot be used (the
        Settings page says why)."""
        if self.jobs.targets.file is None:
            return None
        try:
            return self.jobs.targets.accounts()
        except UsageError:
            return None

    def _settings(self, request: Request, status: int = 200, **context: Any) -> Response:
        targets = self.jobs.targets
        if targets.file is None:
            return self.pages.render(request, "missing.html", status=404)
        error = None
        try:
            found = targets.accounts()
        except UsageError as refused:
            found, error = [], refused
        context.setdefault("values", {"rate": f"{self._default_rate:g}"})
        return self.pages.render(
            request,
            "settings.html",
            status=status,
            path="/settings",
            accounts=found,
            accounts_error=error,
            file=targets.file,
            started=None if self.jobs.settings.sandbox else targets.started,
            verdicts=targets.verdicts,
            **context,
        )

    def _account(
        self, request: Request, account: Account, status: int = 200, **context: Any
    ) -> Response:
        return self.pages.render(
            request,
            "account.html",
            status=status,
            path=f"/settings/accounts/{account.id}",
            account=account,
            **context,
        )


async def _account_form(request: Request) -> dict[str, str]:
    """The values of an account's form, as typed (a field not sent is empty)."""
    async with request.form(max_files=0, max_fields=20) as form:
        return {name: value for name in FIELDS if isinstance(value := form.get(name, ""), str)}


def _shown(values: dict[str, str]) -> dict[str, str]:
    """A form's values to fill it in again: never with the token typed, in its field or in
    the app key's."""
    shown = {**values, "app_token": ""}
    if key_like_a_token(values.get("app_key", ""), values.get("app_token", "")):
        shown["app_key"] = ""
    return shown


def _account(found: list[Account] | None, request: Request) -> Account | None:
    wanted = str(request.path_params["account_id"])
    return next((account for account in found or [] if account.id == wanted), None)
