"""Item actions: CPU per Create Item against Make Raw Request sending the same POST, and
Find Items' Podio calls per 1,000 items found. The emulator runs in a process of its own,
so its CPU is not counted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from typing import Any

from podio_component.actions import create_item, find_items, make_raw_request
from podio_component.contract import events
from podio_component.emulator import Emulator
from podio_component.items.app_fields import forget_app_fields
from podio_component.settings import reload_environment

# The emulator with Podio's hourly budget lifted: a benchmark makes thousands of calls.
SERVE = """
import json, threading
from podio_component.emulator import Emulator, Limits
with Emulator(limits=Limits(rate_limit=10**9, limited_rate_limit=10**9)) as emulator:
    token = emulator.issue_token()["access_token"]
    print(json.dumps({**emulator.environment(), "token": token}), flush=True)
    threading.Event().wait()
"""


def _emulator() -> tuple[subprocess.Popen[str], dict[str, str]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVE], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert proc.stdout is not None
    env: dict[str, str] = json.loads(proc.stdout.readline())
    return proc, env


def _cpu_per_call(fn: Any, n: int) -> float:
    started = time.process_time()
    for _ in range(n):
        fn()
    return (time.process_time() - started) / n


def bench_items(quick: bool) -> dict[str, Any]:
    n = 30 if quick else 300
    proc, env = _emulator()
    try:
        os.environ.update({k: v for k, v in env.items() if k != "token"})
        reload_environment()
        forget_app_fields()
        cfg = {"oauth": {"access_token": env["token"]}, "retries": "0", "app": "40"}
        fields = {"title": "Bench", "count": 3, "stage": 2}
        raw = {"method": "POST", "url": "/item/app/40/", "data": {"fields": fields}}
        create = {"title": "Bench", "count": 3, "stage": "Negotiation"}

        def one_create() -> None:
            create_item.process({"body": create}, cfg)

        def one_raw() -> None:
            make_raw_request.process({"body": raw}, cfg)

        for fn in (one_create, one_raw):  # warm caches and connections
            _cpu_per_call(fn, 10)
        rounds = [(_cpu_per_call(one_create, n), _cpu_per_call(one_raw, n)) for _ in range(3)]
        create_cpu = min(r[0] for r in rounds)
        raw_cpu = min(r[1] for r in rounds)
    finally:
        proc.terminate()
        proc.wait(10)
    found, calls = _find_calls()
    return {
        "create_item_cpu_us": create_cpu * 1e6,
        "raw_post_cpu_us": raw_cpu * 1e6,
        "create_vs_raw": create_cpu / raw_cpu,
        "find_found": found,
        "find_calls": calls,
    }


def _find_calls() -> tuple[int, int]:
    """Items found and filter calls made, counted at an emulator, for 1,000 of 1,200."""
    with Emulator() as emulator:
        os.environ.update(emulator.environment())
        reload_environment()
        forget_app_fields()
        emulator.world.items.add(40, [{"title": f"n{n}"} for n in range(1200)])
        token = emulator.issue_token()["access_token"]
        cfg = {"oauth": {"access_token": token}, "app": "40", "maxItems": "1000"}
        with events.collect() as collected:
            find_items.process({"body": {}}, cfg)
        return len(collected.data), emulator.log.count("POST", "/item/app/40/filter/")


def report(r: dict[str, Any]) -> list[str]:
    return [
        "Item actions (emulator in its own process)",
        f"  Create Item {r['create_item_cpu_us']:.0f} µs CPU per message, Make Raw Request "
        f"with the same POST {r['raw_post_cpu_us']:.0f} µs: {r['create_vs_raw']:.2f}x "
        "(Create Item also reads the item back: two requests to one)",
        f"  Find Items: {r['find_found']} items found in {r['find_calls']} Podio calls",
    ]
