"""The text a CSV cell means when it is written in a form that keeps a spreadsheet from
changing it: ``'0012345`` (an apostrophe first: the cell is text, as Excel users type it) and
``="0012345"`` (a formula giving the text, which Excel users and some exports write to keep
leading zeros). batch-uploader's own CSV files put an apostrophe before a cell that starts
with one, or that a spreadsheet would run as a formula (see
:func:`~batch_uploader.files.results.defused`), so whatever it writes reads back exactly.

Workbooks need none of this: a workbook keeps the apostrophe out of the cell's text, and
gives a formula's result.
"""

from __future__ import annotations

import re

# "=" and one double-quoted string, a quote inside doubled: Excel's formula for a text.
_TEXT_FORMULA = re.compile(r'="((?:[^"]|"")*)"')
# What a row (and so its stretch of the file) holds when one of its cells may be in such a
# form.
MARKS = ("'", '="')


def meant(cell: str) -> str:
    """``cell`` as its writer means it: without its first apostrophe, or the text of
    ``="..."``. Any other cell is given as it is (a formula is refused later, as such)."""
    first = cell[:1]
    if first == "'":
        return cell[1:]
    if first == "=" and (formula := _TEXT_FORMULA.fullmatch(cell)):
        return formula.group(1).replace('""', '"')
    return cell
