"""Files end to end against the emulator over loopback HTTP: Upload File from each source,
Attach File, Download Files into the platform's storage, item writes that carry the
message's attachments, Make Raw Request's multipart and file answers, and the checks made
before anything is sent."""

from __future__ import annotations

import base64
import hashlib
import os
from typing import Any

import pytest

from podio_component.actions import (
    attach_file,
    create_item,
    download_files,
    make_raw_request,
    update_item,
    upload_file,
)
from podio_component.contract import events
from podio_component.emulator import Emulator, Fault
from podio_component.errors import InputError, PodioComponentError
from podio_component.platform.attachments import StorageError
from podio_component.settings import reload_environment
from tests.helpers import cfg_for


@pytest.fixture
def cfg(emulator: Emulator) -> dict[str, Any]:
    return cfg_for(emulator)


def stored(emulator: Emulator, content: bytes, content_type: str = "application/pdf") -> str:
    """An attachment in the emulated platform's storage (Maester): its URL."""
    with Storage(emulator) as storage:
        return storage.put(content, content_type)


class Storage:
    """Objects put in the platform's storage as a previous step would."""

    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator

    def __enter__(self) -> Storage:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def put(self, content: bytes, content_type: str) -> str:
        import requests

        answer = requests.post(
            f"{self.emulator.platform_url}/objects",
            data=content,
            headers={
                "Authorization": f"Bearer {self.emulator.platform.storage.token}",
                "Content-Type": content_type,
            },
            timeout=10,
        )
        object_id = answer.json()["objectId"]
        return f"{self.emulator.platform_url}/objects/{object_id}?storage_type=maester"


def uploads(emulator: Emulator) -> int:
    return emulator.log.count("POST", "/file*")


def upload(cfg: dict[str, Any], body: dict[str, Any], **msg: Any) -> dict[str, Any]:
    output: dict[str, Any] = upload_file.process({"body": body, **msg}, cfg)
    return dict(output["body"])


def test_a_base64_file_is_uploaded_and_attached(emulator: Emulator, cfg: dict[str, Any]) -> None:
    content = b"%PDF-1.4 a small contract"
    body = {
        "content": base64.b64encode(content).decode(),
        "filename": "contract.pdf",
        "attachTo": {"type": "item", "id": 5002},
    }
    file = upload(cfg, body)
    assert (file["name"], file["size"], file["mimetype"]) == ("contract.pdf", 25, "application/pdf")
    assert file["attachedTo"] == {"type": "item", "id": 5002}
    assert emulator.world.files.content(file["file_id"]) == content
    assert file["file_id"] in {f["file_id"] for f in emulator.world.files.on_item(5002)}


def test_an_attachment_is_read_from_storage_by_name_or_as_the_only_one(
    emulator: Emulator, cfg: dict[str, Any]
) -> None:
    url = stored(emulator, b"%PDF one")
    only = upload(cfg, {}, attachments={"one.pdf": {"url": url, "size": "8"}})
    assert emulator.world.files.content(only["file_id"]) == b"%PDF one"
    other = stored(emulator, b"%PDF two")
    two = {"one.pdf": {"url": url}, "two.pdf": {"url": other}}
    chosen = upload(cfg, {"attachment": "two.pdf"}, attachments=two)
    assert (chosen["name"], emulator.world.files.content(chosen["file_id"])) == (
        "two.pdf",
        b"%PDF two",
    )
    with pytest.raises(InputError, match=r"expected the name of one of 'one\.pdf', 'two\.pdf'"):
        upload(cfg, {}, attachments=two)
    with pytest.raises(InputError, match=r"has no attachment 'three\.pdf'; it has 'one\.pdf'"):
        upload(cfg, {"attachment": "three.pdf"}, attachments=two)


