"""The names of the files batch-uploader writes, when the user does not give one.

Only names: the clock is read, and a free name claimed (see :func:`writer.claim`), by the
callers. Scripts and people find the outputs by these names, so they are part of the contract.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

# The journal of sent rows, in the output folder (the inbox keeps its own in its state folder).
JOURNAL_NAME = "journal.sqlite3"
# What follows a results file's stem in the name of the summary beside it.
SUMMARY_SUFFIX = ".summary.json"
# The formats a results file is written in, by extension.
RESULTS_FORMATS = ("csv", "xlsx")
# The files named after a results file's stem: its summary, and the results of the other
# format, which would share that summary.
RESULTS_FAMILY = (*(f".{extension}" for extension in RESULTS_FORMATS), SUMMARY_SUFFIX)


def stamp(moment: dt.datetime) -> str:
    """``20261124T220509Z``: ``moment`` in UTC, as file names carry it."""
    return moment.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def results_name(label: str, now: dt.datetime, extension: str) -> str:
    """``<label>-results-<UTC timestamp>.<extension>``, the name of a default results file."""
    return f"{label}-results-{stamp(now)}.{extension}"


def default_results_path(
    inputs: list[Path], output_dir: Path, now: dt.datetime, extension: str = "csv"
) -> Path:
    """``output/<input-stem>-results-<UTC timestamp>.csv``; ``batch`` names a run of several
    files. The name may be taken: :func:`writer.new_results_file` reserves a free one."""
    stem = inputs[0].stem if len(inputs) == 1 else "batch"
    return output_dir / results_name(stem, now, extension)


def inbox_results_name(dropped: Path, now: dt.datetime, extension: str) -> str:
    """The results of a file ``dropped`` in the inbox: ``carrier-csv-results-<UTC>.csv``, the
    input's extension in the label, so that carrier.csv and carrier.xlsx are told apart."""
    return results_name(f"{dropped.stem}-{dropped.suffix.lstrip('.')}", now, extension)


def summary_path(results: Path) -> Path:
    """The ``summary.json`` beside ``results``: ``r.csv`` has ``r.summary.json``."""
    return results.with_name(results.stem + SUMMARY_SUFFIX)


def verified_path(results: Path) -> Path:
    """Where ``batch-uploader verify`` writes the lines it read back: ``r-verified.csv``
    beside ``r.csv``."""
    return results.with_name(f"{results.stem}-verified.csv")


def rows_to_fix_name(file: str, sheet: str | None, run_stamp: str, workbook: bool) -> str:
    """``<input stem>[-<sheet>]-to-fix-<run stamp>.csv`` (``.xlsx`` for a workbook's rows)."""
    name = Path(file).stem + (f"-{sheet}" if sheet else "")
    return f"{name}-to-fix-{run_stamp}.{'xlsx' if workbook else 'csv'}"
