"""Podio's file endpoints (files-and-collaboration §2), each built once."""

from __future__ import annotations

from typing import Any

from podio_component.errors import PodioComponentError
from podio_component.podio.client import Part, PodioClient
from podio_component.spool import Spool

REF_TYPES = ("item", "task", "comment", "status", "space")  # what a file attaches to
UPLOAD_PATH = "/file/"


def upload(client: PodioClient, spool: Spool, name: str, mimetype: str) -> dict[str, Any]:
    """`POST /file/`, streamed: the new file's object (not attached to anything yet)."""
    parts: dict[str, Part] = {"source": (name, spool, mimetype), "filename": name}
    found = client.upload(UPLOAD_PATH, parts).json()
    if not isinstance(found, dict) or not isinstance(found.get("file_id"), int):
        raise PodioComponentError("Podio answered the upload without a file_id")
    return found


def attach(
    client: PodioClient, file_id: int, ref_type: str, ref_id: int, silent: bool = False
) -> None:
    """`POST /file/{id}/attach`."""
    params = [("silent", "true")] if silent else []
    body = {"ref_type": ref_type, "ref_id": ref_id}
    client.request("POST", f"/file/{file_id}/attach", body=body, params=params)


def get(client: PodioClient, file_id: int) -> dict[str, Any]:
    found: dict[str, Any] = client.request("GET", f"/file/{file_id}").json()
    return found


def download(client: PodioClient, file_id: int, spool: Spool) -> None:
    """`GET /file/{id}/raw`, streamed into the spool (again from the start on a retry)."""
    client.request_raw(f"/file/{file_id}/raw", spool)
