"""Benchmarks of `podio-component sailor` on the local RabbitMQ.

Each run starts real sailor processes on a freshly declared step, publishes encrypted
messages, drains the outputs, and reads the processes' CPU time and RSS from /proc.
"""

from __future__ import annotations

import datetime
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from podio_component.emulator import Emulator
from podio_component.emulator.platform.flow import EmulatedStep
from tests.runtime.sailors import Sailor, runtime_env

TOKEN = "bench-access-token-0123456789abcdef"
TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
LIFTED = {"ELASTICIO_DATA_RATE_LIMIT": "100000", "LOG_LEVEL": "info"}
ECHO = {"ELASTICIO_COMPONENT_PATH": "tests/components/events", "ELASTICIO_FUNCTION": "echo"}


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def rss_bytes(pid: int) -> int:
    return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE


class Run:
    """Sailor processes on one fresh step, with the platform API of an emulator."""

    def __init__(
        self,
        amqp_url: str,
        emulator: Emulator,
        podio_url: str,
        env: dict[str, str],
        processes: int = 1,
        fields: dict[str, Any] | None = None,
    ) -> None:
        self.flow = EmulatedStep(amqp_url).declare()
        cfg = {"oauth": {"access_token": TOKEN}, "retries": "0", **(fields or {})}
        base = runtime_env(emulator, self.flow, cfg, PODIO_API_URL=podio_url)
        base.update(env)
        base.pop("PYTHONDONTWRITEBYTECODE", None)  # a container image ships compiled files
        logs = Path(tempfile.mkdtemp())
        spawned = time.time()
        self.sailors = [
            Sailor({**base, "ELASTICIO_CONTAINER_ID": f"c{n}"}, logs / f"s{n}.log")
            for n in range(processes)
        ]
        for sailor in self.sailors:
            sailor.wait_consuming(60)
        self.start_seconds = [_consuming_at(s) - spawned for s in self.sailors]

    def cpu(self) -> float:
        return sum(cpu_seconds(s.process.pid) for s in self.sailors)

    def rss(self) -> int:
        return sum(rss_bytes(s.process.pid) for s in self.sailors)

    def push(self, count: int, body: dict[str, Any]) -> float:
        """Publish count messages, wait for all their outputs; the seconds it took."""
        started = time.perf_counter()
        for _ in range(count):
            self.flow.publish(body)
        got = self.flow.drain("data", count, timeout=120)
        if got != count:
            log = self.sailors[0].text()
            raise RuntimeError(f"{got} of {count} outputs; the sailor's log:\n{log}")
        return time.perf_counter() - started

    def close(self) -> None:
        for sailor in self.sailors:
            sailor.stop()
        self.flow.delete()


def _consuming_at(sailor: Sailor) -> float:
    for line in sailor.lines():
        if "Fully initialized" in str(line.get("msg")):
            stamp = line["time"].replace("Z", "+00:00")
            return datetime.datetime.fromisoformat(stamp).timestamp()
    raise RuntimeError("no start line")


