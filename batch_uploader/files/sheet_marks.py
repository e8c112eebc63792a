"""What a workbook's sheets hold that python-calamine does not say, read from the file itself
for each format: the cells holding an error value (which it reads as empty cells) and the rows
hidden by a filter or by hand (of which it says nothing)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True, slots=True)
class SheetMarks:
    """``hidden_rows``: the 1-based numbers of the sheet's hidden rows that hold cells (a
    hidden blank row sends nothing). ``errors``: by 1-based row number, then 0-based column
    of the sheet (not of the table), the error's text as a spreadsheet shows it (``#N/A``)."""

    hidden_rows: frozenset[int] = frozenset()
    errors: Mapping[int, Mapping[int, str]] = field(default_factory=dict)


NO_MARKS = SheetMarks()

# The error codes Excel's binary formats (.xls, .xlsb) store, and the text a spreadsheet shows
# for each.
ERROR_TEXTS = {
    0x00: "#NULL!",
    0x07: "#DIV/0!",
    0x0F: "#VALUE!",
    0x17: "#REF!",
    0x1D: "#NAME?",
    0x24: "#NUM!",
    0x2A: "#N/A",
    0x2B: "#GETTING_DATA",
}

# Reads the marks of every sheet of a workbook, by sheet name, before python-calamine opens
# it (so a reader can also refuse a workbook that would not fit in memory); raises
# InputError naming the file when it cannot. One for each format whose marks are read.
MarksReader = Callable[[Path], Mapping[str, SheetMarks]]
