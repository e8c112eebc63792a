"""The page's languages: Brazilian Portuguese, Spanish and English, each a Babel catalogue
(``locale/<language>/LC_MESSAGES/messages.po``) compiled in memory when the app starts, and a
Jinja2 environment of its own with that catalogue installed.

The msgids are English: the page's own strings, the row messages' templates and the page's
words for each remedy (see :mod:`.wording`).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from babel.core import LOCALE_ALIASES, Locale
from babel.messages import mofile, pofile
from babel.support import Translations
from jinja2 import Environment, PackageLoader, select_autoescape

LOCALE_DIR = Path(__file__).parent / "locale"
# The page's languages, the one shown when the browser asks for none of them last.
LANGUAGES = ("pt_BR", "es", "en")
DEFAULT = "en"
# A plain "pt" is Brazil's here: the warehouses this page serves are there.
_ALIASES = {**LOCALE_ALIASES, "pt": "pt_BR"}
# The cookie that keeps a language chosen on the page.
LANGUAGE_COOKIE = "batch_uploader_language"


@dataclass(frozen=True, slots=True)
class Language:
    """One of the page's languages: its code (``pt_BR``), its tag for ``<html lang>``
    (``pt-BR``), its catalogue and its templates."""

    code: str
    translations: Translations
    templates: Environment

    @property
    def tag(self) -> str:
        return self.code.replace("_", "-")

    def gettext(self, text: str) -> str:
        return self.translations.gettext(text)


def load_catalogue(code: str, root: Path = LOCALE_DIR) -> Translations:
    """The catalogue of ``code``, compiled from its .po file (fuzzy entries left out)."""
    with (root / code / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalog = pofile.read_po(source, locale=code)
    compiled = io.BytesIO()
    mofile.write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(fp=compiled, domain="messages")


def languages(finalize: Callable[[object], object]) -> dict[str, Language]:
    """Every language of the page, its templates passing each value shown through
    ``finalize`` (which takes the secrets out)."""
    found = {}
    for code in LANGUAGES:
        translations = load_catalogue(code)
        env = Environment(
            loader=PackageLoader("batch_uploader.web"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            extensions=["jinja2.ext.i18n"],
            finalize=finalize,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
        found[code] = Language(code, translations, env)
    return found


def negotiate(accept_language: str | None, chosen: str | None = None) -> str:
    """The page's language for a request: the one chosen on the page (``pt-BR``), else the
    best of the browser's ``Accept-Language``, else English."""
    if chosen:
        code = chosen.replace("-", "_")
        for known in LANGUAGES:
            if known.lower() == code.lower():
                return known
    found = Locale.negotiate(_preferred(accept_language or ""), LANGUAGES, aliases=_ALIASES)
    return str(found) if found is not None else DEFAULT


def _preferred(header: str) -> list[str]:
    """The tags of an ``Accept-Language`` header, best first (q-values honoured, ``*`` and
    q=0 dropped), then their base languages."""
    weighted: list[tuple[float, str]] = []
    for part in header.split(","):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip()
        if not tag or tag == "*":
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality > 0:
            weighted.append((quality, tag.replace("-", "_")))
    tags = [tag for _, tag in sorted(weighted, key=lambda item: -item[0])]
    return tags + [tag.split("_")[0] for tag in tags]
