"""The page's accounts file: the VTEX accounts a person chose on its Settings page, for those
who run more than one store.

A TOML file (``$XDG_CONFIG_HOME/batch-uploader/accounts.toml`` unless the page is given
another) of ``[[accounts]]``, each with a ``label`` people recognise ("Loja Centro"), the
store's VTEX ``account`` and ``environment`` or a ``base_url`` instead, its ``app_key`` and
``app_token``, and the most requests a second (``rate``) its jobs send. It holds app tokens:
it is written readable by its owner only, and refused when others may read it.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import os
import re
import secrets
import stat
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .. import message_codes
from ..errors import UsageError
from ..messages import N_, Message, RunMessage
from ..redaction import Redactor
from ..vtex.target import DEFAULT_ENVIRONMENT, Credentials, check_base_url, resolve_base_url
from .wording import W_

FILE_NAME = "accounts.toml"
# The form's fields, as the file names its keys.
FIELDS = ("label", "account", "environment", "base_url", "app_key", "app_token", "rate")
DEFAULT_RATE = 10.0
# A rate past this is a slip of the keyboard, not a store's limit.
MAX_RATE = 1000.0
MAX_LABEL = 80
# The characters of a token the page shows: enough to tell two tokens apart, too few to use.
SHOWN_TOKEN = 4


# What is wrong with a field, in the page's words (the file's reader quotes them too).
NO_LABEL = W_("Give the account a name people here recognise.")
UNPRINTABLE_LABEL = W_("The name holds a line break or a character that cannot be shown.")
LONG_LABEL = W_("The name is longer than {maximum} characters.")
TAKEN_LABEL = W_("Another account has this name.")
UNPRINTABLE_ADDRESS = W_(
    "The address holds a space, a line break or a character that cannot be shown."
)
NO_STORE = W_("Give the store's VTEX account name (as in mystore.myvtex.com), or an address.")
NO_APP_KEY = W_("Give the app key.")
NO_APP_TOKEN = W_("Give the app token.")
UNPRINTABLE_CREDENTIAL = W_(
    "It holds a space, a line break or a character outside ASCII, which no VTEX key or token "
    "has: copy it again from the admin."
)
SHORT_TOKEN = W_(
    "The token is too short (under {minimum} characters; VTEX tokens are about 100): copy it "
    "again from the admin (Account settings > Application keys)."
)
KEY_LIKE_A_TOKEN = W_(
    "This looks like the app token: an app key is shorter (vtexappkey-store-...) and the token "
    "about 100 characters. Put each in its own field."
)
# An app key is about 40 characters (vtexappkey-<store>-<6 letters>); a token about 100. A key
# this long is a token typed in the wrong field, which would then be shown whole.
_KEY_AT_MOST = 64
UNUSABLE_RATE = W_(
    "Write the requests a second as a number above 0 and at most {maximum}, such as 10."
)


def default_path(environ: Mapping[str, str]) -> Path:
    """Where the accounts file is kept when the page is given none."""
    config_home = Path(environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return config_home / "batch-uploader" / FILE_NAME


@dataclass(frozen=True)
class Account:
    """An account of the file. ``id`` names it in the page's addresses (made from its label,
    which is unique: nothing of a secret)."""

    label: str
    app_key: str
    app_token: str = field(repr=False)
    account: str = ""
    environment: str = DEFAULT_ENVIRONMENT
    base_url: str = ""
    rate: float = DEFAULT_RATE

    @property
    def id(self) -> str:
        return label_id(self.label)

    @property
    def target(self) -> str:
        """The base URL its jobs send to."""
        return resolve_base_url(self.base_url or None, self.account or None, self.environment)

    @property
    def where(self) -> str:
        """The store as a person reads it: its account and environment, or its address."""
        return self.base_url or f"{self.account} · {self.environment}"

    @property
    def credentials(self) -> Credentials:
        return Credentials(self.app_key, self.app_token)

    @property
    def token_end(self) -> str:
        """What the page shows of the token: its last characters."""
        return "…" + self.app_token[-SHOWN_TOKEN:]

    def values(self) -> dict[str, str]:
        """The form's values for it, the token left out (a form is never filled with it)."""
        return {
            "label": self.label,
            "account": self.account,
            "environment": self.environment,
            "base_url": self.base_url,
            "app_key": self.app_key,
            "app_token": "",
            "rate": f"{self.rate:g}",
        }


def label_id(label: str) -> str:
    return hashlib.sha256(label.casefold().encode()).hexdigest()[:12]


class Invalid(Exception):
    """An account's values that cannot be used: what is wrong with each field, by name."""

    def __init__(self, problems: dict[str, Message]) -> None:
        super().__init__(problems)
        self.problems = problems


