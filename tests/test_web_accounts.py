"""The page's accounts file: what an account may hold, written whole and readable by its owner
only, read back as it was written whatever its values hold, and refused when others may read
it (batch_uploader.web.accounts)."""

from __future__ import annotations

import os
import stat
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from batch_uploader import message_codes
from batch_uploader.errors import UsageError
from batch_uploader.web.accounts import (
    Account,
    Invalid,
    default_path,
    read,
    toml_string,
    validated,
    write,
)

TOKEN = "VTEXTOKEN" + "Ab3dE6gH9jK2" * 8

HOSTILE = [
    'Loja "Centro"',
    "C:\\lojas\\centro",
    "ends with a backslash \\",
    '"""',
    "line\nbreak\r\nand\ttab",
    "São Paulo \u2013 Lojas Ñandú 日本 🛒",
    "\x00\x01\x1f\x7f control",
    "' single ' quotes",
    "[[accounts]]\nlabel = 'injected'",
    "",
]


@pytest.fixture
def umask_022() -> Iterator[None]:
    # What most systems start with: files readable by everyone unless asked otherwise.
    before = os.umask(0o022)
    yield
    os.umask(before)


def values(**more: str) -> dict[str, str]:
    return {
        "label": "Loja Centro",
        "account": "lojacentro",
        "environment": "",
        "base_url": "",
        "app_key": "vtexappkey-lojacentro-ABCDEF",
        "app_token": TOKEN,
        "rate": "",
        **more,
    }


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("value", HOSTILE)
def test_a_string_is_written_as_toml_that_reads_back_the_same(value: str) -> None:
    assert tomllib.loads(f"label = {toml_string(value)}\n") == {"label": value}


def test_hostile_labels_and_addresses_survive_the_file(tmp_path: Path) -> None:
    path = tmp_path / "accounts.toml"
    written = [
        Account(label, "key", TOKEN, "", "vtexcommercestable", f"https://h{number}.example", 2.5)
        for number, label in enumerate(HOSTILE)
    ]
    write(path, written)
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    assert [entry["label"] for entry in data["accounts"]] == HOSTILE
    assert [entry["base_url"] for entry in data["accounts"]] == [
        f"https://h{number}.example" for number in range(len(HOSTILE))
    ]
    assert {entry["rate"] for entry in data["accounts"]} == {2.5}


def test_an_account_written_is_read_back_as_it_was(tmp_path: Path, umask_022: None) -> None:
    path = tmp_path / "config" / "batch-uploader" / "accounts.toml"
    first = validated(values(label='Loja "Sul" \\ São Paulo', rate="2,5"))
    second = validated(
        values(label="Sandbox", account="", base_url="http://127.0.0.1:8899/", rate="0.3")
    )
    write(path, [first, second])

    assert read(path) == [first, second]
    assert mode(path) == 0o600
    assert second.base_url == "http://127.0.0.1:8899"
    assert (first.rate, second.rate) == (2.5, 0.3)
    assert first.target == "https://lojacentro.vtexcommercestable.com.br"
    assert [entry.name for entry in path.parent.iterdir()] == ["accounts.toml"]


def test_every_write_leaves_the_file_readable_by_its_owner_only(
    tmp_path: Path, umask_022: None
) -> None:
    path = tmp_path / "accounts.toml"
    path.write_text("# written by hand\n", encoding="utf-8")
    path.chmod(0o644)
    write(path, [validated(values())])
    assert mode(path) == 0o600
    write(path, [])
    assert mode(path) == 0o600
    assert read(path) == []


def test_a_link_in_place_of_the_new_file_is_not_followed(tmp_path: Path) -> None:
    # Whatever stands where the file is replaced, the tokens go to a new file of its own.
    elsewhere = tmp_path / "elsewhere.txt"
    elsewhere.write_text("someone else's\n", encoding="utf-8")
    path = tmp_path / "accounts.toml"
    path.symlink_to(elsewhere)
    write(path, [validated(values())])
    assert elsewhere.read_text(encoding="utf-8") == "someone else's\n"
    assert not path.is_symlink()
    assert mode(path) == 0o600


def test_a_file_others_may_read_is_refused_saying_how_to_fix_it(tmp_path: Path) -> None:
    path = tmp_path / "accounts.toml"
    write(path, [validated(values())])
    path.chmod(0o640)
    with pytest.raises(UsageError) as refused:
        read(path)
    assert refused.value.code == message_codes.ACCOUNTS_FILE_OPEN
    assert str(refused.value) == (
        f"the accounts file {path} can be read by other users (mode -rw-r-----), and it holds "
        f"app tokens; make it readable by its owner only: chmod 600 {path}"
    )


def test_no_file_yet_is_no_account(tmp_path: Path) -> None:
    assert read(tmp_path / "accounts.toml") == []


