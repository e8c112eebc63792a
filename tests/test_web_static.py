"""The page's vendored scripts are the files their packages published (VENDORED.md)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parents[1] / "batch_uploader" / "web" / "static"
VENDORED = {
    "htmx.min.js": "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717",
    "sse.min.js": "98a46496de0c3605fbffdce9167ba427bdd9553184f83f149c261891a92c0136",
}


@pytest.mark.parametrize(("name", "digest"), VENDORED.items())
def test_a_vendored_file_is_the_one_recorded(name: str, digest: str) -> None:
    assert hashlib.sha256((STATIC / name).read_bytes()).hexdigest() == digest
    assert f"| `{name}` |" in (STATIC / "VENDORED.md").read_text()
    assert digest in (STATIC / "VENDORED.md").read_text()


@pytest.mark.parametrize("licence", ["htmx.LICENSE", "sse.LICENSE"])
def test_their_licences_are_kept(licence: str) -> None:
    assert (
        "Zero-Clause BSD" in (STATIC / licence).read_text()
        or "BSD Zero Clause" in (STATIC / licence).read_text()
    )
