"""Which text encoding a CSV file is in, and whether it really decodes with it.

Spreadsheet programs write UTF-8 (with or without a BOM), UTF-16 (Excel's "Unicode text") or
a legacy code page (Windows-1252 on most Brazilian and Latin-American machines). A BOM
settles it; a file whose bytes are UTF-8 (the rule below) is UTF-8; a legacy code page is the
one whose letters read as Portuguese or Spanish; charset-normalizer decides what is left
(UTF-16 without a BOM), among the encodings spreadsheet programs use.

A UTF-8 file may hold a few bytes that are not UTF-8: a row pasted from a legacy export, a
cell typed in an old editor. Re-reading the whole file in a legacy code page for them would
garble every accent of every other row ("AÃ§Ã£o" for "Ação") and send them so. Such a file
is read as UTF-8, each bad sequence becoming U+FFFD, and the validator refuses the rows whose
values hold one (``undecodable-text``).

The rule that tells such a file from a legacy one counts, over the whole file, the bytes of
0x80 and above that belong to valid UTF-8 sequences and those that do not: a file is UTF-8
when it has no invalid byte (ASCII text included), or at least as many bytes in valid
sequences as in invalid ones. Text in a legacy code page almost never forms a valid sequence,
since its accented letters (0xC0 to 0xFF) are followed by letters or spaces, not by the
continuation bytes (0x80 to 0xBF) a sequence needs: a legacy file has many invalid bytes and
next to no valid ones, a damaged UTF-8 file the reverse. The exception, a capital followed by
a sign ("JOSÉ”"), makes a two-byte sequence beyond Latin-1, which is not counted. A legacy
file that also holds UTF-8 letters (rows pasted from a UTF-8 export) is refused: read either
way, some rows would be garbled.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import BinaryIO

import charset_normalizer

from .. import message_codes
from ..errors import InputError, UsageError
from ..messages import N_, RunMessage
from ..rules.hints import Hint

# Opens the file's bytes from their start, for one pass.
Opener = Callable[[], BinaryIO]

_SAMPLE_BYTES = 1024 * 1024
_CHUNK_BYTES = 1024 * 1024
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_CANDIDATES = ["cp1252", "latin_1", "cp850", "mac_roman", "utf_16_le", "utf_16_be"]
_HIGH_BYTES = bytes(range(0x80, 0x100))
# The single-byte code pages spreadsheet programs write, Windows first: it wins a tie.
_LEGACY = ("cp1252", "cp850", "mac_roman")
# What Portuguese and Spanish text holds beyond ASCII: the accented letters both write, and
# the signs and punctuation a spreadsheet or a word processor puts in.
_LETTERS = frozenset("áàâãçéêíóôõúüñÁÀÂÃÇÉÊÍÓÔÕÚÜÑ")
_SIGNS = frozenset("ºª°¿¡€£§·«»\xa0\u201c\u201d\u2018\u2019\u2013\u2014\u2026")
_WORDS_OF_ONE = frozenset("àé")  # Portuguese "à" and "é" stand alone
# Pairs that tell a capital of one code page from another's (cp850's Ã is Windows-1252's Ç).
_PAIRS = ("ão", "ÃO", "ões", "ÕES", "ção", "ÇÃO", "ãe", "ÃE")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_HIGH_RUN = re.compile(rb"[\x80-\xff]+")
# How much of a file, around its bytes beyond ASCII, its code page is decided on.
_EVIDENCE_BYTES = 64 * 1024
_EVIDENCE_CONTEXT = 24
# A two-byte UTF-8 sequence past Latin-1 (Latin Extended, IPA, Greek, Cyrillic...): what a
# Windows-1252 capital (À to ß) followed by a sign (0x80 to 0xBF) makes by chance.
_CHANCE_PAIR = re.compile(rb"[\xc4-\xdf][\x80-\xbf]")
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}")
_COUNTED = "batch-uploader-counted"


@dataclass(frozen=True, slots=True)
class Decoding:
    """How a file's bytes become text: the codec ``encoding`` and, for UTF-8, how many bytes
    are not UTF-8 (``bad_bytes``, each read as U+FFFD) and the line of the first one."""

    encoding: str
    bad_bytes: int = 0
    first_bad_line: int = 0
    # Other legacy code pages in which the file reads about as well: the guess is unsure.
    close: tuple[str, ...] = ()

    def __str__(self) -> str:
        return str(self.described())

    def described(self) -> RunMessage:
        """The encoding for a person: ``utf-8``, or what is wrong with the file too."""
        shown = self.encoding.removesuffix("-sig")
        if self.close:
            return RunMessage(
                message_codes.ENCODING_GUESSED,
                N_("{encoding} (a guess: if accented letters look wrong, {hint})"),
                {"encoding": shown, "choices": self.close, "hint": Hint.ENCODING_ONE_OF},
            )
        if not self.bad_bytes:
            return RunMessage(message_codes.ENCODING_FOUND, N_("{encoding}"), {"encoding": shown})
        if self.bad_bytes == 1:
            return RunMessage(
                message_codes.ENCODING_BAD_BYTES,
                N_(
                    "{encoding} (1 byte not UTF-8, on line {line}: a row holding one in a value to "
                    "send is refused)"
                ),
                {"encoding": shown, "line": self.first_bad_line},
            )
        return RunMessage(
            message_codes.ENCODING_BAD_BYTES,
            N_(
                "{encoding} ({count} bytes not UTF-8, the first on line {line}: a row holding one "
                "in a value to send is refused)"
            ),
            {"encoding": shown, "count": self.bad_bytes, "line": self.first_bad_line},
        )


def decoding(open_bytes: Opener, name: str, encoding: str | None = None) -> Decoding:
    """How to decode the file ``name``, whose bytes ``open_bytes`` gives: in ``encoding`` when
    given, else as detected, checked against the whole file. A UTF-8 file, named or found, may
    hold a few bytes that are not UTF-8 (see the rule above). Raises :class:`InputError`,
    naming the line, when the file does not decode in the encoding named or announced by a
    BOM."""
    codec = resolve(encoding) if encoding is not None else None
    with open_bytes() as handle:
        sample = handle.read(_SAMPLE_BYTES)
    if codec is None and sample.startswith(_UTF16_BOMS):
        codec = "utf-16"
    if (
        codec is None
        and (utf16 := _utf16_without_mark(sample))
        and not _count(open_bytes, utf16).invalid
    ):
        return Decoding(utf16)
    if codec is not None and codec not in ("utf-8", "utf-8-sig"):
        check(open_bytes, name, codec)
        return Decoding(codec)
    tally = _count(open_bytes, "utf-8")
    if sample.startswith(codecs.BOM_UTF8) or tally.is_utf8():
        # utf-8-sig: the same, and a BOM is never taken for a character.
        return Decoding("utf-8-sig", tally.invalid, tally.first_line)
    if codec is not None:
        raise tally.refusal(name)
    if tally.high > tally.invalid and (utf8 := _utf8_letters(open_bytes))[0]:
        # UTF-8 letters beside more bytes that are not UTF-8: read either way, some rows would
        # be sent garbled.
        raise InputError(
            RunMessage(
                message_codes.MIXED_ENCODINGS,
                _MIXED_LINES if utf8[1] != tally.first_line else _MIXED_LINE,
                {
                    "file": name,
                    "utf8_line": utf8[1],
                    "line": tally.first_line,
                    "byte": tally.first_byte,
                    "hint": Hint.ENCODING,
                },
            )
        )
    guess, close = _legacy(tally.evidence or sample)
    guesses = [guess] if guess else []
    best = charset_normalizer.from_bytes(sample, cp_isolation=_CANDIDATES).best()
    guesses += ([best.encoding] if best is not None else []) + ["cp1252"]
    guesses = list(dict.fromkeys(guesses))  # each decoding of the whole file tried once
    # Latin-1 decodes any byte: the last resort, so that a file is never refused for its
    # encoding alone when none was named.
    chosen = next((g for g in guesses if not _count(open_bytes, g).invalid), "latin_1")
    # Unsure when another code page read the file about as well, or none read like Portuguese
    # or Spanish at all: the dry run then says how to name the encoding.
    unsure = close if chosen == guess else tuple(c for c in _LEGACY if c != chosen)
    return Decoding(chosen, close=unsure)


# A file of two encodings, on two lines, or on one.
_MIXED_LINES = N_(
    "{file}: mixes two encodings: line {utf8_line} is UTF-8 text and line {line} is not (byte "
    "0x{byte:02x}), so some of its rows would be sent garbled; save the file again as 'CSV "
    "UTF-8', or {hint}"
)
_MIXED_LINE = N_(
    "{file}: mixes two encodings: line {utf8_line} holds UTF-8 text and bytes that are not "
    "(byte 0x{byte:02x}), so some of its rows would be sent garbled; save the file again as "
    "'CSV UTF-8', or {hint}"
)


def _utf16_without_mark(sample: bytes) -> str | None:
    """UTF-16 without its byte order mark, told by its zero bytes: text of Latin letters in
    it has one in every other place, odd for little-endian and even for big-endian."""
    if b"\x00" not in sample:
        return None
    half = len(sample) // 2
    if sample[1::2].count(0) > half * 0.9:
        return "utf_16_le"
    if sample[0::2].count(0) > half * 0.9:
        return "utf_16_be"
    return None


def _legacy(evidence: bytes) -> tuple[str | None, tuple[str, ...]]:
    """The single-byte code page in which ``evidence`` (stretches of the file around its bytes
    beyond ASCII) reads most like Portuguese or Spanish, Windows-1252 when tied; ``None`` when
    none reads like it, or when the file looks like UTF-16 (NUL bytes), which is left to
    charset-normalizer.

    The same bytes are letters in one code page and signs in another, so each reading is
    judged in context: an accented letter of these languages inside a word (``São``, not
    ``S„o``), a sign where signs go (a dash between spaces), capitals and small letters where
    words have them (``Loja\xa0Centro``, not ``LojaáCentro``). charset-normalizer judges by
    the shape of the bytes alone, and reads plain Windows-1252 Portuguese as Mac Roman. The
    other code pages that scored nearly as well are given too: the guess is then unsure."""
    if b"\x00" in evidence:
        return None, ()
    scores: dict[str, int] = {}
    for codec in _LEGACY:
        text = evidence.decode(codec, "replace")
        scores[codec] = sum(map(text.count, _PAIRS)) + sum(
            _plausibility(text, found.start()) for found in _NON_ASCII.finditer(text)
        )
    best = max(scores, key=lambda codec: scores[codec])  # the first, Windows-1252, when tied
    if scores[best] <= 0:
        return None, ()
    # Within a tenth, or two points: a few words that read either way.
    margin = max(2, scores[best] // 10)
    close = tuple(c for c in _LEGACY if c != best and scores[c] >= scores[best] - margin)
    return best, close


def _plausibility(text: str, at: int) -> int:
    """How much the character at ``at`` of ``text`` looks like Portuguese or Spanish."""
    character = text[at]
    if character in _SIGNS:
        return 1
    if character not in _LETTERS:
        return -1
    before = text[at - 1] if at else " "
    after = text[at + 1] if at + 1 < len(text) else " "
    if not before.isalpha() and not after.isalpha():
        return 2 if character in _WORDS_OF_ONE else -1
    if (character.islower() and after.isupper()) or (character.isupper() and before.islower()):
        return -1
    return 2


def _utf8_letters(open_bytes: Opener) -> tuple[int, int]:
    """How many valid UTF-8 sequences of the file read as letters or signs of Portuguese and
    Spanish, and the line of the first (two legacy bytes may form a valid sequence by chance,
    an accented capital and a quote, but it is then no such letter)."""
    count = first = lines = 0
    with open_bytes() as handle:
        while chunk := handle.read(_CHUNK_BYTES):
            for found in _UTF8_SEQUENCE.finditer(chunk):
                # A surrogate or overlong form matches the pattern but is no UTF-8 at all.
                if found.group().decode(errors="replace") in _LETTERS | _SIGNS:
                    count += 1
                    first = first or lines + chunk.count(b"\n", 0, found.start()) + 1
            lines += chunk.count(b"\n")
    return count, first


def resolve(name: str) -> str:
    """The codec name for an encoding a person named, or a usage error naming the mistake."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise UsageError(
            RunMessage(
                message_codes.UNKNOWN_ENCODING,
                N_("{hint} is not an encoding; use utf-8, utf-16, cp1252 or latin-1"),
                {"encoding": name, "hint": Hint.ENCODING_GIVEN},
            )
        ) from None


