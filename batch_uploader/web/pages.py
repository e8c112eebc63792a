"""The page's routes: the upload form, a job's page (what was understood, its progress, its
results), its event stream, and its downloads; until a job is sent, the forms that change how
its files are read (see :mod:`.mapping`). Every page works as plain HTML forms and links; htmx
only streams the progress in."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import os
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import anyio.to_thread
from babel.dates import format_date, format_datetime, format_timedelta
from babel.numbers import format_decimal
from starlette.datastructures import FormData, UploadFile
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
from . import mapping, wording
from .history import STATE_NAMES, History, moment
from .i18n import LANGUAGE_COOKIE, LANGUAGES, Language, negotiate
from .jobs import Busy, Jobs, PageJob, Sending
from .mapping import Refusal, TableForm, chosen, typed
from .snapshot import Snapshot
from .stream import progress_events
from .watch import workbook_of

# The files one upload may hold (a form with more is refused before any is read).
MAX_FILES = 100
# The fields a form changing how a job is read may post: a value for each refused cell shown.
MAX_FIELDS = 1000
# Why a job's reading is not changed: it was sent, or a saved mapping's file is refused.
SENT_ALREADY = wording.W_("This job was sent already: how its files are read cannot be changed.")
UNSAVED = wording.W_("The mapping is used for this job, but it could not be saved (%(reason)s).")
UNFORGOTTEN = wording.W_("The saved mapping could not be forgotten (%(reason)s).")
NO_TABLE = wording.W_("The page no longer shows that table: look at what was understood again.")

# Languages as the links name them, each in its own words.
LANGUAGE_NAMES = {"pt_BR": "Português", "es": "Español", "en": "English"}
_CHUNK = 64 * 1024
_log = logging.getLogger(__name__)


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
        return {400: self.bad_form, 404: self.not_found, 405: self.not_found}

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/", self.upload_page, methods=["GET"]),
            Route("/favicon.ico", self.favicon, methods=["GET"]),
            Route("/jobs", self.create, methods=["POST"]),
            Route("/jobs/{job_id}", self.job_page, methods=["GET"]),
            Route("/jobs/{job_id}/send", self.send, methods=["POST"]),
            Route("/jobs/{job_id}/stop", self.stop, methods=["POST"]),
            Route("/jobs/{job_id}/check", self.check_in_vtex, methods=["POST"]),
            Route("/jobs/{job_id}/reading", self.read_again, methods=["POST"]),
            Route("/jobs/{job_id}/corrections", self.correct, methods=["POST"]),
            Route("/jobs/{job_id}/forget", self.forget, methods=["POST"]),
            Route("/jobs/{job_id}/events", self.events, methods=["GET"]),
            Route("/jobs/{job_id}/results.csv", self.results_csv, methods=["GET"]),
            Route("/jobs/{job_id}/results.xlsx", self.results_xlsx, methods=["GET"]),
            Route("/jobs/{job_id}/to-fix/{number}", self.to_fix, methods=["GET"]),
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
        # The language links lead to the page shown (its address and query, as a reload
        # shows it again), never to where a form was posted.
        job = context.get("job")
        path = context.pop("path", None) or (f"/jobs/{job.id}" if isinstance(job, PageJob) else "/")
        if request.method == "GET":
            kept = [(name, value) for name, value in request.query_params.multi_items()
                    if name != "lang"]  # fmt: skip
            path = request.url.path + (f"?{urlencode(kept)}" if kept else "")
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
        here = functools.partial(self._files_named.sub, "")
        job = context.get("job")
        # The remedies of a job sent to an account of the Settings page point at it there.
        account = isinstance(job, PageJob) and job.target is not None and job.target.in_settings
        sending = context.get("sending")

        def stop_reason(text: str) -> str:
            """Why the job stopped, in English: worded as its rows say it, else translated."""
            said = sending.decided.saying(text) if isinstance(sending, Sending) else None
            if said is None:
                return language.gettext(text)
            return here(wording.row_message(said, language, account=account))

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
            stop_reason=stop_reason,
            account_message=lambda message: wording.run_message(message, language, account=True),
            when=lambda value: _when(value, language),
            duration=lambda seconds: format_timedelta(
                dt.timedelta(seconds=max(seconds, 1)), threshold=1.5, locale=language.code
            ),
            decimal=lambda number, pattern: format_decimal(number, pattern, locale=language.code),
            basename=lambda path: Path(path).name,
            state_name=lambda state: language.gettext(STATE_NAMES.get(state) or state),
            said=lambda line: here(_said(line, language)),
            day=lambda date: format_date(date, "long", locale=language.code),
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
        return self.render(
            request, "upload.html", inboxes=inboxes, latest=latest, **self._upload_context()
        )

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

    async def bad_form(self, request: Request, error: Exception) -> Response:
        """A form no page of this one sends (more fields than it has, a broken body): a page
        saying so, rather than the server's bare words."""
        return self.render(request, "bad_form.html", status=400)

    async def job_page(self, request: Request) -> Response:
        job = self._job(request)
        if job is None:
            return self.render(request, "missing.html", status=404)
        shown = request.query_params.get("status")
        status_filter = next((status for status in Status if status.value == shown), None)
        forgotten = "forgotten" in request.query_params
        return self.render(
            request,
            "job.html",
            **self._job_context(job),
            status_filter=status_filter,
            forgotten=forgotten,
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
                request,
                "job.html",
                status=409,
                busy=busy.holder,
                busy_journal=busy.journal,
                **self._job_context(job),
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

    async def read_again(self, request: Request) -> Response:
        """Reads a table of the job with the columns and date order posted, and checks the
        job again; with ``remember``, saves them for the files with the table's headings."""
        job = self._job(request)
        if job is None:
            return self.render(request, "missing.html", status=404)
        async with request.form(max_files=0, max_fields=MAX_FIELDS) as form:
            posted = _texts(form)
        if not job.can_change:
            return self._refused(request, job, Refusal(SENT_ALREADY), status=409)
        table = _table(job, posted.get("table", ""))
        if table is None:
            return self._refused(request, job, Refusal(NO_TABLE))
        reading = chosen(table, posted)
        if isinstance(reading, Refusal):
            return self._refused(request, job, reading)
        unsaved: str | None = None
        try:
            self.jobs.choose(job, table, reading, remember=posted.get("remember") == "on")
        except OSError as error:
            unsaved = error.strerror or str(error)
        await self.jobs.check(job)
        if unsaved is not None:
            return self._refused(request, job, Refusal(UNSAVED, {"reason": unsaved}), status=200)
        return RedirectResponse(f"/jobs/{job.id}", status_code=303)

    async def correct(self, request: Request) -> Response:
        """Reads the refused cells posted (``cell:<table>:<row>:<field>``) with the values
        typed, and checks the job again."""
        job = self._job(request)
        if job is None:
            return self.render(request, "missing.html", status=404)
        async with request.form(max_files=0, max_fields=MAX_FIELDS) as form:
            posted = [(name, value) for name, value in form.multi_items() if isinstance(value, str)]
        if not job.can_change:
            return self._refused(request, job, Refusal(SENT_ALREADY), status=409)
        shown = _cells_shown(job)
        found: dict[int, dict[int, dict[str, str]]] = {}
        for name, value in posted:
            if not name.startswith("cell:"):
                continue
            cell = _cell(name)
            if cell is None or cell not in shown:
                number, field = (cell[1], cell[2]) if cell else ("?", "?")
                return self._refused(
                    request, job, Refusal(mapping.NOT_REFUSED, {"row": number, "field": field})
                )
            checked = typed(value.strip(), cell[1], cell[2])
            if isinstance(checked, Refusal):
                return self._refused(request, job, checked)
            if checked != shown[cell]:
                found.setdefault(cell[0], {}).setdefault(cell[1], {})[cell[2]] = checked
        for index, corrections in found.items():
            self.jobs.correct(job, job.tables[index].source, corrections)
        if found:
            await self.jobs.check(job)
        return RedirectResponse(f"/jobs/{job.id}", status_code=303)

    async def forget(self, request: Request) -> Response:
        """Forgets the mapping saved for the headings of a table of the job."""
        job = self._job(request)
        if job is None:
            return self.render(request, "missing.html", status=404)
        async with request.form(max_files=0, max_fields=MAX_FIELDS) as form:
            posted = _texts(form)
        table = _table(job, posted.get("table", ""))
        if table is None:
            return self._refused(request, job, Refusal(NO_TABLE))
        try:
            self.jobs.forget(job, table)
        except OSError as error:
            reason = error.strerror or str(error)
            return self._refused(request, job, Refusal(UNFORGOTTEN, {"reason": reason}), status=500)
        return RedirectResponse(
            f"/jobs/{job.id}?forgotten={job.tables.index(table)}", status_code=303
        )

    def _refused(
        self, request: Request, job: PageJob, refusal: Refusal, status: int = 400
    ) -> Response:
        """The job's page saying, at its top, why what was posted changed nothing."""
        context = self._job_context(job)
        return self.render(request, "job.html", status=status, refusal=refusal, **context)

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
        number = number_of(str(request.path_params["number"]))
        if number is None:
            return self.render(request, "missing.html", status=404)

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

    def _upload_context(self) -> dict[str, Any]:
        choices, error = self.jobs.targets.choices()
        return {"choices": choices, "accounts_error": error}

    def _job(self, request: Request) -> PageJob | None:
        return self.jobs.get(str(request.path_params["job_id"]))

    def _job_context(self, job: PageJob) -> dict[str, Any]:
        check = job.check
        # The forms of the tables shown, in their order (none when the check read no table).
        forms = job.tables if len(job.tables) == len(check.tables) else []
        return {
            "job": job,
            "check": check,
            "refused": job.check_refused,
            "sending": job.sending,
            "checking": job.checking,
            "can_send": job.can_send,
            "forms": forms,
            "cells": _cell_names(job) if job.can_change and forms else [],
            "corrected": _corrected(job),
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


def _texts(form: FormData) -> dict[str, str]:
    """The text fields of ``form``, the first of each name."""
    found: dict[str, str] = {}
    for name, value in form.multi_items():
        if isinstance(value, str):
            found.setdefault(name, value)
    return found


def number_of(posted: str) -> int | None:
    """``posted`` as a number the page writes (ASCII digits, a few of them), else ``None``:
    ``"²"`` is a digit int() cannot read, and thousands of digits are more than it reads."""
    return int(posted) if posted.isascii() and posted.isdigit() and len(posted) < 20 else None


def _table(job: PageJob, posted: str) -> TableForm | None:
    """The table of ``job`` whose index is ``posted``, if it has one."""
    index = number_of(posted)
    return job.tables[index] if index is not None and index < len(job.tables) else None


# A refused cell, as its input names it: the table's index, the row's number, the field.
Cell = tuple[int, int, str]


def _cell(name: str) -> Cell | None:
    """The cell an input named ``cell:<table>:<row>:<field>`` is for."""
    parts = name.split(":")
    if len(parts) != 4:
        return None
    table, row = number_of(parts[1]), number_of(parts[2])
    return None if table is None or row is None else (table, row, parts[3])


def _cells_shown(job: PageJob) -> dict[Cell, str]:
    """The refused cells the job's page offers to correct, each with the value it shows."""
    refused = job.check_refused
    if refused is None:
        return {}
    tables = {str(table.source): index for index, table in enumerate(job.tables)}
    shown: dict[Cell, str] = {}
    for item in refused.shown:
        index = tables.get(item.source)
        name = item.message.field
        # A problem of the whole row, or of a field its table has no column for, has no cell.
        if index is not None and name and job.tables[index].column_of(name) is not None:
            shown.setdefault((index, item.row, name), item.value)
    return shown


def _cell_names(job: PageJob) -> list[str | None]:
    """For each refusal the page lists, the name of the input of its cell: ``None`` when it
    has none, or when an earlier refusal of the same cell has it."""
    shown = _cells_shown(job)
    tables = {str(table.source): index for index, table in enumerate(job.tables)}
    names: list[str | None] = []
    seen: set[Cell] = set()
    for item in job.check_refused.shown if job.check_refused else []:
        index = tables.get(item.source)
        cell = (index, item.row, item.message.field) if index is not None else None
        if cell is None or cell not in shown or cell in seen:
            names.append(None)
            continue
        seen.add(cell)
        names.append(f"cell:{cell[0]}:{cell[1]}:{cell[2]}")
    return names


def _corrected(job: PageJob) -> list[tuple[str, int, str, str]]:
    """The cells typed on the job's page: each one's table, row, column and value."""
    labels = {table.source: table for table in job.tables}
    found = []
    for source, choice in job.choices.items():
        table = labels.get(source)
        for number, values in sorted(choice.corrections.items()):
            for name, value in values.items():
                label = table.label(name) if table is not None else name
                found.append((str(source), number, label, value))
    return found


async def _chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(_CHUNK):
        yield chunk
