"""`make bench-node`: this runtime and the Node.js runtime (elasticio-sailor-nodejs 2.7.8,
installed from npm into a temporary directory) side by side on one broker.

Both run an echo action with the data throttle lifted. They are measured interleaved, in
rounds: the input queue is filled first, so that the bench publishes nothing while a
runtime works, and the runtime's whole-process CPU (from /proc) is read when it has
answered the warm-up messages and again when it has answered the measured ones (the bench
only watches the output queue's depth). Also start to consuming (until the broker shows the
queue's consumer) and RSS. Nothing is
remembered between runs: a missing Node.js or npm is an error, never an old figure.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.runtime import ECHO, LIFTED, cpu_seconds, rss_bytes
from podio_component.emulator import Emulator
from podio_component.emulator.platform.flow import EmulatedStep
from tests import broker
from tests.runtime.sailors import runtime_env

ROOT = Path(__file__).resolve().parent.parent
NODE_SAILOR = "elasticio-sailor-nodejs@2.7.8"
ECHO_JS = """'use strict';
// The stand-in echo action: emits the body it was given, as the Python echo does.
exports.process = async function process(msg) {
    return { body: msg.body };
};
"""
COMPONENT_JSON = {
    "title": "Echo (bench)",
    "description": "The Node.js runtime's stand-in for tests/components/events echo.",
    "credentials": {"fields": {}},
    "actions": {"echo": {"title": "Echo", "main": "./echo.js", "metadata": {"in": {}}}},
}


def install_node_sailor(directory: Path) -> Path:
    """npm install the Node.js runtime and write the echo component; returns its run.js."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            raise SystemExit(f"make bench-node needs {tool}, which is not installed here")
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--silent", NODE_SAILOR],
        cwd=directory,
        check=True,
    )
    (directory / "component.json").write_text(json.dumps(COMPONENT_JSON))
    (directory / "echo.js").write_text(ECHO_JS)
    return directory / "node_modules" / "elasticio-sailor-nodejs" / "run.js"


class Runtime:
    """One runtime process consuming a fresh step whose input queue is already full."""

    def __init__(
        self,
        kind: str,
        run_js: Path,
        emulator: Emulator,
        prefetch: int,
        messages: int,
        pin: bool = True,
    ) -> None:
        self.kind = kind
        self.flow = EmulatedStep(broker.AMQP_URL).declare()
        for _ in range(messages):
            self.flow.publish({"echo": "hello"})
        env = runtime_env(emulator, self.flow, {}, LOG_LEVEL="info")
        env.update(LIFTED)
        env["ELASTICIO_RABBITMQ_PREFETCH_SAILOR"] = str(prefetch)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in close())
        started = time.monotonic()
        if kind == "python":
            env.update(ECHO, PODIO_PIN_CPU="true" if pin else "false")
            command, cwd = [sys.executable, "-m", "podio_component", "sailor"], ROOT
        else:
            env.update(ELASTICIO_FUNCTION="echo", ELASTICIO_COMPONENT_PATH="")
            command, cwd = ["node", str(run_js)], run_js.parents[2]
        self.process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )
        self.start_seconds = self._wait(lambda: self.flow.consumers() > 0, started) - started

    def _wait(self, done: Callable[[], bool], since: float, timeout: float = 180) -> float:
        while not done():
            if self.process.poll() is not None or time.monotonic() - since > timeout:
                self._log.seek(0)
                raise RuntimeError(f"{self.kind} stopped short:\n{self._log.read().decode()}")
            time.sleep(0.01)
        return time.monotonic()

    def cpu_when_answered(self, count: int) -> float:
        """The process's CPU seconds once `count` outputs are on the data queue."""
        self._wait(lambda: self.flow.depth("data") >= count, time.monotonic())
        return cpu_seconds(self.process.pid)

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(30)
        self._log.close()
        self.flow.delete()


def measure(run_js: Path, rounds: int, warm: int, n: int, pin: bool = True) -> dict[str, Any]:
    samples: dict[str, list[float]] = {}
    with Emulator() as emulator:
        for _ in range(rounds):
            for prefetch in (1, 10):
                for kind in ("python", "node"):  # interleaved: drift hits both alike
                    runtime = Runtime(kind, run_js, emulator, prefetch, warm + n, pin)
                    try:
                        warmed = runtime.cpu_when_answered(warm)
                        cpu = (runtime.cpu_when_answered(warm + n) - warmed) / n
                        rss = rss_bytes(runtime.process.pid)
                    finally:
                        runtime.close()
                    samples.setdefault(f"{kind}_cpu_us_prefetch_{prefetch}", []).append(cpu * 1e6)
                    samples.setdefault(f"{kind}_start_s", []).append(runtime.start_seconds)
                    samples.setdefault(f"{kind}_rss_mib", []).append(rss / 2**20)
    result: dict[str, Any] = {
        "pinned_to_one_core": pin,
        "rounds": rounds,
        "warm_up_messages": warm,
        "messages": n,
        "min": {k: min(v) for k, v in samples.items()},
        "median": {k: statistics.median(v) for k, v in samples.items()},
    }
    median = result["median"]
    result["ratios_of_medians"] = {
        "cpu_prefetch_1": median["python_cpu_us_prefetch_1"] / median["node_cpu_us_prefetch_1"],
        "cpu_prefetch_10": median["python_cpu_us_prefetch_10"] / median["node_cpu_us_prefetch_10"],
        "start": median["python_start_s"] / median["node_start_s"],
        "rss": median["python_rss_mib"] / median["node_rss_mib"],
    }
    return result


def report(r: dict[str, Any]) -> str:
    med, low, ratio = r["median"], r["min"], r["ratios_of_medians"]
    lines = [
        f"this runtime vs the Node.js runtime ({NODE_SAILOR}), echo action, "
        f"{r['rounds']} interleaved rounds of {r['messages']} messages "
        f"after {r['warm_up_messages']}",
        "| | this runtime (median / min) | Node.js (median / min) | ratio of medians | target |",
        "|---|---|---|---|---|",
    ]
    for prefetch, target in ((1, "<= 0.85"), (10, "<= 0.95")):
        key = f"cpu_us_prefetch_{prefetch}"
        lines.append(
            f"| CPU per message, prefetch {prefetch} | {med['python_' + key]:.0f} / "
            f"{low['python_' + key]:.0f} µs | {med['node_' + key]:.0f} / {low['node_' + key]:.0f} "
            f"µs | {ratio[f'cpu_prefetch_{prefetch}']:.2f} | {target} |"
        )
    lines.append(
        f"| start to consuming | {med['python_start_s']:.2f} s | {med['node_start_s']:.2f} s "
        f"| {ratio['start']:.2f} | < 1 |"
    )
    lines.append(
        f"| RSS | {med['python_rss_mib']:.0f} MiB | {med['node_rss_mib']:.0f} MiB "
        f"| {ratio['rss']:.2f} | < 1 |"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.node", description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warm", type=int, default=3000)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument(
        "--no-pin", action="store_true", help="this runtime with PODIO_PIN_CPU=false"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.json")
    args = parser.parse_args(argv)
    broker.ensure()
    with tempfile.TemporaryDirectory() as directory:
        run_js = install_node_sailor(Path(directory))
        result = measure(run_js, args.rounds, args.warm, args.messages, not args.no_pin)
    print(report(result))
    results = json.loads(args.out.read_text()) if args.out.exists() else {}
    results["node_side_by_side" if not args.no_pin else "node_side_by_side_unpinned"] = result
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