def test_a_url_in_the_body_comes_before_the_attachments_and_a_plain_one_gets_no_credential(
    emulator: Emulator, cfg: dict[str, Any]
) -> None:
    storage = emulator.platform.storage
    plain = storage.put_steward(b"%PDF legacy", "application/pdf", emulator.platform_url)
    others = {"x.pdf": {"url": stored(emulator, b"not this one")}}
    file = upload(cfg, {"url": plain, "filename": "legacy.pdf"}, attachments=others)
    assert (file["name"], emulator.world.files.content(file["file_id"])) == (
        "legacy.pdf",
        b"%PDF legacy",
    )
    assert [auth for _, path, auth in storage.seen if path.startswith("/steward/")] == [None]


@pytest.mark.parametrize(
    ("body", "field", "text"),
    [
        ({"content": "@@@", "filename": "a.pdf"}, "content", "not valid base64"),
        ({"content": "YQ==", "filename": "README"}, "filename", "with an extension"),
        ({"content": "YQ==", "filename": "setup.exe"}, "filename", "refuses files of type"),
        ({"content": "YQ==", "filename": "a.weirdext"}, "filename", "application/octet-stream"),
        (
            {"content": "YQ==", "filename": "a.pdf", "attachTo": {"type": "app", "id": 1}},
            "attachTo.type",
            "expected one of item",
        ),
    ],
)
def test_bad_input_is_refused_before_anything_is_sent(
    emulator: Emulator, cfg: dict[str, Any], body: dict[str, Any], field: str, text: str
) -> None:
    with pytest.raises(InputError) as refused:
        upload(cfg, body)
    assert refused.value.field == field and text in refused.value.message
    assert uploads(emulator) == 0


