"""The codes batch-uploader writes about rows have one list, batch_uploader.rules.row_codes: the
README documents exactly those, and no other module spells a code out."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import batch_uploader
from batch_uploader.rules import row_codes

PACKAGE = Path(batch_uploader.__file__).parent
README = PACKAGE.parent / "README.md"


def _section(heading: str, end: str) -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(heading)
    return text[start : text.index(end, start)]


def _table_codes() -> set[str]:
    """The codes of the first column of the README's "Error codes" table."""
    section = _section("### Error codes", "Warnings do not stop a row")
    codes: set[str] = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            first = line.split("|")[1]
            codes.update(re.findall(r"`([^`]+)`", first))
    return codes


def test_the_readme_table_names_exactly_the_codes_batch_uploader_writes() -> None:
    vtex_own = {code for code in _table_codes() if code.startswith("OMS")}
    assert vtex_own == {"OMS007"}
    assert _table_codes() - vtex_own == row_codes.ERROR_CODES | {"http-NNN"}


def test_the_readme_names_exactly_the_warnings() -> None:
    section = _section("Warnings do not stop a row", "### The results file")
    assert set(re.findall(r"\(`([a-z-]+)`\)", section)) == row_codes.WARNING_CODES


def test_an_answer_without_a_code_of_its_own_is_named_by_its_status() -> None:
    assert row_codes.http_status(503) == "http-503"


def test_codes_are_distinct_and_named_after_themselves() -> None:
    named = {
        name: value
        for name, value in vars(row_codes).items()
        if name.isupper() and isinstance(value, str)
    }
    assert set(named.values()) == row_codes.ERROR_CODES | row_codes.WARNING_CODES
    assert len(set(named.values())) == len(named)
    for name, value in named.items():
        assert name == value.upper().replace("-", "_")


def _literal_codes(tree: ast.AST) -> list[str]:
    """The codes written out as literals: any string equal to a hyphenated code, a literal
    given as ``error_code=`` or ``code=``, a literal first argument of ``RowError`` or
    ``DateProblem``, and an f-string starting ``http-``."""
    codes = row_codes.ERROR_CODES | row_codes.WARNING_CODES
    found: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and node.value in codes and "-" in node.value:
            found.append(node.value)
        elif isinstance(node, ast.JoinedStr) and node.values:
            first = node.values[0]
            if isinstance(first, ast.Constant) and str(first.value).startswith("http-"):
                found.append(ast.unparse(node))
        elif isinstance(node, ast.Call):
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            given = [k.value for k in node.keywords if k.arg in ("error_code", "code")]
            if name in ("RowError", "DateProblem") and node.args:
                given.append(node.args[0])
            found.extend(
                str(value.value)
                for value in given
                if isinstance(value, ast.Constant) and isinstance(value.value, str)
            )
    return found


def test_no_module_but_row_codes_spells_a_code_out() -> None:
    spelled = {
        path.name: codes
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "row_codes.py"
        and (codes := _literal_codes(ast.parse(path.read_text(encoding="utf-8"))))
    }
    assert spelled == {}


def test_the_check_finds_a_code_spelled_out() -> None:
    sample = 'RowError("missing-value", "", "")\nDelivery(error_code="timeout")\nf"http-{s}"'
    assert set(_literal_codes(ast.parse(sample))) == {"missing-value", "timeout", "f'http-{s}'"}