def validated(
    values: Mapping[str, str],
    *,
    others: Iterable[Account] = (),
    kept_token: str = "",
    default_rate: float = DEFAULT_RATE,
) -> Account:
    """The account ``values`` describe (a form's, or the file's), as the target checks would
    take it; raises :class:`Invalid` with every field's problem. An empty token keeps
    ``kept_token``; ``others`` are the accounts whose labels it may not take."""
    problems: dict[str, Message] = {}
    label = values.get("label", "").strip()
    if not label:
        problems["label"] = Message(NO_LABEL)
    elif not label.isprintable():
        problems["label"] = Message(UNPRINTABLE_LABEL)
    elif len(label) > MAX_LABEL:
        problems["label"] = Message(LONG_LABEL, {"maximum": MAX_LABEL})
    elif any(label_id(other.label) == label_id(label) for other in others):
        problems["label"] = Message(TAKEN_LABEL)

    account = values.get("account", "").strip()
    environment = values.get("environment", "").strip() or DEFAULT_ENVIRONMENT
    base_url = values.get("base_url", "").strip()
    if base_url:
        if not base_url.isprintable():
            problems["base_url"] = Message(UNPRINTABLE_ADDRESS)
        else:
            try:
                base_url = check_base_url(base_url)
            except UsageError as error:
                problems["base_url"] = _said(error)
    elif not account:
        problems["account"] = Message(NO_STORE)
    if account:
        try:
            resolve_base_url(None, account, environment)
        except UsageError as error:
            # Said once, beside the name that is wrong: the environment when the account
            # alone would do.
            try:
                resolve_base_url(None, account)
                wrong = "environment"
            except UsageError:
                wrong = "account"
            problems[wrong] = _said(error)

    app_key = values.get("app_key", "").strip()
    app_token = values.get("app_token", "").strip() or kept_token
    if not app_key:
        problems["app_key"] = Message(NO_APP_KEY)
    if not app_token:
        problems["app_token"] = Message(NO_APP_TOKEN)
    if app_key or app_token:
        try:
            # The command line's checks: printable, and a token not cut when copied (each
            # field judged even when the other is missing).
            Credentials.from_env(
                {"VTEX_APP_KEY": app_key or "missing", "VTEX_APP_TOKEN": app_token or "missing" * 3}
            )
        except UsageError as error:
            name = error.params.get("name")
            field = "app_key" if name == "VTEX_APP_KEY" else "app_token"
            problems[field] = _credential_problem(error)
    if "app_key" not in problems and key_like_a_token(app_key, app_token):
        problems["app_key"] = Message(KEY_LIKE_A_TOKEN)

    rate = _rate(values.get("rate", ""), default_rate)
    if rate is None:
        problems["rate"] = Message(UNUSABLE_RATE, {"maximum": f"{MAX_RATE:g}"})
    if problems or rate is None:
        raise Invalid(problems)
    return Account(label, app_key, app_token, account, environment, base_url, rate)


def _credential_problem(error: UsageError) -> Message:
    """What the command line's check of a key or token found, in the words of the form (which
    knows no environment variable)."""
    if error.code == message_codes.UNPRINTABLE_CREDENTIAL:
        return Message(UNPRINTABLE_CREDENTIAL)
    if error.code == message_codes.TOKEN_TOO_SHORT:
        return Message(SHORT_TOKEN, {"minimum": error.params["minimum"]})
    return _said(error)


def key_like_a_token(app_key: str, app_token: str) -> bool:
    """Whether ``app_key`` is a token typed in the key's field (too long for a key, or the
    token itself)."""
    key = app_key.strip()
    return len(key) > _KEY_AT_MOST or (bool(key) and key == app_token.strip())


def _rate(text: str, default: float) -> float | None:
    text = text.strip().replace(",", ".")  # 2,5 as Brazil and Spain write it
    if not text:
        return default
    try:
        rate = float(text)
    except ValueError:
        return None
    return rate if math.isfinite(rate) and 0 < rate <= MAX_RATE else None


def _said(error: UsageError) -> Message:
    message = error.message
    return message if isinstance(message, Message) else Message.as_is(message)


