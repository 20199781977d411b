"""What is checked about a file before anything is sent: its size (Podio's and the
platform's 100 MB, or a step's `maxSize`), its name (a path is cut to its last part and
control characters dropped; a name without an extension is refused, since Podio tells a
file's type by it) and its type (the types Podio refuses, `application/octet-stream` among
them, which is what a name Podio cannot place becomes)."""

from __future__ import annotations

import mimetypes
import re

from podio_component.errors import InputError

MAX_SIZE = 100 * 1024 * 1024  # Podio's limit and the platform's, in bytes
REFUSED_TYPES = frozenset(
    {
        "application/x-msdownload",
        "application/x-msdos-program",
        "application/x-msdos-windows",
        "application/x-download",
        "application/bat",
        "application/x-bat",
        "application/com",
        "application/x-com",
        "application/exe",
        "application/x-exe",
        "application/x-winexe",
        "application/x-winhlp",
        "application/x-winhelp",
        "application/x-javascript",
        "application/hta",
        "application/x-ms-shortcut",
        "application/octet-stream",
        "vms/exe",
    }
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def filename(name: object, field: str) -> str:
    """The name Podio is given: the last part of a path, without control characters; a
    name without an extension is refused."""
    if not isinstance(name, str):
        raise InputError(field, "expected a file name such as report.pdf", name)
    cleaned = _CONTROL.sub("", name.replace("\\", "/").rpartition("/")[2]).strip()
    stem, dot, extension = cleaned.rpartition(".")
    if not cleaned or not dot or not stem or not extension:
        raise InputError(
            field,
            "expected a file name with an extension, such as report.pdf (Podio tells a "
            "file's type by it)",
            name,
        )
    return cleaned


def mimetype(name: str, field: str) -> str:
    """The type Podio will give a file of this name; refused where Podio refuses it."""
    found = mimetypes.guess_type(name, strict=False)[0] or "application/octet-stream"
    if found in REFUSED_TYPES:
        raise InputError(
            field,
            f"Podio refuses files of type {found}; {name!r} would be one (a name Podio cannot "
            "place is application/octet-stream)",
        )
    return found


def declared_size(size: object, limit: int, field: str) -> int | None:
    """A size a source declares (a number or digits; a hint, never the truth), refused
    above the limit; None when it says none."""
    if isinstance(size, str) and size.strip().isdigit():
        size = int(size.strip())
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        return None
    if size > limit:
        raise InputError(field, f"expected at most {limit:,} bytes; it declares {size:,}")
    return size
