"""Where a file's bytes wait on their way, so that a file of any size moves with little memory
and can be read again for a retry: a private temporary file (mode 0600, in a folder of this
user's own, mode 0700) that has no name at all, so that nothing is left behind on any path,
a kill included. A spool may keep its first bytes in memory (`memory`), for answers that are
usually small."""

from __future__ import annotations

import contextlib
import functools
import os
import stat
import tempfile
from pathlib import Path
from types import TracebackType
from typing import IO

from podio_component.errors import InputError, PodioComponentError


@functools.cache
def directory() -> Path:
    """This user's folder for spooled files, made private; refused when someone else made it
    or it is a link."""
    folder = Path(tempfile.gettempdir()) / f"podio-component-{os.getuid()}"
    with contextlib.suppress(FileExistsError):
        folder.mkdir(mode=0o700)
    info = os.lstat(folder)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
        raise PodioComponentError(f"{folder} is not a folder of this user's; remove it")
    if stat.S_IMODE(info.st_mode) != 0o700:
        os.chmod(folder, 0o700)
    return folder


class TooLarge(InputError):
    """A file grew past its limit while it was read."""


class Spool:
    """One file's bytes on their way. `write` counts them and refuses past `limit`."""

    def __init__(self, limit: int, field: str = "file", memory: int = 0) -> None:
        folder = str(directory())
        self.file: IO[bytes] = (
            tempfile.SpooledTemporaryFile(max_size=memory, mode="w+b", dir=folder)  # noqa: SIM115
            if memory
            else tempfile.TemporaryFile(dir=folder)  # noqa: SIM115
        )
        self.limit = limit
        self.field = field
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self.limit:
            raise TooLarge(self.field, f"expected at most {self.limit:,} bytes; the file is larger")
        self.file.write(chunk)

    def reset(self) -> None:
        """Empty it, for a read that starts again."""
        self.file.seek(0)
        self.file.truncate()
        self.size = 0

    def rewind(self) -> IO[bytes]:
        """The bytes, from the start."""
        self.file.flush()
        self.file.seek(0)
        return self.file

    def content(self) -> bytes:
        """All the bytes at once (for an answer known to be small)."""
        return self.rewind().read()

    def close(self) -> None:
        self.file.close()

    def __enter__(self) -> Spool:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
