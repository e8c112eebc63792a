"""What batch-uploader says to a person, as a template with parameters, ready for translation:
a note about a row, why a row was refused, an error that stops the run, a note of its report.

A message is a fixed English *template*, ``str.format`` style with named placeholders, and its
*parameters*: the variable parts as a person is shown them (a value quoted, a column's name, a
date, a count, a file). A front end translates the template (the msgid of its catalogues) and
fills in the parameters; the results file, the rows to fix, the journal, summary.json and the
console write the English, filled in the same way: ``str(message)`` is the command line's.

Every template is a string literal passed to :func:`N_` where the message is made, so that an
extractor finds them all (Babel's knows ``N_`` without being told). A message that varies with
a count, or says more in one case than another, has a template for each, so a translator sees
whole sentences.

A parameter may be:

- text or a number, shown as it is;
- a :class:`~batch_uploader.rules.hints.Hint`, a remedy that is an option of the run, worded
  by each front end (see hints): the ``hint`` parameter is the one the message names
  (``{hint}``), and another may name a second option. A front end's words for a hint are
  templates over the message's parameters (``--sheet {sheet!q} reads it``);
- a message (what VTEX answered, inside "gave up after 3 attempts"), translated and worded with
  the one around it;
- a tuple of those, listed with commas, or joined by the placeholder's format spec
  (``{sheets!r:, }``, ``{hidden:; }``).

Besides :meth:`str.format`'s ``!r`` (quoted as Python does) and format specs (``{byte:02x}``),
``!q`` quotes a value as a shell needs it. A template with neither is filled in by
:meth:`str.format_map` alone, the fast path every row's message takes.

Nothing is formatted until the text is asked for, and the English text is kept once made: a
message is cheap to make for every row, and to pickle. A message about the run is a
:class:`RunMessage`, with a stable code (see :mod:`~batch_uploader.message_codes`); one about a
row is a :class:`~batch_uploader.models.RowError`, with a code of
:mod:`~batch_uploader.rules.row_codes` and the field it is about.
"""

from __future__ import annotations

import json
import shlex
import string
from collections.abc import Callable, Mapping, Sequence
from copy import copy
from typing import TYPE_CHECKING, Any, Self, TypeAlias

from .rules.hints import COMMAND_LINE, Hint

if TYPE_CHECKING:
    from .redaction import Redactor

# A parameter: text as shown, a number, a remedy (a Hint is text too), a message, or a tuple.
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
        """The remedy this message names (its ``hint``), or one a message it holds names."""
        params = self.params
        hint = params.get("hint")
        if isinstance(hint, Hint):
            return hint
        for value in params.values():
            if isinstance(value, Message) and (held := value.hint) is not None:
                return held
        return None

    def text(
        self, words: Mapping[Hint, str] = COMMAND_LINE, translate: Translate | None = None
    ) -> str:
        """The message, its template translated by ``translate`` (kept in English without
        one) and its remedies worded by ``words``."""
        if words is COMMAND_LINE and translate is None:
            english = self._english
            if english is None:
                english = self._english = _fill(self.template, self.params, words, None)
            return english
        template = self.template if translate is None else translate(self.template)
        return _fill(template, self.params, words, translate)

    def redacted(self, redactor: Redactor) -> Self:
        """The message without the secrets of ``redactor`` (a heading, a server's words): the
        same message when its text holds none, else one of the same kind (its code and hint
        kept) whose parameters hold none."""
        if not redactor.holds(self.text()):
            return self
        clean = copy(self)  # made again from its parts (see __reduce__): its English unmade
        # A text from outside may be its template (see models.Delivery).
        clean.template = redactor.text(self.template)
        clean.params = {name: _redacted(value, redactor) for name, value in self.params.items()}
        return clean

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


class RunMessage(Message):
    """A message about the run rather than a row: an error that stops it before anything is
    sent, a note of its report, what the access check found, how a table was read. Its
    ``code`` is stable (see :mod:`~batch_uploader.message_codes`), for scripts and for a front
    end that says something of its own for it.

    Messages about the run are equal when they have the same code and say the same.
    """

    __slots__ = ("code",)

    code: str

    def __init__(self, code: str, template: str, params: Params | None = None) -> None:
        super().__init__(template, params)
        self.code = code

    def __repr__(self) -> str:
        return f"RunMessage({self.code!r}, {self.template!r}, {dict(self.params)!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RunMessage):
            return NotImplemented
        return (self.code, self.text()) == (other.code, other.text())

    def __hash__(self) -> int:
        return hash((self.code, self.text()))

    def __reduce__(self) -> tuple[Any, ...]:
        return (RunMessage, (self.code, self.template, self.params or None))


