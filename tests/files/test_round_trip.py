"""Every byte of a file survives Podio -> the platform's storage -> Podio: empty, one byte,
5 MB in this process; 100 MB in a process of its own, whose memory grows by less than 32 MiB
(the emulator in another process)."""

from __future__ import annotations

import hashlib
import io
import os

import pytest

from bench import files as bench_files
from podio_component.actions import download_files, upload_file
from podio_component.contract import events
from podio_component.emulator import Emulator
from tests.helpers import cfg_for


@pytest.mark.parametrize("size", [0, 1, 5 * 1024 * 1024])
def test_a_file_keeps_every_byte_through_storage_and_back(emulator: Emulator, size: int) -> None:
    content = os.urandom(size)
    cfg = cfg_for(emulator)
    file_id = emulator.world.files.upload(io.BytesIO(content), "payload.zip", 0)["file_id"]
    with events.collect() as collected:
        download_files.process({"body": {"file_id": file_id}}, cfg)
    (message,) = collected.data
    assert message["attachments"]["payload.zip"]["size"] == size
    again = upload_file.process({"body": {}, "attachments": message["attachments"]}, cfg)
    back = emulator.world.files.content(again["body"]["file_id"])
    assert hashlib.sha256(back).digest() == hashlib.sha256(content).digest()


def test_100_mb_keep_every_byte_and_the_process_grows_by_less_than_32_mib() -> None:
    with bench_files.emulator_process() as env:
        file_id, digest = bench_files.put_file(env, 100 * 1024 * 1024)
        result = bench_files.round_trip(env, file_id)
        assert bench_files.podio_sha256(env, result["new_file_id"]) == digest
    assert result["rss_growth"] < bench_files.RSS_BOUND
