"""Which text encoding a CSV file is in, and whether it really decodes with it.

Spreadsheet programs write UTF-8 (with or without a BOM), UTF-16 (Excel's "Unicode text") or
a legacy code page (Windows-1252 on most Brazilian and Latin-American machines). A BOM
settles it; a file that decodes as UTF-8 is UTF-8; anything else is left to
charset-normalizer, among the encodings spreadsheet programs use.
"""

from __future__ import annotations

import codecs
from pathlib import Path

import charset_normalizer

from .errors import InputError, UsageError

_SAMPLE_BYTES = 1024 * 1024
_CHUNK_BYTES = 1024 * 1024
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CANDIDATES = ["cp1252", "latin_1", "cp850", "mac_roman", "utf_16_le", "utf_16_be"]


def detect(path: Path) -> str:
    """The encoding of the text file at ``path``, checked to decode the whole file. Raises
    :class:`InputError` when a file that announces its encoding with a BOM does not decode."""
    with path.open("rb") as handle:
        sample = handle.read(_SAMPLE_BYTES)
    for bom, name in _BOMS:
        if sample.startswith(bom):
            check(path, name)
            return name
    if _decodes(path, "utf-8"):
        return "utf-8"
    best = charset_normalizer.from_bytes(sample, cp_isolation=_CANDIDATES).best()
    guesses = ([best.encoding] if best is not None else []) + ["cp1252"]
    # Latin-1 decodes any byte: the last resort, so that a file is never refused for its
    # encoding alone when none was named.
    return next((name for name in guesses if _decodes(path, name)), "latin_1")


def resolve(name: str) -> str:
    """The codec name for ``--encoding NAME``, or a usage error naming the mistake."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise UsageError(
            f"--encoding {name!r} is not an encoding; use utf-8, utf-16, cp1252 or latin-1"
        ) from None


def check(path: Path, encoding: str) -> None:
    """Raises :class:`InputError`, naming the line, when ``path`` does not decode."""
    decoder = codecs.getincrementaldecoder(encoding)()
    lines = 0
    with path.open("rb") as handle:
        while True:
            chunk = handle.read(_CHUNK_BYTES)
            try:
                lines += decoder.decode(chunk, final=not chunk).count("\n")
            except UnicodeDecodeError as error:
                if not chunk:
                    raise InputError(
                        f"{path}: the file ends in the middle of a character, so it is not "
                        f"{encoding} text; save it again as 'CSV UTF-8' and retry"
                    ) from None
                before = codecs.decode(chunk[: error.start], encoding, errors="replace")
                raise InputError(
                    f"{path}: line {lines + before.count(chr(10)) + 1} is not {encoding} text "
                    f"(byte 0x{chunk[error.start]:02x}); save the file as 'CSV UTF-8', or name "
                    "its encoding with --encoding"
                ) from None
            if not chunk:
                return


def _decodes(path: Path, encoding: str) -> bool:
    try:
        check(path, encoding)
    except InputError:
        return False
    return True
