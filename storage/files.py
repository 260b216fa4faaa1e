"""Files on this machine that hold pupils' data: the SQLite database (and its -wal/-shm), the
key file and the terminal's exports. Only the bot's own user may read them: files 0600, their
folder 0700. Exports are removed after a set time (`EXPORTS_KEEP_HOURS`)."""

from __future__ import annotations

import datetime as dt
import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600
# SQLite's companions of a database file: written while it runs, and as readable as the file.
SQLITE_COMPANIONS = ("", "-wal", "-shm", "-journal")


def _ours_to_close(folder: Path) -> bool:
    """Whether tightening this folder's mode is ours to do: it belongs to the bot's user and is
    not a shared folder (/tmp has the sticky bit) nor the user's home or the root."""
    try:
        info = folder.stat()
    except OSError:
        return False
    if info.st_uid != os.getuid() or info.st_mode & stat.S_ISVTX:
        return False
    return folder.resolve() not in (Path.home().resolve(), Path("/"))


def private_folder(folder: Path) -> Path:
    """Create `folder` (and its parents) if needed; make it readable by the bot's user only."""
    folder.mkdir(parents=True, exist_ok=True, mode=PRIVATE_FOLDER)
    if stat.S_IMODE(folder.stat().st_mode) != PRIVATE_FOLDER and _ours_to_close(folder):
        os.chmod(folder, PRIVATE_FOLDER)
    return folder


def write_private(path: Path, content: bytes) -> None:
    """Write a new file that only the bot's user can read (never readable, even for a moment,
    by anyone else: it is created 0600, not made so afterwards)."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    with os.fdopen(descriptor, "wb") as file:
        os.fchmod(file.fileno(), PRIVATE_FILE)  # whatever the umask
        file.write(content)


def make_private(path: Path) -> None:
    """Make an existing file readable by its owner only (nothing if it is not there)."""
    try:
        if stat.S_IMODE(path.stat().st_mode) != PRIVATE_FILE:
            os.chmod(path, PRIVATE_FILE)
    except FileNotFoundError:
        pass


def prepare_sqlite_file(database: Path) -> None:
    """Before SQLite opens `database`: its folder private, and the file created 0600 (SQLite
    gives its -wal and -shm files the database file's mode)."""
    private_folder(database.parent)
    if not database.exists():
        # An empty file is a new database to SQLite.
        descriptor = os.open(database, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE)
        os.close(descriptor)
    seal_sqlite_files(database)


def seal_sqlite_files(database: Path) -> None:
    """The database file and its -wal, -shm and -journal: owner only (files made by an older
    version, or copied in, were left readable by every local user)."""
    for suffix in SQLITE_COMPANIONS:
        make_private(database.with_name(database.name + suffix))


def remove_old_exports(folder: Path, *, now: dt.datetime, keep: dt.timedelta) -> list[Path]:
    """Remove the files directly in `folder` (the terminal's reports and exports) last written
    more than `keep` before `now`. Returns what was removed."""
    if not folder.is_dir():
        return []
    cutoff = (now - keep).timestamp()
    removed = []
    for path in sorted(folder.iterdir()):
        try:
            info = path.lstat()
            if stat.S_ISREG(info.st_mode) and info.st_mtime < cutoff:
                path.unlink()
                removed.append(path)
        except FileNotFoundError:  # another instance removed it first
            continue
    if removed:
        log.info("removed %d export(s) older than %s from %s", len(removed), keep, folder)
    return removed


@dataclass(frozen=True)
class ExportSweep:
    """Where the exports are and how long they are kept (settings `REPORTS_DIR` and
    `EXPORTS_KEEP_HOURS`): run by every scheduler pass and when the bot or the terminal starts."""

    folder: Path
    keep: dt.timedelta

    @classmethod
    def from_hours(cls, folder: str | Path, hours: float) -> ExportSweep:
        return cls(Path(folder), dt.timedelta(hours=hours))

    def run(self, now: dt.datetime) -> list[Path]:
        return remove_old_exports(self.folder, now=now, keep=self.keep)
