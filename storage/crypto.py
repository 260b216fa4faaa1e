"""Encryption at rest for pupils' names and safeguarding free text.

Values are encrypted with Fernet (AES-128-CBC with HMAC-SHA256, from `cryptography`) under the
first of the configured keys; any of the keys decrypts, so a new key can be put first and
`apbot rotate-key` re-encrypts everything under it. Everything else stays queryable.

The keyring is process-wide configuration (like the time zone), set once when the bot starts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Text, TypeDecorator
from sqlalchemy.engine import Dialect

from storage.files import make_private, private_folder, write_private

PREFIX = "enc1:"


class EncryptionNotConfigured(RuntimeError):
    """No key: encrypted values can be neither written nor read."""


class KeyDoesNotOpen(EncryptionNotConfigured):
    """The configured key does not decrypt what the database holds (a key file lost and a new
    one made, a key removed before `apbot rotate-key`): the bot must not start."""


class Keyring:
    """The keys in use: the first encrypts, any decrypts."""

    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise EncryptionNotConfigured("No encryption key given.")
        try:
            self._fernets = [Fernet(key.strip().encode()) for key in keys]
        except (ValueError, TypeError) as error:
            raise EncryptionNotConfigured(
                "An encryption key is not valid (each must be 32 url-safe base64 bytes; "
                "make one with `apbot rotate-key --new-key`)."
            ) from error
        self._multi = MultiFernet(self._fernets)

    def encrypt(self, plain: str) -> str:
        return PREFIX + self._multi.encrypt(plain.encode()).decode()

    def decrypt(self, stored: str) -> str:
        if not stored.startswith(PREFIX):
            return stored  # written before encryption was switched on; rotate-key encrypts it
        try:
            return self._multi.decrypt(stored[len(PREFIX) :].encode()).decode()
        except InvalidToken as error:
            raise EncryptionNotConfigured(
                "A stored value cannot be decrypted with the configured keys. Was a key removed "
                "before `apbot rotate-key` had re-encrypted everything?"
            ) from error

    def rotate(self, stored: str) -> str:
        """The value under the current key (plain text is encrypted)."""
        if not stored.startswith(PREFIX):
            return self.encrypt(stored)
        return PREFIX + self._multi.rotate(stored[len(PREFIX) :].encode()).decode()


_keyring: Keyring | None = None


def configure(keys: list[str]) -> Keyring:
    """Set the process's keys (first one current)."""
    global _keyring
    _keyring = Keyring(keys)
    return _keyring


def keyring() -> Keyring:
    if _keyring is None:
        raise EncryptionNotConfigured("Encryption keys were not configured at start-up.")
    return _keyring


def new_key() -> str:
    return Fernet.generate_key().decode()


KEY_FILE = "encryption.key"


def key_file(folder: Path) -> Path:
    """Where the embedded default keeps its key: beside the SQLite file."""
    return folder / KEY_FILE


def local_key(folder: Path) -> str:
    """The embedded default's key: made once and kept beside the SQLite file (readable by the
    owner only, in a folder only the owner can open). Production sets ENCRYPTION_KEYS from its
    secret store instead. The caller decides whether a missing file may be made anew (never
    while the database holds values encrypted under the lost one: `bot.runtime`)."""
    path = key_file(folder)
    private_folder(folder)
    if not path.exists():
        try:
            write_private(path, new_key().encode())
        except FileExistsError:  # another process made it a moment ago: use theirs
            pass
    make_private(path)
    return path.read_text().strip()


class EncryptedText(TypeDecorator[Any]):
    """Text encrypted before it reaches the database and decrypted when read back."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else keyring().encrypt(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else keyring().decrypt(value)


class EncryptedJSON(EncryptedText):
    """JSON (a dialog's answers, a message's structured content) encrypted as one text value."""

    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else keyring().encrypt(json.dumps(value, ensure_ascii=False))

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        return None if value is None else json.loads(keyring().decrypt(value))
