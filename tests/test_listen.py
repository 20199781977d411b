"""`podio-component listen itemEvents` as a person runs it, a subprocess against the emulator:
the gateway's URL on stderr, each emitted message a JSON line on stdout, Ctrl-C or SIGTERM
removing the hooks; a flow kept in --snapshot FILE that a later listen adopts or cleans up
after a kill; --public-url through the emulator's hook routes."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from podio_component.emulator import Emulator
from tests.helpers import ROOT, PodioApi, cfg_for


class Listening:
    """A running `listen`: its stdout lines gathered as they come."""

    def __init__(self, emulator: Emulator, *args: str) -> None:
        cfg = json.dumps(cfg_for(emulator, app="30"))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "podio_component", "listen", "itemEvents", "--cfg", cfg, *args],
            cwd=ROOT,
            env={**os.environ, **emulator.environment()},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stderr is not None and self.proc.stdout is not None
        first = self.proc.stderr.readline()
        found = re.search(r"listening on (\S+)", first)
        assert found, first + self.proc.stderr.read()
        self.url = found.group(1)
        self.lines: list[dict[str, Any]] = []
        self.errors: list[str] = []
        self._follow(self.proc.stdout, lambda line: self.lines.append(json.loads(line)))
        self._follow(self.proc.stderr, self.errors.append)

    def _follow(self, stream: IO[str], keep: Any) -> None:
        def read() -> None:
            for line in stream:
                keep(line)

        threading.Thread(target=read, daemon=True).start()

    def wait_for(self, count: int, timeout: float = 20) -> list[dict[str, Any]]:
        until = time.monotonic() + timeout
        while len(self.lines) < count:
            assert self.proc.poll() is None, "".join(self.errors)
            assert time.monotonic() < until, f"{len(self.lines)} of {count} lines"
            time.sleep(0.05)
        return [line["body"] for line in self.lines]

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> int:
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=30)


@pytest.fixture
def listening() -> Iterator[list[Listening]]:
    started: list[Listening] = []
    yield started
    for one in started:
        if one.proc.poll() is None:
            one.proc.kill()
            one.proc.wait()


def podio(emulator: Emulator, method: str, path: str, **kwargs: Any) -> Any:
    return PodioApi(emulator).call(method, path, **kwargs)


def hooks_ready(emulator: Emulator, url: str, timeout: float = 20) -> list[dict[str, Any]]:
    """The app's hooks, once two of them (created and updated) are active at `url`."""
    until = time.monotonic() + timeout
    while True:
        hooks = podio(emulator, "GET", "/hook/app/30/")
        ready = [h for h in hooks if h["status"] == "active" and h["url"].startswith(url)]
        if len(ready) == 2:
            return list(hooks)
        assert time.monotonic() < until, hooks
        time.sleep(0.05)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_listen_prints_each_event_and_removes_its_hooks_when_stopped(
    emulator: Emulator, listening: list[Listening], sig: signal.Signals
) -> None:
    listening.append(run := Listening(emulator))
    assert run.url.startswith("http://127.0.0.1:")
    hooks_ready(emulator, run.url)
    item_id = podio(emulator, "POST", "/item/app/30/", json={"fields": {"title": "hi"}})["item_id"]
    podio(emulator, "PUT", f"/item/{item_id}", json={"fields": {"title": "hello"}})
    created, updated = run.wait_for(2)
    assert (created["event"], updated["event"]) == ("created", "updated")
    assert updated["changes"] == [{"field": "title", "label": "Title", "from": "hi", "to": "hello"}]
    assert run.stop(sig) == 0
    assert podio(emulator, "GET", "/hook/app/30/") == []
    assert any("hooks are removed" in line for line in run.errors)


def test_a_later_listen_with_the_same_file_is_the_same_flow_and_cleans_up_after_a_kill(
    emulator: Emulator, listening: list[Listening], tmp_path: Path
) -> None:
    kept = tmp_path / "flow.json"
    listening.append(first := Listening(emulator, "--snapshot", str(kept)))
    old = {h["hook_id"] for h in hooks_ready(emulator, first.url)}
    item_id = podio(emulator, "POST", "/item/app/30/", json={"fields": {"title": "a"}})["item_id"]
    first.wait_for(1)
    state = json.loads(kept.read_text())
    revision = first.lines[0]["body"]["item_revision_id"]
    assert state["snapshot"]["handled"] == f"{item_id}:{revision}"
    assert kept.stat().st_mode & 0o777 == 0o600
    first.stop(signal.SIGKILL)  # no shutdown: its hooks point at a dead port

    listening.append(second := Listening(emulator, "--snapshot", str(kept)))
    assert second.url.rsplit("/", 1)[1] == first.url.rsplit("/", 1)[1]  # the same flow id
    now = hooks_ready(emulator, second.url)
    assert len(now) == 2 and not old & {h["hook_id"] for h in now}  # the old ones removed
    assert all(h["url"].startswith(second.url) for h in now)
    assert second.stop() == 0
    assert json.loads(kept.read_text())["flow"]["record"] is None


def test_public_url_is_what_podio_calls(emulator: Emulator, listening: list[Listening]) -> None:
    port = _free_port()
    emulator.world.hooks.routes.append(("https://tunnel.example", f"http://127.0.0.1:{port}"))
    emulator.world.hooks.strict_ports = True  # as Podio: the tunnel is on 443
    listening.append(
        run := Listening(emulator, "--port", str(port), "--public-url", "https://tunnel.example")
    )
    hooks = hooks_ready(emulator, "https://tunnel.example/hook/listen-")
    assert len(hooks) == 2
    podio(emulator, "POST", "/item/app/30/", json={"fields": {"title": "through"}})
    (created,) = run.wait_for(1)
    assert created["item"]["title"] == "through"


def test_listen_refuses_a_polling_trigger_and_a_plain_http_public_url(emulator: Emulator) -> None:
    cfg = json.dumps(cfg_for(emulator, app="30"))
    command = [sys.executable, "-m", "podio_component", "listen"]
    polling = subprocess.run(
        [*command, "newAndUpdatedItems", "--cfg", cfg], capture_output=True, text=True, check=False
    )
    assert polling.returncode == 2
    assert "use `run newAndUpdatedItems`" in polling.stderr
    plain = subprocess.run(
        [*command, "itemEvents", "--cfg", cfg, "--public-url", "http://tunnel.example"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert plain.returncode != 0 and "--public-url" in plain.stderr and "https" in plain.stderr


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