def test_a_size_past_100_mb_is_refused_from_its_declaration_and_a_liar_is_cut_off(
    emulator: Emulator, cfg: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = stored(emulator, b"x" * 2048)
    declared = {"big.pdf": {"url": url, "size": str(200 * 1024 * 1024)}}
    with pytest.raises(InputError, match="it declares 209,715,200"):
        upload(cfg, {}, attachments=declared)
    monkeypatch.setattr("podio_component.actions.upload_file.MAX_SIZE", 1024)
    with pytest.raises(InputError, match="expected at most 1,024 bytes"):
        upload(cfg, {}, attachments={"big.pdf": {"url": url, "size": "10"}})
    assert uploads(emulator) == 0


def test_a_name_is_cut_to_its_last_part_and_control_characters_dropped(
    emulator: Emulator, cfg: dict[str, Any]
) -> None:
    body = {"content": "YQ==", "filename": "../../etc/re\x07port.pdf"}
    assert upload(cfg, body)["name"] == "report.pdf"


def test_attach_file_attaches_an_uploaded_file(emulator: Emulator, cfg: dict[str, Any]) -> None:
    file_id = upload(cfg, {"content": "YQ==", "filename": "a.txt"})["file_id"]
    body = {"file_id": file_id, "attachTo": {"type": "item", "id": 5003}}
    assert attach_file.process({"body": body}, cfg)["body"]["attachedTo"]["id"] == 5003
    assert emulator.world.files.item_of(file_id) == 5003


def download(cfg: dict[str, Any], body: dict[str, Any]) -> list[dict[str, Any]]:
    with events.collect() as collected:
        download_files.process({"body": body}, cfg)
    return collected.data


def test_download_files_stores_each_file_and_emits_it_with_a_unique_name(
    emulator: Emulator, cfg: dict[str, Any]
) -> None:
    for content in (b"%PDF first", b"%PDF second"):
        body = {"content": base64.b64encode(content).decode(), "filename": "same.pdf"}
        upload(cfg, {**body, "attachTo": {"type": "item", "id": 5002}})
    upload(
        cfg, {"content": "YQ==", "filename": "note.txt", "attachTo": {"type": "item", "id": 5002}}
    )
    messages = download(cfg, {"item_id": 5002, "name": "*.pdf"})
    names = [m["body"]["name"] for m in messages]
    assert names == ["same.pdf", "same (2).pdf"]
    for message, content in zip(messages, (b"%PDF first", b"%PDF second"), strict=True):
        (attachment,) = message["attachments"].values()
        object_id = attachment["url"].split("/objects/")[1].split("?")[0]
        assert emulator.platform.storage.content(object_id) == content
        assert (
            attachment["size"] == len(content) and attachment["content-type"] == "application/pdf"
        )
    cfg["emitBehavior"] = "emitPage"
    (page,) = download(cfg, {"item_id": 5002})
    assert len(page["body"]["files"]) == 3 and len(page["attachments"]) == 3


def test_a_file_another_service_hosts_is_metadata_and_max_size_refuses_before_reading(
    emulator: Emulator, cfg: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator.world.files.stored[7001]["hosted_by"] = "dropbox"
    (linked,) = download(cfg, {"file_id": 7001})
    assert linked["body"]["url"] is None and "dropbox" in linked["body"]["note"]
    assert linked["attachments"] == {}
    files = emulator.world.files
    view = files.view
    monkeypatch.setattr(files, "view", lambda f: {**view(f), "size": 2 * 1024 * 1024})
    cfg["maxSize"] = "1"
    with pytest.raises(InputError, match="maxSize"):
        download(cfg, {"file_id": 7002})
    assert emulator.log.count("GET", "/file/*/raw") == 0


def test_item_writes_upload_and_attach_the_messages_attachments(
    emulator: Emulator, cfg: dict[str, Any]
) -> None:
    cfg["app"] = "30"
    attachments = {
        "a.pdf": {"url": stored(emulator, b"%PDF a")},
        "b.pdf": {"url": stored(emulator, b"%PDF b")},
    }
    body = {"title": "with files", "external_id": "files-1", "attachments": "all"}
    created = create_item.process({"body": body, "attachments": attachments}, cfg)["body"]
    assert sorted(f["name"] for f in created["files"]) == ["a.pdf", "b.pdf"]
    extra = {"c.pdf": {"url": stored(emulator, b"%PDF c")}}
    update = {"item_id": created["item_id"], "attachments": ["c.pdf"]}
    updated = update_item.process({"body": update, "attachments": extra}, cfg)["body"]
    assert sorted(f["name"] for f in updated["files"]) == ["a.pdf", "b.pdf", "c.pdf"]
    with pytest.raises(InputError, match=r"no attachment 'd\.pdf'"):
        update_item.process(
            {"body": {**update, "attachments": ["d.pdf"]}, "attachments": extra}, cfg
        )


def test_a_file_podio_left_off_the_item_is_attached_after_the_write(
    emulator: Emulator, cfg: dict[str, Any]
) -> None:
    cfg["app"] = "30"
    emulator.world.items.drops_file_ids = True  # podio-dotnet#34
    attachments = {"a.pdf": {"url": stored(emulator, b"%PDF a")}}
    body = {"title": "left off", "attachments": "all"}
    created = create_item.process({"body": body, "attachments": attachments}, cfg)["body"]
    assert [f["name"] for f in created["files"]] == ["a.pdf"]
    assert emulator.log.count("POST", "/file/*/attach") == 1


def test_an_ambiguous_create_does_not_upload_again(emulator: Emulator, cfg: dict[str, Any]) -> None:
    cfg.update(app="30", retries="2", retriesDelay="0")
    emulator.faults.add("POST", "/item/app/30/", Fault(status=500, apply=True))
    attachments = {"a.pdf": {"url": stored(emulator, b"%PDF a")}}
    body = {"title": "once", "external_id": "once-1", "attachments": "all"}
    created = create_item.process({"body": body, "attachments": attachments}, cfg)["body"]
    assert created["recovered"] and [f["name"] for f in created["files"]] == ["a.pdf"]
    assert uploads(emulator) == 1 + emulator.log.count("POST", "/file/*/attach")


def test_make_raw_request_uploads_multipart_and_streams_a_file_answer(
    emulator: Emulator, cfg: dict[str, Any]
) -> None:
    attachments = {"scan.pdf": {"url": stored(emulator, b"%PDF scan")}}
    body = {
        "method": "POST",
        "url": "/file/",
        "multipart": {"source": {"attachment": "scan.pdf"}, "filename": "scan.pdf"},
    }
    answer = make_raw_request.process({"body": body, "attachments": attachments}, cfg)["body"]
    file_id = answer["responseBody"]["file_id"]
    assert emulator.world.files.content(file_id) == b"%PDF scan"
    raw = {"method": "GET", "url": f"/file/{file_id}/raw", "responseAs": "attachment"}
    output = make_raw_request.process({"body": raw}, cfg)
    assert output["body"]["attachment"] == "scan.pdf" and output["body"]["responseBody"] is None
    assert output["attachments"]["scan.pdf"]["size"] == 9

    big = os.urandom(1024 * 1024 + 1)  # past PODIO_MAX_INLINE_FILE: stored, whatever asked
    file_id = upload(cfg, {"content": base64.b64encode(big).decode(), "filename": "big.zip"})[
        "file_id"
    ]
    plain_get = {"method": "GET", "url": f"/file/{file_id}/raw"}
    output = make_raw_request.process({"body": plain_get}, cfg)
    (attachment,) = output["attachments"].values()
    object_id = attachment["url"].split("/objects/")[1].split("?")[0]
    kept = emulator.platform.storage.content(object_id)
    assert hashlib.sha256(kept).digest() == hashlib.sha256(big).digest()
    small = make_raw_request.process({"body": {"method": "GET", "url": "/file/7002/raw"}}, cfg)
    assert small["attachments"]["response"]["url"].startswith("data:image/png;base64,")


def test_an_upload_whose_answer_is_lost_is_not_sent_again(
    emulator: Emulator, cfg: dict[str, Any]
) -> None:
    cfg.update(retries="3", retriesDelay="0")
    emulator.faults.add("POST", "/file*", Fault(apply=True, drop=True))
    with pytest.raises(PodioComponentError, match="may exist in Podio, uploaded and not attached"):
        upload(cfg, {"content": "YQ==", "filename": "a.txt"})
    assert uploads(emulator) == 1


def test_a_download_cut_mid_stream_is_retried_and_never_emits_a_part(
    emulator: Emulator, cfg: dict[str, Any]
) -> None:
    cfg.update(retries="3", retriesDelay="0")
    content = os.urandom(200_000)
    file_id = upload(cfg, {"content": base64.b64encode(content).decode(), "filename": "c.zip"})[
        "file_id"
    ]
    emulator.faults.add("GET", f"/file/{file_id}/raw", Fault(truncate=True), Fault())
    (message,) = download(cfg, {"file_id": file_id})
    object_id = message["body"]["url"].split("/objects/")[1].split("?")[0]
    assert emulator.platform.storage.content(object_id) == content
    assert emulator.log.count("GET", f"/file/{file_id}/raw") == 2


def test_without_storage_a_step_that_needs_it_names_the_settings_and_reads_nothing(
    emulator: Emulator, cfg: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("ELASTICIO_OBJECT_STORAGE_URI", "ELASTICIO_OBJECT_STORAGE_TOKEN"):
        monkeypatch.delenv(name)
    reload_environment()
    unattached = upload(cfg, {"content": "YQ==", "filename": "a.txt"})  # needs no storage
    settings = "ELASTICIO_OBJECT_STORAGE_URI and ELASTICIO_OBJECT_STORAGE_TOKEN"
    with pytest.raises(StorageError, match=settings):
        download(cfg, {"file_id": unattached["file_id"]})
    with pytest.raises(StorageError, match=settings):
        make_raw_request.process(
            {"body": {"method": "GET", "url": "/file/7002/raw", "responseAs": "attachment"}}, cfg
        )
    assert emulator.log.count("GET", "/file/*/raw") == 0
