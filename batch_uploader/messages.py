"""A message about the run rather than a row: an error that stops it before anything is sent,
or a note of its report. It is a stable code (listed in :mod:`~batch_uploader.message_codes`),
the variable parts it is made of (``params``: file, sheet, row, heading...), and the option of
the run it points the person at (``hint``, see :mod:`~batch_uploader.rules.hints`), which each
front end words itself.

Its English text is made from a fixed template with :meth:`str.format`'s syntax: ``{file}``
takes the param ``file``, ``{hint}`` the remedy. A param may be a :class:`Hint` too (another
option the message names), a message (a part of this one, worded alike) or a tuple, whose
items are joined by the field's format spec (``{sheets!r:, }``); ``!q`` quotes a value as a
shell needs it. A message is a ``str``, its command line's wording: it goes wherever a note
went before, and the console, summary.json and the results file show it as they always did.
"""

from __future__ import annotations

import shlex
import string
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any, Self

from .redaction import Redactor
from .rules.hints import COMMAND_LINE, Hint

# What a param may be: text or a number (a message or a hint is text too), or a tuple of them.
Param = str | int | tuple[str | int, ...]


class Message(str):
    """A message for a person about the run: ``code``, ``params`` and ``hint``; as a string,
    the command line's wording. :meth:`worded` gives another front end's."""

    code: str
    template: str
    hint: Hint | None
    params: Mapping[str, Param]

    def __new__(
        cls, code: str, template: str, /, hint: Hint | None = None, **params: Param
    ) -> Self:
        message = super().__new__(cls, _format(template, hint, params, COMMAND_LINE))
        message.code = code
        message.template = template
        message.hint = hint
        message.params = MappingProxyType(params)
        return message

    def worded(self, words: Mapping[Hint, str] = COMMAND_LINE) -> str:
        """The message, its hints worded by ``words`` (templates over its params)."""
        return _format(self.template, self.hint, self.params, words)

    def redacted(self, redactor: Redactor) -> Message:
        """The message without the secrets of ``redactor`` in its params (a heading, a
        server's words): still a message, its code and hint kept."""
        if not redactor.holds(self):
            return self
        return Message(
            self.code,
            self.template,
            self.hint,
            **{name: _redacted(value, redactor) for name, value in self.params.items()},
        )

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # Made again from its parts: str's own way would call __new__ with the text alone.
        return _message, (self.code, self.template, self.hint, dict(self.params))


def _redacted(value: Param, redactor: Redactor) -> Param:
    if isinstance(value, Message):
        return value.redacted(redactor)
    if isinstance(value, Hint | int):
        return value
    if isinstance(value, tuple):
        return tuple(_redacted(item, redactor) for item in value)  # type: ignore[misc]
    return redactor.text(value)


def _message(code: str, template: str, hint: Hint | None, params: dict[str, Param]) -> Message:
    return Message(code, template, hint, **params)


def _format(
    template: str, hint: Hint | None, params: Mapping[str, Param], words: Mapping[Hint, str]
) -> str:
    return _Wording(words).vformat(template, (), {**params, "hint": hint or ""})


class _Wording(string.Formatter):
    """:meth:`str.format` with the conventions above: hints in ``words``, parts worded alike,
    tuples joined by their format spec, and ``!q``."""

    def __init__(self, words: Mapping[Hint, str]) -> None:
        self.words = words

    def get_value(self, key: int | str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
        return self._text(kwargs[str(key)], kwargs)

    def _text(self, value: Any, params: Mapping[str, Any]) -> Any:
        if isinstance(value, Message):
            return value.worded(self.words)
        if isinstance(value, Hint):
            return self.vformat(self.words[value], (), params)
        if isinstance(value, tuple):
            return tuple(self._text(item, params) for item in value)
        return value

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        if isinstance(value, tuple):
            return tuple(self.convert_field(item, conversion) for item in value)
        if conversion == "q":
            return shlex.quote(str(value))
        return super().convert_field(value, conversion)

    def format_field(self, value: Any, format_spec: str) -> str:
        if isinstance(value, tuple):
            return format_spec.join(str(item) for item in value)
        return format(value, format_spec)
