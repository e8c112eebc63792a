"""The history's routes: the earlier runs of the page and of each nightly inbox, one run's
rows by status, every row sent for an order, and the files a run wrote."""

from __future__ import annotations

from pathlib import Path

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import BaseRoute, Route

from ..errors import BatchUploaderError
from .history import ROWS_SHOWN, History, PastRun
from .pages import Pages, number_of

# The states a run's rows can be filtered by, as the journal names them.
STATES = ("sent", "skipped", "invalid", "failed", "pending", "in-flight")


class HistoryPages:
    """The history's routes, shown by ``pages``."""

    def __init__(self, pages: Pages, history: History) -> None:
        self.pages = pages
        self.history = history

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/history", self.runs, methods=["GET"]),
            Route("/history/{key}/{run_id}", self.run, methods=["GET"]),
            Route("/history/{key}/{run_id}/files/{number}", self.file, methods=["GET"]),
        ]

    async def runs(self, request: Request) -> Response:
        """The latest runs (of a file, with ``?file=``), each inbox's state, or every row sent
        for an order (``?order=``)."""
        order = request.query_params.get("order", "").strip()
        file_name = request.query_params.get("file", "").strip()
        history = self.history
        try:
            if order:
                lines = await anyio.to_thread.run_sync(history.order, order)
                return self.pages.render(
                    request, "history.html", order=order, lines=lines, shown=ROWS_SHOWN
                )
            runs = await anyio.to_thread.run_sync(lambda: history.runs(file_name=file_name))
            inboxes = [] if file_name else await anyio.to_thread.run_sync(history.inboxes)
        except BatchUploaderError as error:
            return self.pages.render(request, "history.html", status=500, error=error)
        return self.pages.render(
            request, "history.html", runs=runs, inboxes=inboxes, file_name=file_name
        )

    async def run(self, request: Request) -> Response:
        """One run: when, which files, how it ended, its outputs and its rows (``?state=``
        only those in a state)."""
        state = request.query_params.get("state")
        state = state if state in STATES else None
        try:
            run = await self._run(request)
            if run is None:
                return self.pages.render(request, "missing.html", status=404)
            lines = await anyio.to_thread.run_sync(self.history.rows, run, state)
            outputs = await anyio.to_thread.run_sync(run.outputs)
        except BatchUploaderError as error:
            return self.pages.render(request, "history.html", status=500, error=error)
        return self.pages.render(
            request,
            "past_run.html",
            run=run,
            lines=lines,
            outputs=outputs,
            state=state,
            states=STATES,
            shown=ROWS_SHOWN,
        )

    async def file(self, request: Request) -> Response:
        """One of the files a run wrote, as listed on its page."""
        number = number_of(str(request.path_params["number"]))
        try:
            run = await self._run(request)
            outputs = [] if run is None else await anyio.to_thread.run_sync(run.outputs)
        except BatchUploaderError:
            outputs = []
        if number is None or not 0 <= number < len(outputs):
            return self.pages.render(request, "missing.html", status=404)
        path: Path = outputs[number]
        return FileResponse(path, filename=path.name, content_disposition_type="attachment")

    async def _run(self, request: Request) -> PastRun | None:
        key, run_id = str(request.path_params["key"]), number_of(str(request.path_params["run_id"]))
        if run_id is None:
            return None
        return await anyio.to_thread.run_sync(self.history.run, key, run_id)
