"""Where the two tokens go when files move, path by path: the Podio token only in requests to
Podio's API host, the storage token only in requests to the storage URI, neither in any
attachment URL, message, log or error; and a planted attachment URL (at the emulator's
Podio, at another loopback port, or a Maester URL naming another host) gets neither."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from podio_component.actions import download_files, make_raw_request, upload_file
from podio_component.contract import events
from podio_component.emulator import Emulator
from podio_component.errors import PodioComponentError
from tests.emulator.test_hooks import Receiver
from tests.files.test_file_actions import stored
from tests.helpers import cfg_for


@pytest.fixture
def witness() -> Iterator[Receiver]:
    """Another loopback port that keeps the Authorization header of what it is asked."""
    server = Receiver()
    yield server
    server.shutdown()


@pytest.fixture
def tokens(emulator: Emulator) -> tuple[str, str, dict[str, Any]]:
    cfg = cfg_for(emulator)
    return cfg["oauth"]["access_token"], emulator.platform.storage.token, cfg


def podio_authorizations(emulator: Emulator) -> set[str | None]:
    return {e.authorization for e in emulator.log.entries() if e.side == "podio"}


def storage_authorizations(emulator: Emulator) -> set[str | None]:
    return {auth for _, path, auth in emulator.platform.storage.seen if path.startswith("/objects")}


def everything_said(caplog: pytest.LogCaptureFixture, *outputs: Any) -> str:
    return json.dumps(outputs, default=str) + "\n".join(r.getMessage() for r in caplog.records)


def test_an_upload_from_storage_and_a_download_into_it_keep_each_token_to_its_host(
    emulator: Emulator,
    tokens: tuple[str, str, dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="podio_component")
    podio_token, storage_token, cfg = tokens
    url = stored(emulator, b"%PDF carried")
    uploaded = upload_file.process(
        {
            "body": {"attachTo": {"type": "item", "id": 5001}},
            "attachments": {"c.pdf": {"url": url}},
        },
        cfg,
    )
    with events.collect() as collected:
        download_files.process({"body": {"item_id": 5001}}, cfg)
    raw = {"method": "GET", "url": "/file/7001/raw", "responseAs": "attachment"}
    answered = make_raw_request.process({"body": raw}, cfg)
    assert podio_authorizations(emulator) == {f"OAuth2 {podio_token}"}
    assert storage_authorizations(emulator) == {f"Bearer {storage_token}"}
    said = everything_said(caplog, uploaded, collected.data, answered)
    assert podio_token not in said and storage_token not in said


def test_a_planted_url_at_podio_or_another_port_gets_neither_token(
    emulator: Emulator,
    tokens: tuple[str, str, dict[str, Any]],
    witness: Receiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    podio_token, storage_token, cfg = tokens
    at_podio = f"{emulator.podio_url}/file/7001/raw"
    with pytest.raises(PodioComponentError) as refused:  # Podio wants a token it is not given
        upload_file.process({"body": {"url": at_podio, "filename": "x.pdf"}}, cfg)
    assert podio_token not in refused.value.message
    assert storage_token not in refused.value.message
    planted_at_podio = [e for e in emulator.log.entries() if e.path == "/file/7001/raw"]
    assert [e.authorization for e in planted_at_podio] == [None]
    upload_file.process({"body": {"url": f"{witness.url}/steal.pdf", "filename": "x.pdf"}}, cfg)
    assert witness.authorizations == [None]  # read, as any public file, with no credential


def test_a_maester_url_naming_another_host_is_read_from_this_steps_storage(
    emulator: Emulator, tokens: tuple[str, str, dict[str, Any]], witness: Receiver
) -> None:
    _, _, cfg = tokens
    real = stored(emulator, b"%PDF mine")
    object_id = real.split("/objects/")[1].split("?")[0]
    forged = f"{witness.url.rsplit('/hook', 1)[0]}/objects/{object_id}?storage_type=maester"
    uploaded = upload_file.process({"body": {"url": forged, "filename": "m.pdf"}}, cfg)
    assert emulator.world.files.content(uploaded["body"]["file_id"]) == b"%PDF mine"
    assert witness.authorizations == []  # never asked


def test_base64_content_is_never_logged(
    emulator: Emulator, tokens: tuple[str, str, dict[str, Any]], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="podio_component")
    _, _, cfg = tokens
    secret_bytes = b"account 1234-5678"
    body = {"content": base64.b64encode(secret_bytes).decode(), "filename": "a.txt"}
    upload_file.process({"body": body}, cfg)
    assert body["content"] not in everything_said(caplog)
