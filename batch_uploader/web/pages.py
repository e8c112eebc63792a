"""The page's routes: the upload form, a job's page (what was understood, its progress, its
results), its event stream, and its downloads. Every page works as plain HTML forms and
links; htmx only streams the progress in."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    HTMLResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from ..errors import UsageError
from ..models import Status, Verdict
from ..vtex.access import check_access
from . import wording
from .accounts import FIELDS, Account, Invalid, validated
from .i18n import LANGUAGE_COOKIE, LANGUAGES, Language, negotiate
from .jobs import Busy, Jobs, PageJob
from .snapshot import Snapshot
from .stream import progress_events
from .watch import workbook_of

# The files one upload may hold (a form with more is refused before any is read).
MAX_FILES = 100

# Languages as the links name them, each in its own words.
LANGUAGE_NAMES = {"pt_BR": "Português", "es": "Español", "en": "English"}
_CHUNK = 64 * 1024
_log = logging.getLogger(__name__)


class Pages:
    """The routes, over the page's ``jobs`` and ``languages``; ``closing`` ends the streams."""

    def __init__(self, jobs: Jobs, languages: dict[str, Language], closing: asyncio.Event) -> None:
        self.jobs = jobs
        self.languages = languages
        self.closing = closing

    def exception_handlers(self) -> dict[Any, Any]:
        return {404: self.not_found, 405: self.not_found}

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/", self.upload_page, methods=["GET"]),
            Route("/favicon.ico", self.favicon, methods=["GET"]),
            Route("/jobs", self.create, methods=["POST"]),
            Route("/jobs/{job_id}", self.job_page, methods=["GET"]),
            Route("/jobs/{job_id}/send", self.send, methods=["POST"]),
            Route("/jobs/{job_id}/stop", self.stop, methods=["POST"]),
            Route("/jobs/{job_id}/check", self.check_in_vtex, methods=["POST"]),
            Route("/jobs/{job_id}/events", self.events, methods=["GET"]),
            Route("/jobs/{job_id}/results.csv", self.results_csv, methods=["GET"]),
            Route("/jobs/{job_id}/results.xlsx", self.results_xlsx, methods=["GET"]),
            Route("/jobs/{job_id}/to-fix/{number:int}", self.to_fix, methods=["GET"]),
            Route("/jobs/{job_id}/summary.json", self.summary, methods=["GET"]),
            Route("/jobs/{job_id}/verified.csv", self.verified_csv, methods=["GET"]),
            Route("/settings", self.settings_page, methods=["GET"]),
            Route("/settings/accounts", self.add_account, methods=["POST"]),
            Route("/settings/accounts/{account_id}", self.account_page, methods=["GET"]),
            Route("/settings/accounts/{account_id}", self.edit_account, methods=["POST"]),
            Route("/settings/accounts/{account_id}/remove", self.remove_account, methods=["POST"]),
            Route("/settings/accounts/{account_id}/check", self.check_account, methods=["POST"]),
            Mount("/static", StaticFiles(packages=[("batch_uploader.web", "static")])),
        ]

    # The language of a request: chosen with ?lang= (and kept in a cookie), else the
    # browser's.
    def language(self, request: Request) -> Language:
        chosen = request.query_params.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
        return self.languages[negotiate(request.headers.get("accept-language"), chosen)]

    def render(
        self, request: Request, name: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        language = self.language(request)
        # The language links lead to the page shown, never to where a form was posted.
        job = context.get("job")
        path = context.pop("path", None) or (f"/jobs/{job.id}" if isinstance(job, PageJob) else "/")
        html = self.fragment(language, name, path=path, **context)
        response = HTMLResponse(html, status_code=status)
        chosen = request.query_params.get("lang")
        if chosen:
            response.set_cookie(
                LANGUAGE_COOKIE, language.tag, httponly=True, samesite="strict", path="/"
            )
        return response

    def fragment(self, language: Language, name: str, **context: Any) -> str:
        """The template ``name`` in ``language``."""
        template = language.templates.get_template(name)
        job = context.get("job")
        # A job's files (uploaded, or written for it) are named as the person knows them,
        # not by where the page keeps them.
        folders = (
            [f"{job.folder / name}{os.sep}" for name in ("files", "sent")]
            if isinstance(job, PageJob)
            else []
        )

        # The remedies of a job sent to an account of the Settings page point at it there.
        account = isinstance(job, PageJob) and job.target is not None and job.target.in_settings

        def here(text: str) -> str:
            for folder in folders:
                text = text.replace(folder, "")
            return text

        return template.render(
            lang=language,
            languages=[(LANGUAGE_NAMES[code], code.replace("_", "-")) for code in LANGUAGES],
            sandbox=self.jobs.settings.sandbox,
            has_settings=self.jobs.targets.file is not None,
            here=here,
            row_message=lambda message: here(
                wording.row_message(message, language, account=account)
            ),
            run_message=lambda message: here(
                wording.run_message(message, language, account=account)
            ),
            error_message=lambda error: here(
                wording.error_message(error, language, account=account)
            ),
            account_message=lambda message: wording.run_message(message, language, account=True),
            Status=Status,
            Verdict=Verdict,
            **context,
        )

    async def upload_page(self, request: Request) -> Response:
        return self.render(request, "upload.html", **self._upload_context())

    async def favicon(self, request: Request) -> Response:
        return Response(status_code=204)

    async def create(self, request: Request) -> Response:
        context = self._upload_context()
        try:
            async with request.form(max_files=MAX_FILES, max_fields=20) as form:
                kind = str(form.get("kind") or "tracking")
                uploads = [
                    item
                    for item in form.getlist("files")
                    if isinstance(item, UploadFile) and item.filename
                ]
                if not uploads:
                    return self.render(request, "upload.html", status=400, missing=True, **context)
                targets = self.jobs.targets
                # Without a choice (a form of an older page), the account the page was
                # started for, as before there were others; in sandbox mode, the sandbox.
                key = form.get("account")
                if self.jobs.settings.sandbox or not isinstance(key, str) or not key:
                    target = targets.started
                else:
                    target = targets.target(key)
                    if target is None:  # removed from Settings since the form was shown
                        return self.render(request, "upload.html", status=400, gone=True, **context)

                async def files() -> AsyncIterator[tuple[str, AsyncIterator[bytes]]]:
                    for upload in uploads:
                        yield str(upload.filename), _chunks(upload)

                job = await self.jobs.create(kind, files(), target)
        except HTTPException as refused:
            # Starlette's word for more files or fields than a form of this page sends.
            if refused.status_code != 400:
                raise
            return self.render(request, "upload.html", status=400, too_many=MAX_FILES, **context)
        await self.jobs.check(job)
        return RedirectResponse(f"/jobs/{job.id}", status_code=303)

    async def not_found(self, request: Request, error: Exception) -> Response:
        """An address the page does not have, or asked the wrong way: a page saying so, in
        the person's language, rather than the server's bare words."""
        status = error.status_code if isinstance(error, HTTPException) else 404
        return self.render(request, "missing.html", status=status)

    async def job_page(self, request: Request) -> Response:
        job = self._job(request)
        if job is None:
            return self.render(request, "missing.html", status=404)
        return self.render(request, "job.html", **self._job_context(job))

    async def send(self, request: Request) -> Response:
        job = self._job(request)
        if job is None:
            return self.render(request, "missing.html", status=404)
        if not job.can_send:  # no Send button was offered: the page says why
            return RedirectResponse(f"/jobs/{job.id}", status_code=303)
        try:
            self.jobs.send(job)
        except Busy as busy:
            return self.render(
                request, "job.html", status=409, busy=busy.holder, **self._job_context(job)
            )
        return RedirectResponse(f"/jobs/{job.id}", status_code=303)

    async def stop(self, request: Request) -> Response:
        job = self._job(request)
        if job is None:
            return self.render(request, "missing.html", status=404)
        self.jobs.stop(job)
        return RedirectResponse(f"/jobs/{job.id}", status_code=303)

    async def check_in_vtex(self, request: Request) -> Response:
        """Reads back the orders a job sent; asked again (running, or done), it starts
        nothing: the job's page shows where the first stands."""
        job = self._job(request)
        if job is None:
            return self.render(request, "missing.html", status=404)
        self.jobs.check_in_vtex(job)
        return RedirectResponse(f"/jobs/{job.id}", status_code=303)

    async def events(self, request: Request) -> Response:
        job = self._job(request)
        if job is None or job.sending is None:
            return self.render(request, "missing.html", status=404)
        language = self.language(request)
        snapshot = job.sending.snapshot
        context = self._job_context(job)

        def progress() -> str:
            return self.fragment(language, "_progress.html", **context)

        def finished() -> str:
            return self.fragment(language, "_results.html", **context)

        return StreamingResponse(
            progress_events(snapshot, progress, finished, self.closing),
            media_type="text/event-stream",
            headers={"x-accel-buffering": "no"},
        )

    async def results_csv(self, request: Request) -> Response:
        return self._download(request, lambda snapshot: snapshot.report.results_path)

    async def results_xlsx(self, request: Request) -> Response:
        def workbook(snapshot: Snapshot) -> Path | None:
            results = snapshot.report.results_path
            return None if results is None else workbook_of(results)

        return self._download(request, workbook)

    async def to_fix(self, request: Request) -> Response:
        number = int(request.path_params["number"])

        def nth(snapshot: Snapshot) -> Path | None:
            paths = snapshot.report.to_fix
            return paths[number] if 0 <= number < len(paths) else None

        return self._download(request, nth)

    async def summary(self, request: Request) -> Response:
        return self._download(request, lambda snapshot: snapshot.report.summary_path)

    async def verified_csv(self, request: Request) -> Response:
        job = self._job(request)
        checking = None if job is None else job.checking
        report = None if checking is None or not checking.over else checking.report
        path = None if report is None else report.results_path
        if path is None or not path.is_file():
            return self.render(request, "missing.html", status=404)
        return FileResponse(path, filename=path.name, content_disposition_type="attachment")

    def _download(self, request: Request, which: Any) -> Response:
        job = self._job(request)
        if job is None or job.sending is None or not job.sending.snapshot.over:
            return self.render(request, "missing.html", status=404)
        path = which(job.sending.snapshot)
        if path is None or not Path(path).is_file():
            return self.render(request, "missing.html", status=404)
        return FileResponse(path, filename=Path(path).name, content_disposition_type="attachment")

    async def settings_page(self, request: Request) -> Response:
        return self._settings(request)

    async def add_account(self, request: Request) -> Response:
        targets = self.jobs.targets
        if targets.file is None:
            return self.render(request, "missing.html", status=404)
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
        found = self._accounts_or_none()
        account = _account(found, request)
        if found is None or account is None:
            return self.render(request, "missing.html", status=404)
        return self._account(request, account, values=account.values())

    async def edit_account(self, request: Request) -> Response:
        """Saves an account's new values; an empty token field keeps its token."""
        values = await _account_form(request)
        found = self._accounts_or_none()
        account = _account(found, request)
        if found is None or account is None:
            return self.render(request, "missing.html", status=404)
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
        found = self._accounts_or_none()
        account = _account(found, request)
        if found is None or account is None:
            return self.render(request, "missing.html", status=404)
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
        found = self._accounts_or_none()
        account = _account(found, request)
        if found is None or account is None:
            return self.render(request, "missing.html", status=404)
        verdicts = self.jobs.targets.verdicts
        try:
            verdicts[account.id] = await check_access(
                account.target, account.credentials, timeout=self.jobs.settings.sending.timeout
            )
        except Exception:
            _log.exception("a fault of batch-uploader checking the account %s", account.id)
            verdicts[account.id] = None
        return RedirectResponse(f"/settings#account-{account.id}", status_code=303)

    @property
    def _default_rate(self) -> float:
        return self.jobs.settings.sending.rate

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
            return self.render(request, "missing.html", status=404)
        error = None
        try:
            found = targets.accounts()
        except UsageError as refused:
            found, error = [], refused
        context.setdefault("values", {"rate": f"{self._default_rate:g}"})
        return self.render(
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
        return self.render(
            request,
            "account.html",
            status=status,
            path=f"/settings/accounts/{account.id}",
            account=account,
            **context,
        )

    def _upload_context(self) -> dict[str, Any]:
        choices, error = self.jobs.targets.choices()
        return {"choices": choices, "accounts_error": error}

    def _job(self, request: Request) -> PageJob | None:
        return self.jobs.get(str(request.path_params["job_id"]))

    def _job_context(self, job: PageJob) -> dict[str, Any]:
        check = job.check
        return {
            "job": job,
            "check": check,
            "refused": job.check_refused,
            "sending": job.sending,
            "checking": job.checking,
            "can_send": job.can_send,
        }


async def _account_form(request: Request) -> dict[str, str]:
    """The values of an account's form, as typed (a field not sent is empty)."""
    async with request.form(max_files=0, max_fields=20) as form:
        return {name: value for name in FIELDS if isinstance(value := form.get(name, ""), str)}


def _shown(values: dict[str, str]) -> dict[str, str]:
    """A form's values to fill it in again: never with the token typed."""
    return {**values, "app_token": ""}


def _account(found: list[Account] | None, request: Request) -> Account | None:
    wanted = str(request.path_params["account_id"])
    return next((account for account in found or [] if account.id == wanted), None)


async def _chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(_CHUNK):
        yield chunk
