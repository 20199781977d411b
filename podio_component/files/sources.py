"""Where the bytes of a file to upload come from, in this order (files-and-collaboration
§1.7, the newer components' habit first): a URL in the body (a platform attachment's, read by
the storage's rules, or any other, read with a plain GET); then the message's attachments (by
name, or the only one); then `content` in base64 with a `filename`, for small files.

A size a source declares is a hint, checked before reading; the byte count while reading is
the truth, and a source past the limit is cut off there.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit

from podio_component.context import current
from podio_component.errors import InputError
from podio_component.files import checks
from podio_component.platform.attachments import AttachmentStore, PlatformStore
from podio_component.spool import Spool


class Source(NamedTuple):
    name: str  # as Podio will name the file
    mimetype: str  # as Podio will type it
    spool: Spool  # the bytes


def store() -> AttachmentStore:
    """Where this host keeps attachments: `run`'s folder, else the platform's storage."""
    kept = current().attachments
    return kept if kept is not None else PlatformStore.from_environment()


def attachments(msg: object) -> dict[str, Mapping[str, Any]]:
    """The message's attachments (`{name: {url, size?, content-type?}}`); none when absent."""
    found = msg.get("attachments") if isinstance(msg, Mapping) else None
    if not isinstance(found, Mapping):
        return {}
    return {str(k): v for k, v in found.items() if isinstance(v, Mapping)}


def named(msg: object, wanted: object, field: str) -> list[str]:
    """The attachment names a step is given: "all" (or true), a name, or a list of names;
    a name the message has not is refused, with the names it has."""
    have = attachments(msg)
    if wanted in (True, "all", "*"):
        return list(have)
    names = [wanted] if isinstance(wanted, str) else wanted
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise InputError(field, 'expected "all", an attachment name or a list of names', wanted)
    for name in names:
        if name not in have:
            listed = ", ".join(repr(n) for n in have) or "none"
            raise InputError(field, f"the message has no attachment {name!r}; it has {listed}")
    return list(names)


def take(msg: object, body: Mapping[str, Any], limit: int) -> Source:
    """The upload's source, in the order above."""
    url = body.get("url")
    if url is not None:
        if not isinstance(url, str) or not url.strip():
            raise InputError("url", "expected the URL of the file to upload", url)
        name = body.get("filename") or unquote(urlsplit(url).path.rpartition("/")[2])
        return read_url(url, checks.filename(name, "filename"), limit, "url")
    have = attachments(msg)
    if body.get("attachment") is not None or (have and body.get("content") is None):
        if body.get("attachment") is None and len(have) != 1:
            listed = ", ".join(repr(n) for n in have)
            raise InputError("attachment", f"expected the name of one of {listed}")
        (chosen,) = named(msg, body.get("attachment") or next(iter(have)), "attachment")
        return from_attachment(chosen, have[chosen], body.get("filename"), limit)
    if body.get("content") is not None:
        return from_base64(body.get("content"), body.get("filename"), limit)
    raise InputError(
        "url", "expected a file: a url, a message attachment, or content (base64) with a filename"
    )


def from_attachment(
    name: str, attachment: Mapping[str, Any], filename: object, limit: int
) -> Source:
    field = f"attachments.{name}"
    checks.declared_size(attachment.get("size"), limit, field)
    url = attachment.get("url")
    if not isinstance(url, str):
        raise InputError(field, "expected an attachment with a url")
    return read_url(url, upload_name(name, attachment, filename), limit, field)


def upload_name(name: str, attachment: Mapping[str, Any], filename: object = None) -> str:
    """The name an attachment is uploaded by: `filename`, else its own; one without an
    extension takes one from its content type, where it has one."""
    given = filename or name
    kind = attachment.get("content-type")
    if "." not in str(given) and isinstance(kind, str):
        given = f"{given}{mimetypes.guess_extension(kind.split(';')[0].strip()) or ''}"
    return checks.filename(given, "filename")


def read_url(url: str, name: str, limit: int, field: str) -> Source:
    mimetype = checks.mimetype(name, "filename")
    spool = Spool(limit, field)
    try:
        store().read(url, spool)
    except BaseException:
        spool.close()
        raise
    return Source(name, mimetype, spool)


def from_base64(content: object, filename: object, limit: int) -> Source:
    name = checks.filename(filename, "filename")
    mimetype = checks.mimetype(name, "filename")
    if not isinstance(content, str):
        raise InputError("content", "expected the file's bytes in base64")
    try:
        data = base64.b64decode("".join(content.split()), validate=True)
    except (binascii.Error, ValueError):
        raise InputError("content", "is not valid base64") from None
    spool = Spool(limit, "content")
    try:
        spool.write(data)
    except BaseException:
        spool.close()
        raise
    return Source(name, mimetype, spool)