def check(open_bytes: Opener, name: str, encoding: str) -> None:
    """Raises :class:`InputError`, naming the line, when the file ``name`` does not decode."""
    tally = _count(open_bytes, encoding)
    if tally.invalid:
        raise tally.refusal(name)


@dataclass
class _Tally:
    """What decoding a file in ``encoding`` met: its bytes of 0x80 and above, those in
    sequences that are not text (``invalid``), and where the first of those stands."""

    encoding: str
    high: int = 0
    invalid: int = 0
    lines: int = 0  # line breaks before the chunk being decoded
    ending: bool = False  # the last call, when bytes left over are a character cut short
    first_line: int = 0
    first_byte: int = 0
    cut: bool = False
    evidence: bytes = b""  # stretches around the bytes beyond ASCII, from the whole file
    chance: int = 0  # bytes of two-byte sequences beyond Latin-1, such as chance pairs form

    def is_utf8(self) -> bool:
        # With an invalid byte, at least as many in valid sequences, not counting the pairs a
        # legacy capital and a sign form by chance (É and ” make a valid "ɔ").
        return not self.invalid or self.high - self.invalid - self.chance >= self.invalid

    def replace(self, error: UnicodeDecodeError) -> tuple[str, int]:
        if not self.invalid:
            before = codecs.decode(error.object[: error.start], self.encoding, "replace")
            self.first_line = self.lines + before.count("\n") + 1
            self.first_byte = error.object[error.start]
            self.cut = self.ending
        self.invalid += error.end - error.start
        return "\ufffd", error.end

    def refusal(self, name: str) -> InputError:
        if self.cut:
            return InputError(
                RunMessage(
                    message_codes.CHARACTER_CUT,
                    N_(
                        "{file}: the file ends in the middle of a character, so it is not "
                        "{encoding} text; save it again as 'CSV UTF-8' and retry"
                    ),
                    {"file": name, "encoding": self.encoding},
                )
            )
        return InputError(
            RunMessage(
                message_codes.NOT_IN_ENCODING,
                N_(
                    "{file}: line {line} is not {encoding} text (byte 0x{byte:02x}); save the file "
                    "as 'CSV UTF-8', or {hint}"
                ),
                {
                    "file": name,
                    "line": self.first_line,
                    "encoding": self.encoding,
                    "byte": self.first_byte,
                    "hint": Hint.ENCODING,
                },
            )
        )


