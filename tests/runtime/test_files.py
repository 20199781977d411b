"""Files under `podio-component sailor` on RabbitMQ: Upload File from a message's attachment,
then Download Files into the platform's storage as attachments; a container killed
mid-download leaves no file behind, and the redelivery emits each file once."""

from __future__ import annotations

import io
import os

import pytest

from podio_component.emulator import Emulator, Fault
from podio_component.emulator.platform.flow import EmulatedStep
from podio_component.spool import directory
from tests.files.test_file_actions import stored
from tests.runtime.sailors import Start, running, runtime_env, secret_cfg


def test_upload_from_an_attachment_then_download_to_attachments(
    emulator: Emulator, emulated_step: EmulatedStep, start_sailor: Start
) -> None:
    cfg = secret_cfg(emulator)
    running(
        start_sailor, runtime_env(emulator, emulated_step, cfg, ELASTICIO_FUNCTION="uploadFile")
    )
    url = stored(emulator, b"%PDF through the runtime")
    emulated_step.publish(
        {"attachTo": {"type": "item", "id": 5003}}, attachments={"runtime.pdf": {"url": url}}
    )
    (output,) = emulated_step.take("data")
    uploaded = emulated_step.decrypt(output)["body"]
    assert emulator.world.files.content(uploaded["file_id"]) == b"%PDF through the runtime"

    download_step = EmulatedStep(emulated_step.amqp_url).declare()
    try:
        env = runtime_env(emulator, download_step, cfg, ELASTICIO_FUNCTION="downloadFiles")
        running(start_sailor, env)
        download_step.publish({"item_id": 5003})
        (message,) = (download_step.decrypt(m) for m in download_step.take("data"))
        (attachment,) = message["attachments"].values()
        object_id = attachment["url"].split("/objects/")[1].split("?")[0]
        assert emulator.platform.storage.content(object_id) == b"%PDF through the runtime"
    finally:
        download_step.delete()


def test_a_kill_mid_download_leaves_no_file_and_the_redelivery_emits_each_once(
    emulator: Emulator, emulated_step: EmulatedStep, start_sailor: Start
) -> None:
    content = os.urandom(3 * 1024 * 1024)
    file_id = emulator.world.files.upload(io.BytesIO(content), "big.zip", 0)["file_id"]
    emulator.world.files.attach(file_id, 30, 5002, hook=False)
    before = set(directory().iterdir())
    env = runtime_env(
        emulator, emulated_step, secret_cfg(emulator), ELASTICIO_FUNCTION="downloadFiles"
    )
    first = running(start_sailor, env)
    emulator.faults.add("GET", f"/file/{file_id}/raw", Fault(drip=0.001))  # a slow download
    emulated_step.publish({"item_id": 5002, "name": "*.zip"})
    emulator.log.wait_arrived("GET", f"/file/{file_id}/raw")
    first.stop(9)
    assert set(directory().iterdir()) == before  # nothing of the killed one is left
    running(start_sailor, env)
    (message,) = (emulated_step.decrypt(m) for m in emulated_step.take("data", timeout=60))
    (attachment,) = message["attachments"].values()
    object_id = attachment["url"].split("/objects/")[1].split("?")[0]
    assert emulator.platform.storage.content(object_id) == content
    with pytest.raises(TimeoutError):  # no second copy
        emulated_step.take("data", 1, timeout=1)
