"""The web page, a front end beside the command line: an ASGI app (:mod:`.app`) served on
loopback by ``batch-uploader web`` (:mod:`.server`), for a person who would rather drop a
carrier's file on a page than type a command.

Modules: :mod:`.app` (the app factory), :mod:`.settings` (what the page was started with),
:mod:`.guard` (who may ask what, and the headers of every answer), :mod:`.jobs` (the page's
jobs: their files, their check, their sending), :mod:`.snapshot` (where a job stands, for
every tab), :mod:`.watch` (what a page keeps of a job that the command line does not need),
:mod:`.pages` (the routes), :mod:`.stream` (a job's progress as server-sent events),
:mod:`.i18n` (languages and catalogues), :mod:`.wording` (every message worded for the page)
and :mod:`.server` (uvicorn on a socket bound first).
"""
