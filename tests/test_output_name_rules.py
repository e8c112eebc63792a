"""The default names of outputs are decided in batch_uploader.files.output_names alone."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import batch_uploader
from batch_uploader.files.output_names import (
    default_results_path,
    inbox_results_name,
    rows_to_fix_name,
    summary_path,
    verified_path,
)

PACKAGE = Path(batch_uploader.__file__).parent
NOON = dt.datetime(2026, 11, 24, 19, 5, 9, tzinfo=dt.timezone(dt.timedelta(hours=-3)))
# Pieces of names that only output_names may spell.
PIECES = ("-results-", ".summary.json", "-to-fix-", "-verified", "journal.sqlite3", "%Y%m%dT")


def test_each_default_name() -> None:
    assert default_results_path([Path("in/a.csv")], Path("out"), NOON) == Path(
        "out/a-results-20261124T220509Z.csv"
    )
    assert default_results_path([Path("a.csv"), Path("b.csv")], Path("o"), NOON, "xlsx") == Path(
        "o/batch-results-20261124T220509Z.xlsx"
    )
    assert inbox_results_name(Path("in/carrier.xlsx"), NOON, "csv") == (
        "carrier-xlsx-results-20261124T220509Z.csv"
    )
    assert summary_path(Path("o/r.csv")) == Path("o/r.summary.json")
    assert verified_path(Path("o/r.xlsx")) == Path("o/r-verified.csv")
    assert rows_to_fix_name("in/c.xls", "Plan1", "20261124T220509Z", True) == (
        "c-Plan1-to-fix-20261124T220509Z.xlsx"
    )
    assert rows_to_fix_name("c.csv", None, "X", False) == "c-to-fix-X.csv"


def test_no_other_module_spells_an_output_name() -> None:
    spelled = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "output_names.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        texts = [
            node.value
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
        ]
        # Help texts and docstrings name the files for people (with spaces): only code is held.
        spelled += [
            f"{path.name}: {text!r}"
            for text in texts
            if " " not in text and any(piece in text for piece in PIECES)
        ]
    assert spelled == []