def read(path: Path) -> list[Account]:
    """The accounts of the file at ``path`` (none when there is no file yet). A file other
    users may read, or that is not a file of accounts, is refused with what to do."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return []
    except OSError as error:
        raise _unreadable(path, error.strerror or type(error).__name__) from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise UsageError(
            RunMessage(
                message_codes.ACCOUNTS_FILE_OPEN,
                N_(
                    "the accounts file {file} can be read by other users (mode {mode}), and it "
                    "holds app tokens; make it readable by its owner only: chmod 600 {file}"
                ),
                {"file": str(path), "mode": stat.filemode(mode)},
            )
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise _unreadable(path, error.strerror or type(error).__name__) from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        # The parser's message could quote a token: say only where to look.
        raise _unreadable(path, "not TOML") from None
    entries = data.get("accounts", [])
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise _unreadable(path, "its accounts are not a list of [[accounts]] tables")
    found: list[Account] = []
    # A token written in the wrong place (as a key, or in another field) is quoted by what is
    # said of it: nothing of the file as long as a token is, but app keys, is repeated.
    hidden = Redactor(_token_like(entries))
    for number, entry in enumerate(entries, start=1):
        unknown = sorted(set(entry) - set(FIELDS))
        if unknown:
            raise UsageError(
                RunMessage(
                    message_codes.ACCOUNTS_FILE_UNUSABLE,
                    N_("the accounts file {file}: account {number} has the unknown key {key!r}"),
                    {"file": str(path), "number": number, "key": unknown[0]},
                ).redacted(hidden)
            )
        values = {name: _text(entry.get(name, "")) for name in FIELDS}
        try:
            found.append(validated(values, others=found))
        except Invalid as invalid:
            name, problem = next(iter(invalid.problems.items()))
            raise UsageError(
                RunMessage(
                    message_codes.ACCOUNTS_FILE_UNUSABLE,
                    N_("the accounts file {file}: account {number}, its {key}: {problem}"),
                    {"file": str(path), "number": number, "key": name, "problem": problem},
                ).redacted(hidden)
            ) from None
    return found


def _token_like(entries: list[dict[str, object]]) -> list[str]:
    """The keys and text values of the file's accounts that may be a token (long, of one
    word, no address), but their app keys (no secret, and named in what is said)."""
    found: list[str] = []
    for entry in entries:
        for key, value in entry.items():
            texts = [key] + ([value.strip()] if isinstance(value, str) and key != "app_key" else [])
            found += [text for text in texts if _TOKEN_LIKE.fullmatch(text)]
    return found


# VTEX's tokens are about 100 letters and digits; a name, an address or a label is not this.
_TOKEN_LIKE = re.compile(r"[^\s/:@.]{40,}")


def _text(value: object) -> str:
    """A value of the file as a form would give it (a rate may be written as a number)."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return repr(value)
    return str(value)


def _unreadable(path: Path, why: str) -> UsageError:
    return UsageError(
        RunMessage(
            message_codes.ACCOUNTS_FILE_UNREADABLE,
            N_("the accounts file {file} cannot be read ({why})"),
            {"file": str(path), "why": why},
        )
    )


def write(path: Path, accounts: Iterable[Account]) -> None:
    """Writes ``accounts`` to ``path`` whole or not at all, readable by its owner only: a
    new file beside it (created so, never through a link) takes its place once on disk."""
    text = dumps(accounts)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor = os.open(
            temporary,
            os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
            0o600,
        )
        try:
            # A umask may take more away than asked: the mode is set, not left to it.
            os.fchmod(descriptor, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            with contextlib.suppress(OSError):
                temporary.unlink()
            raise
        os.replace(temporary, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise UsageError(
            RunMessage(
                message_codes.ACCOUNTS_FILE_NOT_WRITTEN,
                N_("the accounts file {file} could not be written ({why}); nothing was changed"),
                {"file": str(path), "why": error.strerror or type(error).__name__},
            )
        ) from None
    _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    """Makes the file's new name last through a power cut, where the system allows it."""
    try:
        descriptor = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(descriptor)
    finally:
        os.close(descriptor)


HEADER = (
    "# The accounts of batch-uploader's page (its Settings). It holds app tokens: keep it\n"
    "# readable by its owner only (chmod 600).\n"
)


def dumps(accounts: Iterable[Account]) -> str:
    """``accounts`` as the file's TOML."""
    parts = [HEADER]
    for account in accounts:
        parts.append("\n[[accounts]]\n")
        for name in FIELDS:
            value = getattr(account, name)
            if name == "base_url" and not value:
                continue
            if name == "account" and not value and account.base_url:
                continue
            shown = repr(float(value)) if name == "rate" else toml_string(value)
            parts.append(f"{name} = {shown}\n")
    return "".join(parts)


_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f"}
_ESCAPES["\r"] = "\\r"


def toml_string(value: str) -> str:
    """``value`` as a TOML basic string: quotes, backslashes and control characters escaped,
    the rest as it is (the file is UTF-8)."""
    out = []
    for character in value:
        code = ord(character)
        if character in _ESCAPES:
            out.append(_ESCAPES[character])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04X}")
        elif 0xD800 <= code <= 0xDFFF:
            # A lone surrogate is no character a file can hold.
            raise ValueError("a lone surrogate cannot be written")
        else:
            out.append(character)
    return '"' + "".join(out) + '"'
