"""The page's routes: the upload form, a job's page (what was understood, its progress, its
results), its event stream, and its downloads. Every page works as plain HTML forms and
links; htmx only streams the progress in."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import anyio.to_thread
from babel.dates import format_datetime, format_timedelta
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

from ..errors import BatchUploaderError
from ..jobs.journal import HistoryLine
from ..models import Status, Verdict
from . import wording
from .history import STATE_NAMES, History, moment
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


class Pages:
    """The routes, over the page's ``jobs`` and ``languages``; ``closing`` ends the streams."""

    def __init__(
        self,
        jobs: Jobs,
        languages: dict[str, Language],
        closing: asyncio.Event,
        history: History,
    ) -> None:
        self.jobs = jobs
        self.languages = languages
        self.closing = closing
        self.history = history
        # Where the page keeps each job's files (uploaded, or written for it): a file is named
        # as the person knows it, not by that folder.
        folder = re.escape(f"{jobs.settings.state_dir}{os.sep}")
        self._files_named = re.compile(
            rf"{folder}[0-9a-f]{{16}}{re.escape(os.sep)}(?:files|sent){re.escape(os.sep)}"
        )

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
        path = f"/jobs/{job.id}" if isinstance(job, PageJob) else "/"
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
        here = self._files_named.sub

        return template.render(
            lang=language,
            languages=[(LANGUAGE_NAMES[code], code.replace("_", "-")) for code in LANGUAGES],
            sandbox=self.jobs.settings.sandbox,
            here=lambda text: here("", text),
            row_message=lambda message: here("", wording.row_message(message, language)),
            run_message=lambda message: here("", wording.run_message(message, language)),
            error_message=lambda error: here("", wording.error_message(error, language)),
            when=lambda value: _when(value, language),
            duration=lambda seconds: format_timedelta(
                dt.timedelta(seconds=max(seconds, 1)), threshold=1.5, locale=language.code
            ),
            basename=lambda path: Path(path).name,
            state_name=lambda state: language.gettext(STATE_NAMES.get(state) or state),
            said=lambda line: here("", _said(line, language)),
            Status=Status,
            Verdict=Verdict,
            jobs_kept=self.jobs.kept,
            **context,
        )

    async def upload_page(self, request: Request) -> Response:
        """The first screen: the upload form, and how the latest runs went (each nightly
        inbox's, or else the latest run of the page's journal)."""
        history = self.history
        try:
            inboxes = await anyio.to_thread.run_sync(history.inboxes)
            latest = (
                [] if inboxes else await anyio.to_thread.run_sync(lambda: history.runs(limit=1))
            )
        except BatchUploaderError:
            # The history page says what is wrong with a journal; the form still works.
            inboxes, latest = [], []
        return self.render(request, "upload.html", inboxes=inboxes, latest=latest)

    async def favicon(self, request: Request) -> Response:
        return Response(status_code=204)

    async def create(self, request: Request) -> Response:
        try:
            async with request.form(max_files=MAX_FILES, max_fields=20) as form:
                kind = str(form.get("kind") or "tracking")
                uploads = [
                    item
                    for item in form.getlist("files")
                    if isinstance(item, UploadFile) and item.filename
                ]
                if not uploads:
                    return self.render(request, "upload.html", status=400, missing=True)

                async def files() -> AsyncIterator[tuple[str, AsyncIterator[bytes]]]:
                    for upload in uploads:
                        yield str(upload.filename), _chunks(upload)

                job = await self.jobs.create(kind, files())
        except HTTPException as refused:
            # Starlette's word for more files or fields than a form of this page sends.
            if refused.status_code != 400:
                raise
            return self.render(request, "upload.html", status=400, too_many=MAX_FILES)
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
        shown = request.query_params.get("status")
        status_filter = next((status for status in Status if status.value == shown), None)
        return self.render(
            request, "job.html", **self._job_context(job), status_filter=status_filter
        )

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


def _said(line: HistoryLine, language: Language) -> str:
    """Why a journal's row was not sent, in ``language`` when the journal kept its messages
    (else in English, as it kept the text)."""
    if line.messages:
        return "; ".join(wording.row_message(message, language) for message in line.messages)
    return line.error_message or line.error_code or ""


def _when(value: str | dt.datetime, language: Language) -> str:
    """A journal's time (or a moment) as this machine's clock shows it, in ``language``."""
    moment_ = moment(value) if isinstance(value, str) else value
    local = dt.datetime.now().astimezone().tzinfo
    return format_datetime(moment_, "short", tzinfo=local, locale=language.code)


async def _chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(_CHUNK):
        yield chunk