_TALLY: ContextVar[_Tally] = ContextVar("_TALLY")


def _replace_counted(error: UnicodeError) -> tuple[str, int]:
    # An error handler is found by name: the tally of the decoding under way is in _TALLY.
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return _TALLY.get().replace(error)


codecs.register_error(_COUNTED, _replace_counted)


def _around_high_bytes(chunk: bytes) -> bytes:
    """The stretches of ``chunk`` around its bytes beyond ASCII, a line apart, up to
    ``_EVIDENCE_BYTES``: what a code page is told by, wherever in a file it stands."""
    stretches = []
    size = 0
    for found in _HIGH_RUN.finditer(chunk):
        start, end = max(0, found.start() - _EVIDENCE_CONTEXT), found.end() + _EVIDENCE_CONTEXT
        stretches.append(chunk[start:end])
        size += end - start + 1
        if size >= _EVIDENCE_BYTES:
            break
    return b"\n".join(stretches) + b"\n"


def _count(open_bytes: Opener, encoding: str) -> _Tally:
    """Decodes the whole file in ``encoding``, counting what is not text in it."""
    tally = _Tally(encoding)
    token = _TALLY.set(tally)
    try:
        decoder = codecs.getincrementaldecoder(encoding)(errors=_COUNTED)
        with open_bytes() as handle:
            while chunk := handle.read(_CHUNK_BYTES):
                high = len(chunk) - len(chunk.translate(None, _HIGH_BYTES))
                if high and len(tally.evidence) < _EVIDENCE_BYTES:
                    tally.evidence += _around_high_bytes(chunk)
                if high:
                    tally.chance += 2 * len(_CHANCE_PAIR.findall(chunk))
                tally.high += high
                try:
                    tally.lines += decoder.decode(chunk).count("\n")
                except UnicodeError:
                    # Not a byte that fails but the stream: UTF-16 named for a file without
                    # its byte order mark. Nothing of it is text in that encoding.
                    tally.invalid, tally.first_line, tally.first_byte = len(chunk), 1, chunk[0]
                    return tally
        tally.ending = True
        decoder.decode(b"", final=True)
    finally:
        _TALLY.reset(token)
    return tally
