"""`run`'s attachments on a laptop: `--attach NAME=PATH` gives a message attachments from
local files, and what a step emits is written under `--attachments-dir` and named by its
path. Only the files given are read from disk; any other URL is read as on the platform."""

from __future__ import annotations

import mimetypes
import shutil
import time
from pathlib import Path
from typing import Any

from podio_component.errors import InputError, UsageError
from podio_component.platform.attachments import PlatformStore
from podio_component.spool import Spool

CHUNK = 64 * 1024


def attachment_option(text: str) -> tuple[str, Path]:
    """`NAME=PATH` (the name defaults to the file's)."""
    name, _, path = text.rpartition("=")
    file = Path(path).expanduser()
    if not file.is_file():
        raise UsageError(f"--attach {text}: {file} is not a file")
    return name or file.name, file.resolve()


class LocalStore:
    def __init__(self, given: dict[str, Path], folder: Path | None) -> None:
        self._readable = set(given.values())
        self._folder = folder
        self._platform = PlatformStore.from_environment()

    @staticmethod
    def message_attachments(given: dict[str, Path]) -> dict[str, dict[str, Any]]:
        return {
            name: {
                "url": str(path),
                "size": path.stat().st_size,
                "content-type": mimetypes.guess_type(path.name)[0] or "application/octet-stream",
            }
            for name, path in given.items()
        }

    def read(self, url: str, spool: Spool) -> str | None:
        path = Path(url.removeprefix("file://"))
        if not url.startswith(("/", "file://")):
            return self._platform.read(url, spool)
        if path.resolve() not in self._readable:
            raise InputError(
                spool.field, "only files given with --attach (or written here) are read", url
            )
        spool.reset()
        with open(path, "rb") as source:
            while chunk := source.read(CHUNK):
                spool.write(chunk)
        return mimetypes.guess_type(path.name)[0]

    def writable(self) -> None:
        pass  # a folder is made when the first file comes

    def write(self, spool: Spool, name: str, content_type: str) -> str:
        folder = self._folder or Path.cwd() / time.strftime("attachments-%Y%m%d-%H%M%S")
        self._folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / Path(name).name
        number = 1
        while target.exists():
            number += 1
            target = folder / f"{Path(name).stem} ({number}){Path(name).suffix}"
        with open(target, "xb") as file:
            shutil.copyfileobj(spool.rewind(), file, CHUNK)
        self._readable.add(target.resolve())
        return str(target.resolve())
