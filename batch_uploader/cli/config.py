"""The configuration file, and the credentials file it may name.

A TOML file gives defaults to the command line's options, so a nightly job needs no long
command: options given on the command line win over environment variables, which win over
the file. It is ``--config PATH``, or else the first of ``./batch-uploader.toml`` and
``$XDG_CONFIG_HOME/batch-uploader/config.toml`` that exists.

The app token never goes in it: it comes from ``VTEX_APP_KEY``/``VTEX_APP_TOKEN``, or from a
credentials file (``credentials = PATH``) that only its owner may read.
"""

from __future__ import annotations

import stat
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import UsageError
from ..vtex.target import Credentials

# Keys of the file, as the options are spelled, to the options' parameter names.
KEYS = {
    "account": "account",
    "environment": "environment",
    "base-url": "base_url",
    "rate": "rate",
    "concurrency": "concurrency",
    "timeout": "timeout",
    "max-attempts": "max_attempts",
    "stop-after-failures": "stop_after_failures",
    "encoding": "encoding",
    "date-format": "date_format",
    "timezone": "timezone",
    "output-dir": "output_dir",
    "journal": "journal",
    "format": "output_format",
    "credentials": "credentials",
    "url-templates": "url_templates",
    "no-url-templates": "no_url_templates",
    "verify": "verify",
    "accounts": "accounts_file",
}


def default_path(environ: Mapping[str, str], cwd: Path) -> Path | None:
    """The configuration file used when none is named, if there is one."""
    config_home = Path(environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    for candidate in (cwd / "batch-uploader.toml", config_home / "batch-uploader" / "config.toml"):
        if candidate.is_file():
            return candidate
    return None


def load(path: Path) -> dict[str, Any]:
    """The options the file at ``path`` sets, by parameter name; its ``[columns]`` table
    becomes ``--map`` values."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise UsageError(f"config {path}: cannot be read as TOML ({error})") from None
    options: dict[str, Any] = {}
    for key, value in data.items():
        if key == "columns":
            if not isinstance(value, dict):
                raise UsageError(f"config {path}: [columns] must be a table of heading = field")
            options["mapped"] = [f"{heading}={field}" for heading, field in value.items()]
            continue
        if key.startswith("app") or "token" in key:
            raise UsageError(
                f"config {path}: the app key and token go in a credentials file or in "
                "VTEX_APP_KEY and VTEX_APP_TOKEN, never in the configuration"
            )
        name = KEYS.get(key.replace("_", "-"))
        if name is None:
            known = ", ".join([*KEYS, "[columns]"])
            raise UsageError(f"config {path}: unknown key {key!r}; the keys are {known}")
        options[name] = str(Path(path.parent, value)) if name in _PATHS else value
    return options


_PATHS = {"output_dir", "journal", "credentials", "url_templates", "accounts_file"}


def read_credentials(path: Path) -> Credentials:
    """The app key and token of a TOML credentials file (``app_key``, ``app_token``), which
    must be readable by its owner only."""
    try:
        mode = path.stat().st_mode
    except OSError as error:
        raise UsageError(f"credentials file {path}: {error.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise UsageError(
            f"credentials file {path} can be read by other users (mode {stat.filemode(mode)}); "
            f"run: chmod 600 {path}"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        # The parser's message could quote the token: say only where to look.
        raise UsageError(f"credentials file {path}: cannot be read as TOML") from None
    return Credentials.from_env(
        {
            "VTEX_APP_KEY": str(data.get("app_key", "")),
            "VTEX_APP_TOKEN": str(data.get("app_token", "")),
        }
    )


def credentials(environ: Mapping[str, str], file: Path | None) -> Credentials:
    """The credentials of the environment, or else of ``file``."""
    if environ.get("VTEX_APP_KEY") or environ.get("VTEX_APP_TOKEN") or file is None:
        return Credentials.from_env(environ)
    return read_credentials(file)
