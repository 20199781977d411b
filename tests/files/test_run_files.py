"""`podio-component run` moves files on a laptop: `--attach NAME=PATH` gives the message an
attachment from a local file, and emitted attachments are written under `--attachments-dir`
and named by their paths."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from podio_component.emulator import Emulator
from tests.helpers import ROOT, cfg_for


def run(emulator: Emulator, *args: str, cwd: Path = ROOT) -> list[dict[str, Any]]:
    done = subprocess.run(
        [sys.executable, "-m", "podio_component", "run", *args],
        cwd=cwd,
        env={**os.environ, **emulator.environment(), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_a_local_file_goes_up_and_comes_back_into_a_folder(
    emulator: Emulator, tmp_path: Path
) -> None:
    local = tmp_path / "quote.pdf"
    local.write_bytes(b"%PDF quote")
    cfg = json.dumps(cfg_for(emulator))
    msg = json.dumps({"body": {"attachTo": {"type": "item", "id": 5001}}})
    (uploaded,) = run(
        emulator, "uploadFile", "--cfg", cfg, "--msg", msg, "--attach", f"doc={local}"
    )
    assert (uploaded["body"]["name"], uploaded["body"]["size"]) == ("doc.pdf", 10)
    folder = tmp_path / "out"
    file_msg = json.dumps({"body": {"file_id": uploaded["body"]["file_id"]}})
    (downloaded,) = run(
        emulator, "downloadFiles", "--cfg", cfg, "--msg", file_msg, "--attachments-dir", str(folder)
    )
    (attachment,) = downloaded["attachments"].values()
    assert Path(attachment["url"]).parent == folder.resolve()
    assert Path(attachment["url"]).read_bytes() == b"%PDF quote"