def cpu_per_message(
    amqp_url: str, emulator: Emulator, podio_url: str, n: int, env: dict[str, str]
) -> dict[str, float]:
    run = Run(amqp_url, emulator, podio_url, env)
    try:
        run.push(max(20, n // 10), {"method": "GET", "url": "/item/1"})  # warm up
        cpu = run.cpu()
        seconds = run.push(n, {"method": "GET", "url": "/item/1"})
        return {"cpu_ms": (run.cpu() - cpu) / n * 1000, "msgs_per_s": n / seconds}
    finally:
        run.close()


def throughput(
    amqp_url: str, emulator: Emulator, podio_url: str, n: int, prefetch: int, processes: int
) -> float:
    env = {**LIFTED, "ELASTICIO_RABBITMQ_PREFETCH_SAILOR": str(prefetch)}
    run = Run(amqp_url, emulator, podio_url, env, processes)
    try:
        slow = {"method": "GET", "url": "/slow/50/item"}
        run.push(processes * prefetch, slow)  # warm up
        return n / run.push(n, slow)
    finally:
        run.close()


def memory(amqp_url: str, emulator: Emulator, podio_url: str, n: int) -> dict[str, float]:
    run = Run(amqp_url, emulator, podio_url, LIFTED)
    try:
        run.push(n // 5, {"method": "GET", "url": "/item/1"})
        after_first = run.rss()
        run.push(n - n // 5, {"method": "GET", "url": "/item/1"})
        after_all = run.rss()
        return {
            "rss_mb_after_first_fifth": after_first / 2**20,
            "rss_mb_after_all": after_all / 2**20,
            "growth_bytes_per_message": (after_all - after_first) / (n - n // 5),
        }
    finally:
        run.close()


def prefetch(value: int) -> dict[str, str]:
    return {"ELASTICIO_RABBITMQ_PREFETCH_SAILOR": str(value)}


def bench_runtime(
    amqp_url: str, podio_url: str, component_cpu_ms: float, quick: bool
) -> dict[str, Any]:
    n = 50 if quick else 2000
    slow_n = 40 if quick else 400
    with Emulator() as emulator:
        real = {
            p: cpu_per_message(amqp_url, emulator, podio_url, n, {**LIFTED, **prefetch(p)})
            for p in (1, 10)
        }
        echo = {
            p: cpu_per_message(amqp_url, emulator, podio_url, n, {**LIFTED, **ECHO, **prefetch(p)})
            for p in (1, 10)
        }
        scaling = {
            "prefetch_1": throughput(amqp_url, emulator, podio_url, slow_n, 1, 1),
            "prefetch_10": throughput(amqp_url, emulator, podio_url, slow_n, 10, 1),
            "two_processes_prefetch_1": throughput(amqp_url, emulator, podio_url, slow_n, 1, 2),
        }
        starts: list[float] = []
        for _ in range(3 if quick else 9):
            run = Run(amqp_url, emulator, podio_url, LIFTED)
            starts += run.start_seconds
            run.close()
        default_throttle = {"LOG_LEVEL": "info", **ECHO, **prefetch(10)}
        throttled = cpu_per_message(
            amqp_url, emulator, podio_url, 100 if quick else 1000, default_throttle
        )
        rss = memory(amqp_url, emulator, podio_url, 250 if quick else 5000)
    overhead = real[1]["cpu_ms"] - component_cpu_ms
    return {
        "component_cpu_ms": component_cpu_ms,
        "sailor_cpu_ms": {f"prefetch_{p}": v["cpu_ms"] for p, v in real.items()},
        "runtime_overhead_ms": overhead,
        "runtime_overhead_vs_component": overhead / component_cpu_ms,
        "echo_cpu_ms": {f"prefetch_{p}": v["cpu_ms"] for p, v in echo.items()},
        "echo_msgs_per_s": {f"prefetch_{p}": v["msgs_per_s"] for p, v in echo.items()},
        "slow_podio_msgs_per_s": scaling,
        "prefetch_10_vs_1": scaling["prefetch_10"] / scaling["prefetch_1"],
        "two_processes_vs_one": scaling["two_processes_prefetch_1"] / scaling["prefetch_1"],
        "start_to_consuming_s": statistics.median(starts),
        "default_throttle_msgs_per_s": throttled["msgs_per_s"],
        "memory": rss,
    }


def report(r: dict[str, Any]) -> list[str]:
    cpu, echo, slow, mem = (
        r["sailor_cpu_ms"],
        r["echo_cpu_ms"],
        r["slow_podio_msgs_per_s"],
        r["memory"],
    )
    return [
        "runtime (podio-component sailor on the local RabbitMQ)",
        f"  sailor CPU per message, keep-alive Podio: prefetch 1 {cpu['prefetch_1']:.2f} ms, "
        f"prefetch 10 {cpu['prefetch_10']:.2f} ms",
        f"  runtime overhead (sailor minus the component's own {r['component_cpu_ms']:.2f} ms): "
        f"{r['runtime_overhead_ms']:.2f} ms = {r['runtime_overhead_vs_component']:.2f}x "
        "(the targets in force are beside the Node.js runtime: make bench-node)",
        f"  echo action (runtime only): prefetch 1 {echo['prefetch_1']:.2f} ms, prefetch 10 "
        f"{echo['prefetch_10']:.2f} ms (the Node.js runtime side by side: make bench-node)",
        f"  slow Podio (50 ms): prefetch 1 {slow['prefetch_1']:.1f}/s, prefetch 10 "
        f"{slow['prefetch_10']:.1f}/s = {r['prefetch_10_vs_1']:.1f}x (target >= 8x); "
        f"two processes {r['two_processes_vs_one']:.2f}x one",
        f"  start to consuming: {r['start_to_consuming_s']:.3f} s",
        f"  default data throttle: {r['default_throttle_msgs_per_s']:.0f} messages/s "
        "(the Node.js runtime's default allows 100)",
        f"  RSS {mem['rss_mb_after_first_fifth']:.1f} -> {mem['rss_mb_after_all']:.1f} MiB, "
        f"{mem['growth_bytes_per_message']:.1f} bytes/message",
    ]
