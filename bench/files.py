"""Files: a file's round trip Podio -> the platform's storage -> Podio through the component
(Download Files, then Upload File from the attachment), in a process of its own whose memory
is read from /proc, beside bare streamed `requests` calls moving the same bytes; the
emulator runs in another process, so neither its CPU nor its memory is counted.

    python -m bench.files child FILE_ID   (the component's side, printing JSON)
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
from requests_toolbelt import MultipartEncoder

ROOT = Path(__file__).resolve().parent.parent
CHUNK = 64 * 1024
TARGET = 0.9  # the component's throughput / bare requests'
RSS_BOUND = 32 * 1024 * 1024

SERVE = """
import json, threading
from podio_component.emulator import Emulator, Limits
with Emulator(limits=Limits(rate_limit=10**9, limited_rate_limit=10**9)) as emulator:
    token = emulator.issue_token()["access_token"]
    print(json.dumps({**emulator.environment(), "token": token}), flush=True)
    threading.Event().wait()
"""


@contextmanager
def emulator_process() -> Iterator[dict[str, str]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVE],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        yield json.loads(proc.stdout.readline())
    finally:
        proc.terminate()
        proc.wait(10)


def put_file(env: dict[str, str], size: int, name: str = "payload.zip") -> tuple[int, str]:
    """A file of `size` random bytes uploaded to the emulated Podio (streamed): its id and
    its SHA-256."""
    digest = hashlib.sha256()
    with tempfile.TemporaryFile() as source:
        left = size
        while left:
            chunk = os.urandom(min(CHUNK * 16, left))
            digest.update(chunk)
            source.write(chunk)
            left -= len(chunk)
        source.seek(0)
        encoder = MultipartEncoder(
            fields={"source": (name, source, "application/zip"), "filename": name}
        )
        answer = requests.post(
            f"{env['PODIO_API_URL']}/file/",
            data=encoder,
            headers={
                "Authorization": f"OAuth2 {env['token']}",
                "Content-Type": encoder.content_type,
            },
            timeout=300,
        )
    answer.raise_for_status()
    return int(answer.json()["file_id"]), digest.hexdigest()


def podio_sha256(env: dict[str, str], file_id: int) -> str:
    digest = hashlib.sha256()
    with requests.get(
        f"{env['PODIO_API_URL']}/file/{file_id}/raw",
        headers={"Authorization": f"OAuth2 {env['token']}"},
        stream=True,
        timeout=300,
    ) as answer:
        for chunk in answer.iter_content(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def round_trip(env: dict[str, str], file_id: int) -> dict[str, Any]:
    """The component's round trip in a process of its own: seconds, memory and the new file."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.files", "child", str(file_id)],
        cwd=ROOT,
        env={
            **os.environ,
            **{k: v for k, v in env.items() if k != "token"},
            "BENCH_TOKEN": env["token"],
        },
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def child(file_id: int) -> dict[str, Any]:
    from podio_component.actions import download_files, upload_file
    from podio_component.contract import events

    cfg = {"oauth": {"access_token": os.environ["BENCH_TOKEN"]}, "retries": "0"}
    with events.collect():  # warm: imports, the session, a small file both ways
        download_files.process({"body": {"file_id": 7002}}, cfg)
    before = _status("VmRSS")
    started = time.perf_counter()
    with events.collect() as collected:
        download_files.process({"body": {"file_id": file_id}}, cfg)
    downloaded = time.perf_counter()
    (message,) = collected.data
    uploaded = upload_file.process({"body": {}, "attachments": message["attachments"]}, cfg)
    finished = time.perf_counter()
    return {
        "download_s": downloaded - started,
        "upload_s": finished - downloaded,
        "rss_growth": _status("VmHWM") - before,
        "new_file_id": uploaded["body"]["file_id"],
    }


def bare(env: dict[str, str], file_id: int) -> dict[str, float]:
    """The same bytes moved by bare streamed requests: Podio -> a file -> storage, then the
    storage -> a file -> Podio."""
    auth = {"Authorization": f"OAuth2 {env['token']}"}
    storage = {"Authorization": f"Bearer {env['ELASTICIO_OBJECT_STORAGE_TOKEN']}"}
    with tempfile.TemporaryFile() as held:
        started = time.perf_counter()
        with requests.get(
            f"{env['PODIO_API_URL']}/file/{file_id}/raw", headers=auth, stream=True, timeout=300
        ) as answer:
            for chunk in answer.iter_content(CHUNK):
                held.write(chunk)
        held.seek(0)
        stored = requests.post(
            f"{env['ELASTICIO_OBJECT_STORAGE_URI']}/objects",
            data=held,
            headers={**storage, "Content-Type": "application/zip"},
            timeout=300,
        ).json()["objectId"]
        downloaded = time.perf_counter()
    with tempfile.TemporaryFile() as held:
        with requests.get(
            f"{env['ELASTICIO_OBJECT_STORAGE_URI']}/objects/{stored}",
            headers=storage,
            stream=True,
            timeout=300,
        ) as answer:
            for chunk in answer.iter_content(CHUNK):
                held.write(chunk)
        held.seek(0)
        encoder = MultipartEncoder(
            fields={"source": ("p.zip", held, "application/zip"), "filename": "p.zip"}
        )
        requests.post(
            f"{env['PODIO_API_URL']}/file/",
            data=encoder,
            headers={**auth, "Content-Type": encoder.content_type},
            timeout=300,
        ).raise_for_status()
        finished = time.perf_counter()
    return {"download_s": downloaded - started, "upload_s": finished - downloaded}


def bench_files(quick: bool) -> dict[str, Any]:
    size = (5 if quick else 100) * 1024 * 1024
    with emulator_process() as env:
        file_id, digest = put_file(env, size)
        rounds = []
        for _ in range(1 if quick else 3):  # interleaved: the machine's drift hits both
            component = round_trip(env, file_id)
            assert podio_sha256(env, component["new_file_id"]) == digest
            rounds.append((component, bare(env, file_id)))
    best = {
        side: min(sum(r[index][k] for k in ("download_s", "upload_s")) for r in rounds)
        for index, side in enumerate(("component", "bare"))
    }
    return {
        "size_mb": size / 2**20,
        "component_mb_s": size / 2**20 / best["component"],
        "bare_mb_s": size / 2**20 / best["bare"],
        "throughput_vs_bare": best["bare"] / best["component"],
        "rss_growth_mib": max(r[0]["rss_growth"] for r in rounds) / 2**20,
    }


def report(r: dict[str, Any]) -> list[str]:
    return [
        f"Files: a {r['size_mb']:.0f} MB round trip Podio -> storage -> Podio (emulator in its "
        f"own process): component {r['component_mb_s']:.0f} MB/s, bare streamed requests "
        f"{r['bare_mb_s']:.0f} MB/s: {r['throughput_vs_bare']:.2f}x (target >= {TARGET}x); RSS "
        f"growth {r['rss_growth_mib']:.1f} MiB (bound {RSS_BOUND // 2**20} MiB)",
    ]


def _status(name: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1]) * 1024
    raise KeyError(name)


if __name__ == "__main__":
    if sys.argv[1:2] == ["child"]:
        print(json.dumps(child(int(sys.argv[2]))))
    else:
        print("\n".join(report(bench_files("--quick" in sys.argv))))
