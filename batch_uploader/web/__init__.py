"""The web page, a front end beside the command line: an ASGI app (:mod:`.app`) served on
loopback by ``batch-uploader web`` (:mod:`.server`), for a person who would rather drop a
carrier's file on a page than type a command.

Modules: :mod:`.app` (the app factory), :mod:`.guard` (who may ask what, and the headers of
every answer), :mod:`.jobs` (the jobs of the page, their files and how far they are),
:mod:`.watch` (what a page keeps of a job that the command line does not need),
:mod:`.pages` (the routes), :mod:`.stream` (a job's progress as server-sent events),
:mod:`.i18n` (languages and catalogues) and :mod:`.wording` (every message worded for the page).
"""
