"""What batch-uploader says about a row, as a template with parameters, ready for translation.

A message is a fixed English *template*, ``str.format`` style with named placeholders, and its
*parameters*: the variable parts as a person is shown them (a value quoted, a column's name, a
date, a count). A front end translates the template (the msgid of its catalogues) and fills in
the parameters; the results file, the rows to fix, the journal and the console write the
English, filled in the same way.

Every template is a string literal passed to :func:`N_` where the message is made, so that an
extractor finds them all (Babel's knows ``N_`` without being told). A message that varies with
a count has a template for one and another for more, so a translator sees whole sentences.
``{hint}`` stands for the remedy that is an option of the run: its parameter is a
:class:`~batch_uploader.rules.hints.Hint`, worded by each front end (see hints). A parameter
may be a message itself (what VTEX answered, inside "gave up after 3 attempts"), translated
with the one around it, or a tuple of parameters, listed with commas.

Nothing is formatted until the text is asked for, and the English text is kept once made: a
message is cheap to make for every row, and to pickle.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeAlias

from .hints import COMMAND_LINE, Hint

# A parameter: text as shown, a number, a remedy, a message, or a list of them.
Param: TypeAlias = "str | int | Message | tuple[Param, ...]"
Params: TypeAlias = Mapping[str, Param]
# A front end's catalogue: the template in English to the template in its language, as
# gettext's ``gettext`` does (a template it does not know comes back as it is).
Translate: TypeAlias = Callable[[str], str]

# Shared by every message without parameters; never changed.
_NONE: dict[str, Param] = {}
# The template of a text said as it is (VTEX's own words): no catalogue holds it.
_AS_IS = "{text}"


def N_(template: str) -> str:
    """Marks ``template`` as a message template for the catalogues: it is returned as it is,
    and translated only when a front end shows the message."""
    return template


class Message:
    """A note for a person: ``template`` filled in with ``params``.

    Messages are equal when they say the same in English: a message made from its template
    and one written out in full are one message to a person reading the results. Immutable.
    """

    __slots__ = ("_english", "params", "template")

    template: str
    params: Params
    _english: str | None

    def __init__(self, template: str, params: Params | None = None) -> None:
        self.template = template
        self.params = params or _NONE
        self._english = None

    @staticmethod
    def as_is(text: str) -> Message:
        """``text`` said as it is, never translated: words from outside, VTEX's own."""
        return Message(_AS_IS, {"text": text})

    @property
    def hint(self) -> Hint | None:
        """The remedy this message (or one it holds) names, if any."""
        for value in self.params.values():
            if isinstance(value, Hint):
                return value
            if isinstance(value, Message) and (held := value.hint) is not None:
                return held
        return None

    def text(
        self, words: Mapping[Hint, str] = COMMAND_LINE, translate: Translate | None = None
    ) -> str:
        """The message, its template translated by ``translate`` (kept in English without
        one) and its remedy worded by ``words``."""
        if words is COMMAND_LINE and translate is None:
            english = self._english
            if english is None:
                english = self._english = _fill(self.template, self.params, words, None)
            return english
        template = self.template if translate is None else translate(self.template)
        return _fill(template, self.params, words, translate)

    def __str__(self) -> str:
        return self.text()

    def __repr__(self) -> str:
        return f"Message({self.template!r}, {dict(self.params)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Message):
            return NotImplemented
        return self.text() == other.text()

    def __hash__(self) -> int:
        return hash(self.text())

    def __reduce__(self) -> tuple[Any, ...]:
        # The template and parameters only: the English is made again when asked for.
        return (Message, (self.template, self.params or None))


def _fill(
    template: str,
    params: Params,
    words: Mapping[Hint, str] = COMMAND_LINE,
    translate: Translate | None = None,
) -> str:
    """``template`` filled in with ``params``: a remedy worded by ``words``, a message within
    translated by ``translate`` too."""
    if not params:
        return template.format_map(_NONE)
    return template.format_map(
        {name: _shown(value, words, translate) for name, value in params.items()}
    )


def _shown(value: Param, words: Mapping[Hint, str], translate: Translate | None) -> str | int:
    if isinstance(value, Hint):
        return words[value]
    if isinstance(value, Message):
        return value.text(words, translate)
    if isinstance(value, tuple):
        return ", ".join(str(_shown(item, words, translate)) for item in value)
    return value