def test_the_default_file_is_in_the_configuration_folder(tmp_path: Path) -> None:
    assert default_path({"XDG_CONFIG_HOME": str(tmp_path)}) == (
        tmp_path / "batch-uploader" / "accounts.toml"
    )
    assert default_path({}) == Path.home() / ".config" / "batch-uploader" / "accounts.toml"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("accounts = [", "cannot be read (not TOML)"),
        (
            'accounts = "none"',
            "cannot be read (its accounts are not a list of [[accounts]] tables)",
        ),
        (
            '[[accounts]]\nlabel = "A"\naccount = "a"\napp_key = "k"\napp_token = "'
            + TOKEN
            + '"\napp-token = "x"\n',
            "account 1 has the unknown key 'app-token'",
        ),
        (
            '[[accounts]]\nlabel = "A"\naccount = "a"\napp_key = "k"\napp_token = "short"\n',
            "account 1, its app_token: The token is too short (under 16 characters",
        ),
        # A token written in the wrong place is not repeated.
        (f'[[accounts]]\nlabel = "A"\naccount = "a"\napp_key = "k"\n{TOKEN} = "x"\n',
         "account 1 has the unknown key '[redacted]'"),
        (f'[[accounts]]\nlabel = "A"\naccount = "{TOKEN}!"\napp_key = "k"\napp_token = "x"\n',
         "account 1, its account: account '[redacted]' and environment"),
    ],
)  # fmt: skip
def test_a_file_that_is_not_one_of_accounts_says_where(
    tmp_path: Path, text: str, said: str
) -> None:
    path = tmp_path / "accounts.toml"
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    with pytest.raises(UsageError) as refused:
        read(path)
    assert str(refused.value).startswith(f"the accounts file {path}")
    assert said in str(refused.value)
    assert TOKEN not in str(refused.value)
    assert "short" not in str(refused.value).replace("too short", "")


def problems(**more: str) -> dict[str, str]:
    with pytest.raises(Invalid) as invalid:
        validated(values(**more))
    return {name: str(problem) for name, problem in invalid.value.problems.items()}


def test_each_field_says_what_is_wrong_with_it() -> None:
    assert problems(label="", account="", app_key="", app_token="", rate="fast") == {
        "label": "Give the account a name people here recognise.",
        "account": "Give the store's VTEX account name (as in mystore.myvtex.com), or an address.",
        "app_key": "Give the app key.",
        "app_token": "Give the app token.",
        "rate": "Write the requests a second as a number above 0 and at most 1000, such as 10.",
    }
    assert problems(account="loja centro")["account"].startswith("account 'loja centro' and")
    assert problems(environment="vtex stable")["environment"].startswith(
        "account 'lojacentro' and environment 'vtex stable' must be plain names"
    )
    assert problems(app_token="abc123")["app_token"] == (
        "The token is too short (under 16 characters; VTEX tokens are about 100): copy it again "
        "from the admin (Account settings > Application keys)."
    )
    assert problems(app_token=TOKEN[:20] + " " + TOKEN[20:])["app_token"].startswith(
        "It holds a space, a line break or a character outside ASCII"
    )
    assert problems(app_key="chave com espaço")["app_key"].startswith("It holds a space")
    assert problems(label="Loja\nCentro")["label"] == (
        "The name holds a line break or a character that cannot be shown."
    )
    assert problems(label="L" * 81)["label"] == "The name is longer than 80 characters."
    for rate in ("0", "-1", "nan", "inf", "1001"):
        assert set(problems(rate=rate)) == {"rate"}, rate


@pytest.mark.parametrize(
    ("address", "said"),
    [
        ("http://store.example.com", "uses plain http; use https"),
        ("https://user:secret@store.example.com", "holds an '@'"),
        ("https://store.example.com/?token=x", "must not have a query"),
        ("ftp://store.example.com", "must be an http(s) address"),
        ("https://store.example.com\n", None),  # stripped, as typed with a line break
    ],
)
def test_an_address_is_judged_as_the_command_line_judges_it(address: str, said: str | None) -> None:
    if said is None:
        assert validated(values(account="", base_url=address)).base_url == (
            "https://store.example.com"
        )
        return
    found = problems(account="", base_url=address)
    assert list(found) == ["base_url"]
    assert said in found["base_url"]
    assert "secret" not in found["base_url"]


def test_two_accounts_cannot_share_a_name() -> None:
    first = validated(values())
    with pytest.raises(Invalid) as invalid:
        validated(values(label="LOJA CENTRO"), others=[first])
    assert str(invalid.value.problems["label"]) == "Another account has this name."


def test_an_empty_token_keeps_the_one_kept() -> None:
    assert validated(values(app_token=""), kept_token=TOKEN).app_token == TOKEN
    assert (
        validated(values(app_token=" " + TOKEN[::-1] + " "), kept_token=TOKEN).app_token
        == (TOKEN[::-1])
    )


def test_the_page_shows_only_the_end_of_a_token_and_never_fills_a_form_with_it() -> None:
    account = validated(values())
    assert account.token_end == "…9jK2"
    assert account.values()["app_token"] == ""
    assert TOKEN not in repr(account)
