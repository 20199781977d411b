"""`make lifecycle-node`: the lifecycle scenarios of tests/runtime/test_lifecycle.py run under
this runtime and under the Node.js runtime (elasticio-sailor-nodejs 2.7.8, installed from npm
into a temporary directory), with a JavaScript stand-in of the test trigger, on one broker
and one emulated platform. It prints, side by side, what each did: the exit, the trigger's
calls, the hooks-data requests and the error it reported. Not part of `make test`.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.node import NODE_SAILOR, ROOT
from podio_component.emulator import Emulator
from podio_component.emulator.platform.flow import EmulatedStep
from podio_component.runtime import sailor_settings
from tests import broker
from tests.runtime.sailors import runtime_env

RECORDER_JS = """'use strict';
// The JavaScript stand-in of tests/components/lifecycle/recorder_trigger.py.
const fs = require('fs');
function record(call, cfg, data) {
    const line = {call, cfg, data: data === undefined ? null : data, at: Date.now() / 1000};
    fs.appendFileSync(process.env.LIFECYCLE_RECORD, JSON.stringify(line) + '\\n');
    if (cfg.fail === call) { throw new Error(call + ' failed on purpose'); }
}
exports.startup = async function startup(cfg) {
    record('startup', cfg);
    return cfg.startupResult === undefined ? {subscription: 's-1'} : cfg.startupResult;
};
exports.init = async function init(cfg) { record('init', cfg); };
exports.shutdown = async function shutdown(cfg, data) { record('shutdown', cfg, data); };
exports.process = async function process(msg, cfg, snapshot) {
    record('process', cfg, {msg, snapshot});
    this.emit('data', {body: msg});
};
"""
COMPONENT_JSON = {
    "title": "Lifecycle (Node stand-in)",
    "description": "The Node.js runtime's stand-in for tests/components/lifecycle recorder.",
    "credentials": {"fields": {}},
    "triggers": {"recorder": {"title": "Recorder", "main": "./recorder.js", "metadata": {}}},
}
# name: (cfg, extra environment, startup data kept before, a shutdown container)
SCENARIOS: dict[str, tuple[dict[str, Any], dict[str, str], Any, bool]] = {
    "startup keeps its result": ({}, {"ELASTICIO_STARTUP_REQUIRED": "1"}, None, False),
    "an empty startup result": (
        {"startupResult": None},
        {"ELASTICIO_STARTUP_REQUIRED": "1"},
        None,
        False,
    ),
    "data kept already (409)": ({}, {"ELASTICIO_STARTUP_REQUIRED": "1"}, {"old": 1}, False),
    "startup fails": ({"fail": "startup"}, {"ELASTICIO_STARTUP_REQUIRED": "1"}, None, False),
    "init fails": ({"fail": "init"}, {}, None, False),
    "init alone (a second container)": ({}, {}, None, False),
    "shutdown with data": ({}, {}, {"subscription": "s-9"}, True),
    "shutdown without data": ({}, {}, None, True),
    "shutdown fails": ({"fail": "shutdown"}, {}, {"subscription": "s-9"}, True),
}


def install(directory: Path) -> Path:
    from bench.node import install_node_sailor

    run_js = install_node_sailor(directory)
    (directory / "component.json").write_text(json.dumps(COMPONENT_JSON))
    (directory / "recorder.js").write_text(RECORDER_JS)
    return run_js


def run_scenario(kind: str, run_js: Path, emulator: Emulator, name: str) -> dict[str, Any]:
    cfg, extra, kept, shutdown = SCENARIOS[name]
    step = EmulatedStep(broker.AMQP_URL).declare()
    record = Path(tempfile.mkstemp(suffix=".jsonl")[1])
    try:
        env = {**runtime_env(emulator, step, {"app": "30", **cfg}), **extra}
        env["LIFECYCLE_RECORD"] = str(record)
        env["ELASTICIO_FUNCTION"] = "recorder"
        if kind == "python":
            env["ELASTICIO_COMPONENT_PATH"] = "tests/components/lifecycle"
            command, cwd = [sys.executable, "-m", "podio_component", "sailor"], ROOT
        else:
            env["ELASTICIO_COMPONENT_PATH"] = ""
            command, cwd = ["node", str(run_js)], run_js.parents[2]
        if shutdown:
            env = {
                k: v
                for k, v in env.items()
                if k.removeprefix("ELASTICIO_") not in sailor_settings.MESSAGING
            }
            env["ELASTICIO_HOOK_SHUTDOWN"] = "1"
        if kept is not None:
            emulator.platform.startup_data[step.flow_id] = kept
        before = len(emulator.log.entries())
        process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        exit_code = _outcome(process, step, shutdown)
        hooks = [
            (e.method, json.loads(e.body) if e.body else None)
            for e in emulator.log.entries()[before:]
            if "/sailor-support/hooks/" in e.path
        ]
        calls = [json.loads(line) for line in record.read_text().splitlines()]
        error = None
        if not shutdown and step.depth("error"):
            (received,) = step.take("error")
            reported = step.cipher.decrypt(json.loads(received.body)["error"].encode(), 1)
            error = {"message": reported["message"], "headers": sorted(received.headers)}
        return {
            "exit": exit_code,
            "calls": [c["call"] for c in calls],
            "shutdown got": next((c["data"] for c in calls if c["call"] == "shutdown"), "-"),
            "hooks data": hooks,
            "kept after": emulator.platform.startup_data.pop(step.flow_id, None),
            "error reported": error,
        }
    finally:
        record.unlink(missing_ok=True)
        step.delete()


def _outcome(process: subprocess.Popen[bytes], step: EmulatedStep, shutdown: bool) -> Any:
    """The exit code, or "consuming" for a container that started."""
    until = time.monotonic() + 60
    while time.monotonic() < until:
        if process.poll() is not None:
            return process.returncode
        if not shutdown and step.consumers() > 0:
            process.terminate()
            process.wait(30)
            return "consuming"
        time.sleep(0.05)
    process.kill()
    return "timed out"


def main() -> int:
    broker.ensure()
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as folder, Emulator() as emulator:
        run_js = install(Path(folder))
        for name in SCENARIOS:
            results[name] = {
                kind: run_scenario(kind, run_js, emulator, name) for kind in ("python", "node")
            }
    print(f"lifecycle: this runtime and {NODE_SAILOR}, side by side")
    for name, kinds in results.items():
        print(f"\n{name}")
        for key in kinds["python"]:
            python, node = kinds["python"][key], kinds["node"][key]
            same = "same" if python == node else "DIFFERENT"
            print(f"  {key:<15} {same:<10} python {python!s:<50} node {node!s}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