def dump(messages: Sequence[Message]) -> str:
    """``messages`` as JSON (their templates and parameters), which :func:`load` makes
    into messages again: how a journal keeps what it said, to be translated when shown."""
    return json.dumps([_dumped(message) for message in messages], ensure_ascii=False)


def load(text: str) -> tuple[Message, ...]:
    """The messages :func:`dump` wrote in ``text``; none when it holds anything else (written
    by a newer version, say), which the caller then says in English as it kept it."""
    try:
        found = json.loads(text)
        loaded = [_loaded(item) for item in found] if isinstance(found, list) else []
    except (ValueError, TypeError, KeyError):
        return ()
    messages = tuple(item for item in loaded if isinstance(item, Message))
    return messages if len(messages) == len(loaded) else ()


def _dumped(value: Param) -> object:
    if isinstance(value, Message):
        params = {name: _dumped(item) for name, item in value.params.items()}
        return {"template": value.template, "params": params}
    if isinstance(value, Hint):
        return {"hint": value.value}
    if isinstance(value, tuple):
        return [_dumped(item) for item in value]
    return value


def _loaded(value: object) -> Param:
    if isinstance(value, dict):
        if "hint" in value:
            return Hint(value["hint"])
        params = value["params"]
        if not isinstance(value["template"], str) or not isinstance(params, dict):
            raise TypeError("not a dumped message")
        return Message(value["template"], {str(n): _loaded(item) for n, item in params.items()})
    if isinstance(value, list):
        return tuple(_loaded(item) for item in value)
    if isinstance(value, str | int) and not isinstance(value, bool):
        return value
    raise TypeError("not a dumped parameter")


def _redacted(value: Param, redactor: Redactor) -> Param:
    if isinstance(value, Message):
        return value.redacted(redactor)
    if isinstance(value, Hint | int):
        return value
    if isinstance(value, tuple):
        return tuple(_redacted(item, redactor) for item in value)
    return redactor.text(value)


# Whether a template is filled in by str.format_map alone (no conversion, no format spec),
# by template: the templates are a few hundred literals, and rows share them.
_PLAIN: dict[str, bool] = {}
# Templates made of outside text (see models.Delivery) are not kept past this many.
_PLAIN_KEPT = 4096


def _plain(template: str) -> bool:
    plain = _PLAIN.get(template)
    if plain is None:
        plain = not any(
            spec or conversion
            for _, name, spec, conversion in _FORMATTER.parse(template)
            if name is not None
        )
        if len(_PLAIN) < _PLAIN_KEPT:
            _PLAIN[template] = plain
    return plain


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
    if _plain(template):
        return template.format_map(
            {name: _shown(value, params, words, translate) for name, value in params.items()}
        )
    return _Filling(params, words, translate).vformat(template, (), params)


def _shown(
    value: Param, params: Params, words: Mapping[Hint, str], translate: Translate | None
) -> str | int:
    if isinstance(value, Hint):
        said = words[value]
        # Most remedies are worded without a parameter: only those with one are formatted.
        return _Filling(params, words, translate).vformat(said, (), params) if "{" in said else said
    if isinstance(value, Message):
        return value.text(words, translate)
    if isinstance(value, tuple):
        return ", ".join(str(_shown(item, params, words, translate)) for item in value)
    return value


class _Filling(string.Formatter):
    """:meth:`str.format` with the conventions above, for a template with a conversion or a
    format spec, and for a remedy's words with a parameter: remedies worded by ``words``,
    messages within translated by ``translate`` too, tuples joined by their format spec, and
    ``!q``."""

    def __init__(
        self, params: Params, words: Mapping[Hint, str], translate: Translate | None
    ) -> None:
        self.params = params
        self.words = words
        self.translate = translate

    def get_value(self, key: int | str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
        return self._shown(kwargs[str(key)])

    def _shown(self, value: Param) -> Any:
        if isinstance(value, Hint):
            return self.vformat(self.words[value], (), self.params)
        if isinstance(value, Message):
            return value.text(self.words, self.translate)
        if isinstance(value, tuple):
            return tuple(self._shown(item) for item in value)
        return value

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        if isinstance(value, tuple):
            return tuple(self.convert_field(item, conversion) for item in value)
        if conversion == "q":
            return shlex.quote(str(value))
        return super().convert_field(value, conversion)

    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, tuple):
            return (format_spec or ", ").join(str(item) for item in value)
        return format(value, format_spec)


_FORMATTER = string.Formatter()
