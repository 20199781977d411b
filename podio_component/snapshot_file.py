"""`run TRIGGER --snapshot FILE`: a trigger's snapshot kept in a file between local runs.

Checked before the trigger polls, so a run never emits items it then cannot record: FILE
must be a regular file or absent (never a symbolic link, a FIFO or a directory), in a folder
that exists and can be written. Written through a private temporary file created
exclusively beside it, then renamed over it: FILE holds one snapshot or the other, keeps its
mode, and a link planted at a predictable name is never followed.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from podio_component.errors import UsageError

NEW_FILE_MODE = 0o600


class SnapshotFile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._mode = NEW_FILE_MODE
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            info = None
        except OSError as exc:
            raise self._error(f"cannot be read ({exc.strerror})") from None
        if info is not None:
            if stat.S_ISLNK(info.st_mode):
                raise self._error("is a symbolic link; give the file itself")
            if not stat.S_ISREG(info.st_mode):
                raise self._error("is not a regular file")
            self._mode = stat.S_IMODE(info.st_mode)
        folder = path.parent
        if not folder.is_dir():
            raise self._error(f"cannot be written: the folder {folder} does not exist")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise self._error(f"cannot be written: the folder {folder} is not writable")

    def read(self) -> Any:
        """The snapshot an earlier run kept; None when there is none yet (a first run)."""
        try:
            # O_NOFOLLOW and O_NONBLOCK: a link or a FIFO put there since is refused, not used
            fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise self._error(f"cannot be read ({exc.strerror})") from None
        with os.fdopen(fd, "rb") as file:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise self._error("is not a regular file")
            content = file.read()
        try:
            return json.loads(content.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise self._error("does not hold JSON") from None

    def write(self, snapshot: Any) -> None:
        fd, temporary = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                os.fchmod(file.fileno(), self._mode)
                json.dump(snapshot, file)
            os.replace(temporary, self.path)  # atomic: one snapshot or the other
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise

    def _error(self, problem: str) -> UsageError:
        return UsageError(f"--snapshot {self.path} {problem}")
